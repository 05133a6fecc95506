"""How far two correct runs may drift apart (``verification.train.agreement``): the bound holds
for the main job's three runs and is tight enough to reject a planted wrong gradient."""

from __future__ import annotations

import numpy as np
import pytest
from trajectory import F64, STEPS, assert_same_trajectory, divide_by_active_count

import reference
from verification.train import agreement_summary, initial_parameters, stable_learning_rate, stepwise_gradient_check, trajectory_tolerance
from verification.train.data import planted_teacher


def test_agreement_summary_for_the_main_job():
    summary = agreement_summary(steps=60, seed=0)
    assert summary["agree"] is True
    assert summary["max_param_diff"] <= summary["tolerance"] and summary["max_loss_diff"] <= summary["loss_tolerance"]
    assert summary["steps"] == 60 and np.isfinite(summary["final_loss"])


def test_trajectory_comparison_rejects_a_planted_wrong_gradient():
    """The trajectory tolerance is tight: a run that followed the |A| gradient is far outside it."""
    teacher = planted_teacher(16, 3, seed=2, noise=0.2)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    rate = stable_learning_rate(teacher.X)
    ref = reference.train(teacher.X, teacher.y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0)
    wrong = stepwise_gradient_check(teacher.X, teacher.y, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                    signal=divide_by_active_count).result
    parameter_tol, loss_tol = trajectory_tolerance(teacher.X, steps=STEPS, learning_rate=rate, w0=w0, b0=b0,
                                                   losses=np.append(ref.losses, wrong.losses), dtype=F64)
    with pytest.raises(AssertionError, match="parameters differ"):
        assert_same_trajectory("planted", wrong, ref, parameter_tol, loss_tol)
