"""The NumPy reference loop (``reference.training``), the twin of the jitted one: its step is
the public rules bit for bit, it keeps float32, and it says how it diverged."""

from __future__ import annotations

import numpy as np
import pytest
from trajectory import replay

import reference
from reference.loss import loss_and_grads, loss_and_grads_unchecked, mse_loss, mse_loss_grad_b, mse_loss_grad_w, mse_loss_hessian
from reference.training import TrainingDiverged, augmented_gram, learning_rate_for_gram, stable_learning_rate
from verification.train import initial_parameters
from verification.train.data import planted_teacher


def test_reference_step_is_the_public_rules_bit_for_bit():
    teacher = planted_teacher(40, 3, seed=3, noise=0.3)
    w, b = initial_parameters(teacher.X, seed=1)
    loss, grad_w, grad_b = loss_and_grads(w, b, teacher.X, teacher.y)
    assert loss == mse_loss(w, b, teacher.X, teacher.y)
    assert np.array_equal(grad_w, mse_loss_grad_w(w, b, teacher.X, teacher.y))
    assert grad_b == mse_loss_grad_b(w, b, teacher.X, teacher.y)
    result = reference.train(teacher.X, teacher.y, steps=7, learning_rate=0.1, w0=w, b0=b)
    w_end, b_end = replay(teacher.X, teacher.y, w, b, 0.1, 7)[-1]
    assert np.array_equal(result.w, w_end) and result.b == b_end
    assert result.losses.shape == (7,) and result.final_loss == mse_loss(w_end, b_end, teacher.X, teacher.y)


def test_the_unchecked_formula_is_the_checked_one_without_the_checks():
    """Hand values at w = 1, b = 0, X = [[1], [2]], y = 0: errors 1 and 2, both active, so
    C = (1 + 4)/2, ∂C/∂w = (2/2)(1·1 + 2·2), ∂C/∂b = (2/2)(1 + 2)."""
    w, b, X, y = np.array([1.0]), np.asarray(0.0), np.array([[1.0], [2.0]]), np.zeros(2)
    assert [float(np.ravel(v)[0]) for v in loss_and_grads_unchecked(w, b, X, y)] == [2.5, 5.0, 3.0]
    teacher = planted_teacher(20, 3, seed=5, noise=0.2)
    w, b = initial_parameters(teacher.X, seed=2)
    checked, unchecked = loss_and_grads(w, b, teacher.X, teacher.y), loss_and_grads_unchecked(w, b, teacher.X, teacher.y)
    assert all(np.array_equal(c, u) for c, u in zip(checked, unchecked, strict=True))
    with pytest.raises(ValueError, match="^X: contains NaN"):
        loss_and_grads(w, b, np.where(teacher.X > 1, np.nan, teacher.X), teacher.y)


def test_reference_keeps_float32():
    teacher = planted_teacher(30, 2, dtype=np.float32)
    w, b = (v.astype(np.float32) for v in initial_parameters(teacher.X))
    result = reference.train(teacher.X, teacher.y, steps=3, learning_rate=0.1, w0=w, b0=b)
    assert {result.w.dtype, result.b.dtype, result.losses.dtype, result.final_loss.dtype} == {np.dtype(np.float32)}


def test_the_stable_rate_is_half_the_inverse_of_the_largest_curvature():
    """With every sample active, the loss's Hessian in (w, b) is (2/N) X̂ᵀX̂ (``mse_loss_hessian``,
    written independently of the Gram matrix here): the default rate is 0.5 / λ_max of it."""
    teacher = planted_teacher(25, 3, seed=4)
    X = teacher.X + np.array([0.5, -2.0, 1.0])
    w, b = np.zeros(3), 100.0  # z_i = 100 > 0 for every sample
    curvature = np.linalg.eigvalsh(mse_loss_hessian(w, b, X, teacher.y))[-1]
    assert stable_learning_rate(X) == pytest.approx(0.5 / curvature, rel=1e-12)
    assert learning_rate_for_gram(augmented_gram(X), 1.0) == pytest.approx(1 / curvature, rel=1e-12)
    with pytest.raises(ValueError, match=r"^fraction: must be in \(0, 1\]"):
        stable_learning_rate(X, 0.0)


def test_divergence_is_named_once_in_either_spelling():
    error = TrainingDiverged(12_345, float("inf"), 1e6, 0.1234)
    assert str(error) == error.naming("learning_rate")
    assert error.naming("--learning-rate") == (
        "training diverged: the loss is inf at step 12,345; --learning-rate 1e+06 is too large for this data: "
        "--learning-rate 0.123 is stable for it (half the largest stable rate, from the data)"
    )
