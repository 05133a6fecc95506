"""The start point (``verification.train.start``): never dead by default; dead at w = 0, b = 0."""

from __future__ import annotations

import numpy as np
import pytest

import reference
from reference.loss import mse_loss_grad_w
from verification.train import DeadNeuronWarning, initial_parameters, train
from verification.train.data import planted_teacher
from verification.train.start import ACTIVE_MEDIAN


def test_default_start_is_not_dead():
    for X in (planted_teacher(50, 4, seed=1).X, planted_teacher(50, 4, seed=1).X - 10.0):  # also far off-centre data
        w0, b0 = initial_parameters(X, seed=3)
        assert np.mean(X @ w0 + b0 > 0) >= 0.5
        assert np.median(X @ w0 + b0) == pytest.approx(ACTIVE_MEDIAN, abs=1e-12)
        assert np.any(mse_loss_grad_w(w0, b0, X, np.zeros(len(X))) != 0)


def test_a_given_start_is_kept_and_checked():
    X = planted_teacher(20, 3, seed=0).X
    w0, b0 = initial_parameters(X, w0=[1, 2, 3], b0=0.5)
    assert w0.tolist() == [1.0, 2.0, 3.0] and b0 == 0.5 and w0.dtype == b0.dtype == np.float64
    w_drawn, b_median = initial_parameters(X, seed=4, b0=None)
    assert initial_parameters(X, seed=4, w0=w_drawn)[1] == b_median  # the bias follows the weights given
    with pytest.raises(ValueError, match=r"^w0: needs one entry per column of X \(3\), got 2"):
        initial_parameters(X, w0=[1, 2])
    with pytest.raises(ValueError, match=r"^b0: expected a scalar"):
        initial_parameters(X, b0=[1, 2])


def test_dead_start_never_moves():
    """w = 0, b = 0: every z_i = 0 is on the kink, where ReLU' is 0 (D2), so the gradient is
    exactly 0 and both loops stay put."""
    teacher = planted_teacher(20, 3, seed=0)
    zero_w, zero_b = np.zeros(3), np.float64(0)
    ref = reference.train(teacher.X, teacher.y, steps=10, learning_rate=0.1, w0=zero_w, b0=zero_b)
    with pytest.warns(DeadNeuronWarning, match="dead"):  # every z_i on the kink counts as inactive
        run = train(teacher.X, teacher.y, steps=10, learning_rate=0.1, gradient="autodiff", w0=zero_w, b0=zero_b, dtype=np.float64)
    for result in (ref, run):
        assert np.all(result.w == 0) and result.b == 0
        assert np.all(result.losses == result.losses[0])
