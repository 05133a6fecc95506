"""The layer rules beyond the paper: known values, stability, bad input, and a first JAX guard.

Known values are worked by hand (each comment says how) or taken from the source the rule cites;
none is copied from the code under test.  Each known-value case is also run against a planted
wrong variant of its rule, which must disagree, so the case is shown able to fail.  The full
property comparison with JAX runs through the rule table; here a few fixed points are compared
with ``jax.jacfwd`` / ``jax.hessian`` directly.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import reference as R
from verification import check_derivative
from verification import layers as L
from verification import neuron as N
from verification.rules import get_rule

EPS = np.finfo(np.float64).eps


def close(actual, expected, *, scale: float = 1.0, ulps: int = 8):
    """Exact shape; values within ``ulps`` roundings of ``scale`` (the magnitude of the terms summed)."""
    expected = np.asarray(expected, dtype=np.float64)
    assert np.shape(actual) == expected.shape, f"shape {np.shape(actual)} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=ulps * EPS, atol=ulps * EPS * scale)


# Logits whose exponentials are 1, 2, 3: s = softmax(z) = [1/6, 1/3, 1/2] by hand.
Z123 = np.log([1.0, 2.0, 3.0])
S123 = np.array([1, 2, 3]) / 6

# (id, computed value, expected value worked by hand, a planted wrong rule's value)
KNOWN = [
    # Matrix Cookbook eq. (69) row by row: ∂(Wx)/∂x = W.
    ("matvec_dx", lambda: R.matvec_jacobian_x([[1.0, 2, 3], [4, 5, 6]], [7.0, 8, 9]),
     [[1, 2, 3], [4, 5, 6]],
     lambda: np.array([[1.0, 2, 3], [4, 5, 6]]).T.reshape(2, 3)),  # Wᵀ read back in W's shape
    # y₀ = W₀₀·3 + W₀₁·5, y₁ = W₁₀·3 + W₁₁·5: ∂yᵢ/∂W_jk = δᵢⱼ x_k (eq. (74)).
    ("matvec_dW", lambda: R.matvec_jacobian_W(np.ones((2, 2)), [3.0, 5.0]),
     [[[3, 5], [0, 0]], [[0, 0], [3, 5]]],
     lambda: np.einsum("ik,j->ijk", np.eye(2), [3.0, 5.0])),  # the transposed tensor δᵢₖxⱼ
    # Y = XW + b with dY = I: dX = I·Wᵀ, dW = Xᵀ·I, db = column sums of I.
    ("affine_dX", lambda: R.affine_layer_grads([[1.0, 2], [3, 4]], [[1.0, 2], [3, 4]], [0.0, 0], np.eye(2))[0],
     [[1, 3], [2, 4]], lambda: np.eye(2) @ np.array([[1.0, 2], [3, 4]])),
    ("affine_dW", lambda: R.affine_layer_grads([[1.0, 2], [3, 4]], [[1.0, 2], [3, 4]], [0.0, 0], np.eye(2))[1],
     [[1, 3], [2, 4]], lambda: np.array([[1.0, 2], [3, 4]]) @ np.eye(2)),
    # One sample x = [1, 2], dY = [1, −1, 2]: dX = dY·Wᵀ = [1 + 4, −1 − 2], dW = xᵀdY, db = dY.
    ("affine_one_sample", lambda: np.concatenate([g.ravel() for g in R.affine_layer_grads(
        [[1.0, 2]], [[1.0, 0, 2], [0, 1, -1]], [0.0, 0, 0], [[1.0, -1, 2]])]),
     [5, -3, 1, -1, 2, 2, -2, 4, 1, -1, 2],
     lambda: np.array([5.0, -3, 1, -1, 2, 2, -2, 4, 0, 0, 0])),
    # s = [1/6, 1/3, 1/2]; Jacobian sᵢ(δᵢⱼ − sⱼ).
    ("softmax", lambda: R.softmax(Z123), S123, lambda: np.exp(Z123) / 3),
    ("softmax_jacobian", lambda: R.softmax_jacobian(Z123),
     np.array([[5, -2, -3], [-2, 8, -6], [-3, -6, 9]]) / 36, lambda: np.diag(S123)),
    # ∂(zᵢ − lse)/∂zⱼ = δᵢⱼ − sⱼ.
    ("log_softmax_jacobian", lambda: R.log_softmax_jacobian(Z123),
     np.array([[5, -2, -3], [-1, 4, -3], [-1, -2, 3]]) / 6, lambda: np.eye(3) - S123[:, None]),
    ("logsumexp", lambda: R.logsumexp(Z123), math.log(6), lambda: np.log(np.exp(Z123).mean())),
    ("logsumexp_grad", lambda: R.logsumexp_grad(Z123), S123, lambda: np.exp(Z123)),
    # Boyd & Vandenberghe §3.1.5: ∇²lse = diag(e)/(1ᵀe) − eeᵀ/(1ᵀe)² with e = exp(z) = [1, 2, 3].
    ("logsumexp_hessian", lambda: R.logsumexp_hessian(Z123),
     np.diag([1.0, 2, 3]) / 6 - np.outer([1.0, 2, 3], [1.0, 2, 3]) / 36, lambda: 2 * R.logsumexp_hessian(Z123)),
    # s − y for y one-hot and soft, s·Σy − y for Σy = 2.
    ("xent_one_hot", lambda: R.softmax_cross_entropy_grad(Z123, [0.0, 0, 1]), [1 / 6, 1 / 3, -1 / 2],
     lambda: np.array([0.0, 0, 1]) - S123),
    ("xent_soft", lambda: R.softmax_cross_entropy_grad(Z123, [0.5, 0.5, 0]), [-1 / 3, -1 / 6, 1 / 2],
     lambda: np.array([0.5, 0.5, 0]) - S123),
    ("xent_unnormalised", lambda: R.softmax_cross_entropy_grad(Z123, [2.0, 0, 0]), [-5 / 3, 2 / 3, 1],
     lambda: S123 - [2.0, 0, 0]),
    # σ(0) = 1/2 so σ′(0) = 1/4; σ(±ln 3) = 3/4, 1/4 so σ′ = 3/16 on both sides.
    ("sigmoid_derivative", lambda: R.sigmoid_derivative([0.0, math.log(3), -math.log(3)]), [1 / 4, 3 / 16, 3 / 16],
     lambda: np.array([0.5, 0.75, 0.25])),
    # tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 3/5, so tanh′ = 1 − 9/25 = 16/25; tanh′(0) = 1.
    ("tanh_derivative", lambda: R.tanh_derivative([0.0, math.log(2)]), [1, 16 / 25], lambda: np.array([1.0, 1 - 3 / 5])),
    # softplus′ = σ: σ(0) = 1/2, σ(ln 3) = 3/4.
    ("softplus_derivative", lambda: R.softplus_derivative([0.0, math.log(3)]), [1 / 2, 3 / 4],
     lambda: np.array([np.log(2), np.log(4)])),
    # xᵀAx = x₁² + 5x₁x₂ + 4x₂² for A = [[1, 2], [3, 4]]: gradient [2x₁ + 5x₂, 5x₁ + 8x₂] at (1, 2).
    ("quadratic_form_grad", lambda: R.quadratic_form_grad([1.0, 2], [[1.0, 2], [3, 4]]), [12, 21],
     lambda: 2 * np.array([[1.0, 2], [3, 4]]) @ [1.0, 2]),
    ("quadratic_form_hessian", lambda: R.quadratic_form_hessian([[1.0, 2], [3, 4]]), [[2, 5], [5, 8]],
     lambda: np.array([[1.0, 2], [3, 4]])),
    # Hessian-vector products along e₁ pick the Hessian's first column: [5, −2, −3]/36 above.
    ("logsumexp_hvp", lambda: R.logsumexp_hvp(Z123, [1.0, 0, 0]), np.array([5, -2, -3]) / 36,
     lambda: S123 * [1.0, 0, 0]),
    # (A + Aᵀ)v = [[2, 5], [5, 8]]·[1, 2].
    ("quadratic_form_hvp", lambda: R.quadratic_form_hvp([[1.0, 2], [3, 4]], [1.0, 2]), [12, 21],
     lambda: 2 * np.array([[1.0, 2], [3, 4]]) @ [1.0, 2]),
    # eq. (131): 2x.  eq. (129): x/‖x‖ for the 3-4-5 triangle.
    ("sq_norm_grad", lambda: R.sq_norm_grad([3.0, -4]), [6, -8], lambda: np.array([3.0, -4])),
    ("l2_norm_grad", lambda: R.l2_norm_grad([3.0, -4]), [0.6, -0.8], lambda: np.array([3.0, -4]) / 25),
    # eq. (132): 2W.
    ("frobenius_sq_grad", lambda: R.frobenius_sq_grad([[1.0, -2], [3, 0]]), [[2, -4], [6, 0]],
     lambda: np.array([[1.0, -2], [3, 0]])),
    # ‖Xw − y‖² = w₁² + (2w₂ − 1)² + (w₁ + w₂ − 1)²: gradient [2w₁ + 2(w₁+w₂−1), 4(2w₂−1) + 2(w₁+w₂−1)] at (1, 1).
    ("least_squares_grad", lambda: R.least_squares_grad([1.0, 1], [[1.0, 0], [0, 2], [1, 1]], [0.0, 1, 1]), [4, 6],
     lambda: np.array([1.0, 1, 1]) @ np.array([[1.0, 0], [0, 2], [1, 1]])),  # the factor 2 dropped
    # z = 2 − 2 + 0.5 > 0 passes w back; z = −0.5 and the tie z = 0 pass nothing (D2).
    ("neuron_dx_active", lambda: R.neuron_activation_grad_x([1.0, -2], 0.5, [2.0, 1]), [1, -2],
     lambda: np.array([2.0, 1])),
    ("neuron_dx_inactive", lambda: R.neuron_activation_grad_x([1.0, -2], -0.5, [2.0, 1]), [0, 0],
     lambda: np.array([1.0, -2])),
    ("neuron_dx_tie", lambda: R.neuron_activation_grad_x([1.0, -2], 0.0, [2.0, 1]), [0, 0],
     lambda: np.array([1.0, -2])),
    # z = [2, 2], both active, N = 2: H = (2/2)(x̂₁x̂₁ᵀ + x̂₂x̂₂ᵀ), x̂₁ = [1, 0, 1], x̂₂ = [0, 1, 1].
    ("mse_hessian_active", lambda: R.mse_loss_hessian([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0]),
     [[1, 0, 1], [0, 1, 1], [1, 1, 2]], lambda: 0.5 * R.mse_loss_hessian([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0])),
    # the same H applied to v̂ = [1, 2, 3]: [1 + 3, 2 + 3, 1 + 2 + 6].
    ("mse_hvp_active", lambda: R.mse_loss_hvp([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0], [1.0, 2, 3]), [4, 5, 9],
     lambda: R.mse_loss_hvp([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0], [1.0, 2, 3])[::-1]),
    # z = [0, 2, −1]: the tie and the inactive sample contribute nothing, N = 3 still divides:
    # H = (2/3)x̂x̂ᵀ with x̂ = [2, 1, 1].
    ("mse_hessian_tie", lambda: R.mse_loss_hessian([1.0, 1], -1.0, [[0.5, 0.5], [2, 1], [0, 0]], [1.0, 3, 2]),
     np.outer([2, 1, 1], [2, 1, 1]) * 2 / 3,
     lambda: (np.outer([2, 1, 1], [2, 1, 1]) + np.outer([0.5, 0.5, 1], [0.5, 0.5, 1])) * 2 / 3),
    # x = [0, 1, 2], ε = 0: μ = 1, σ² = 2/3, r = √(3/2), x̂ = r[−1, 0, 1], and
    # I − 11ᵀ/3 − x̂x̂ᵀ/3 = [[1/6, −1/3, 1/6], [−1/3, 2/3, −1/3], [1/6, −1/3, 1/6]]; rows scaled by rγᵢ.
    ("layer_norm_jacobian", lambda: R.layer_norm_jacobian([0.0, 1, 2], [1.0, 2, 3], eps=0.0),
     math.sqrt(1.5) * np.array([[1], [2], [3]]) * np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]]) / 6,
     lambda: math.sqrt(1.5) * np.diag([1.0, 2, 3]) @ (np.eye(3) - 1 / 3)),
    # eq. (57): A = [[2, 1], [0, 1]], det 2, cofactors [[1, 0], [−1, 2]]: ∂log|det A|/∂A = cofactors/det.
    ("logdet_grad", lambda: R.logdet_grad([[2.0, 1], [0, 1]]), [[0.5, 0], [-0.5, 1]],
     lambda: np.linalg.inv([[2.0, 1], [0, 1]])),
    # det = −1 < 0: log|det| still has gradient A⁻ᵀ = A for this permutation matrix.
    ("logdet_grad_negative_det", lambda: R.logdet_grad([[0.0, 1], [1, 0]]), [[0, 1], [1, 0]],
     lambda: -np.array([[0.0, 1], [1, 0]])),
    # eq. (59) at A = diag(2, 4): (A⁻¹)ᵢⱼ depends on A_kl only for (k, l) = (i, j):
    # d(1/2)/dA₀₀ = −1/4, d(1/4)/dA₁₁ = −1/16; [[a, e], [0, d]]⁻¹ has −e/(ad) at (0, 1), so −1/8 by A₀₁ (and likewise (1, 0)).
    ("inverse_jacobian", lambda: R.inverse_jacobian([[2.0, 0], [0, 4]]),
     np.array([[[[-1 / 4, 0], [0, 0]], [[0, -1 / 8], [0, 0]]], [[[0, 0], [-1 / 8, 0]], [[0, 0], [0, -1 / 16]]]]),
     lambda: -np.einsum("il,kj->ijkl", np.diag([0.5, 0.25]), np.diag([0.5, 0.25]))),
    # [[a, e], [c, d]]⁻¹ = [[d, −e], [−c, a]]/(ad − ec); at a = d = e = 1, c = 0:
    # ∂(−e/Δ)/∂a = ed/Δ² = 1, ∂(−e/Δ)/∂e = −ad/Δ² = −1, ∂(d/Δ)/∂c = de/Δ² = 1, ∂(a/Δ)/∂e = ac/Δ² = 0.
    ("inverse_jacobian_general", lambda: R.inverse_jacobian([[1.0, 1], [0, 1]])[[0, 0, 0, 1], [1, 1, 0, 1], [0, 0, 1, 0], [0, 1, 0, 1]],
     [1, -1, 1, 0],
     lambda: -np.einsum("il,kj->ijkl", [[1.0, -1], [0, 1]], [[1.0, -1], [0, 1]])[[0, 0, 0, 1], [1, 1, 0, 1], [0, 0, 1, 0], [0, 1, 0, 1]]),
    # eq. (100): tr(AB) = Σᵢⱼ AᵢⱼBⱼᵢ, so ∂/∂A = Bᵀ.
    ("trace_product_grad", lambda: R.trace_product_grad(np.zeros((2, 3)), [[1.0, 2], [3, 4], [5, 6]]),
     [[1, 3, 5], [2, 4, 6]], lambda: np.array([[1.0, 2], [3, 4], [5, 6]]).reshape(2, 3)),
    # x = [1, 2], z = 4: ∂(x − z)/∂z = −1⃗, ∂(x/z)/∂x = I/4, ∂(x/z)/∂z = −x/16.
    ("sexp_sub_dx", lambda: R.scalar_sub_jacobian_x([1.0, 2], 4.0), np.eye(2), lambda: -np.eye(2)),
    ("sexp_sub_dz", lambda: R.scalar_sub_jacobian_z([1.0, 2], 4.0), [-1, -1], lambda: np.ones(2)),
    ("sexp_div_dx", lambda: R.scalar_div_jacobian_x([1.0, 2], 4.0), np.eye(2) / 4, lambda: np.diag([1.0, 2]) / 4),
    ("sexp_div_dz", lambda: R.scalar_div_jacobian_z([1.0, 2], 4.0), [-1 / 16, -1 / 8], lambda: np.array([-1 / 4, -1 / 2])),
]


@pytest.mark.parametrize(("computed", "expected"), [case[1:3] for case in KNOWN], ids=[case[0] for case in KNOWN])
def test_known_value(computed, expected):
    close(computed(), expected)


@pytest.mark.parametrize(("planted", "expected"), [(case[3], case[2]) for case in KNOWN], ids=[case[0] for case in KNOWN])
def test_known_value_rejects_a_planted_mistake(planted, expected):
    """The comparison above fails on a wrong rule (transposed, missing term, off by a factor…)."""
    with pytest.raises(AssertionError):
        close(planted(), expected)


def test_layer_norm_jacobian_kills_shifts_and_scalings():
    # y is unchanged by x → x + c1⃗ and (with ε = 0) by x → cx, so J1⃗ = 0 and Jx = 0.
    x = np.array([0.5, -1.0, 2.0, 3.5])
    J = R.layer_norm_jacobian(x, [1.0, -2, 0.5, 3], eps=0.0)
    close(J @ np.ones(4), np.zeros(4), scale=np.abs(J).sum(1).max())
    close(J @ x, np.zeros(4), scale=np.abs(J).max() * np.abs(x).sum())


def test_layer_norm_default_eps_is_an_argument():
    x, gamma = np.array([0.0, 1, 2]), np.ones(3)
    assert not np.allclose(R.layer_norm_jacobian(x, gamma), R.layer_norm_jacobian(x, gamma, eps=1.0))
    close(R.layer_norm_jacobian(x, gamma), R.layer_norm_jacobian(x, gamma, eps=1e-5))


# --- stability ------------------------------------------------------------------------------

@pytest.fixture
def no_overflow():
    """Overflow, invalid operations, division by zero and any warning are errors (underflow to 0 is expected)."""
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


HUGE = np.array([1e3, -1e3, 0.0, 999.0])


def test_softmax_family_at_logits_of_magnitude_1e3(no_overflow):
    # e^{z − max z} = [1, 0, e^{−1000}, e^{−1}] up to underflow: s = [1, 0, 0, e⁻¹]/(1 + e⁻¹).
    s = np.array([1.0, 0.0, 0.0, math.exp(-1)]) / (1 + math.exp(-1))
    close(R.softmax(HUGE), s)
    close(R.logsumexp(HUGE), 1000 + math.log1p(math.exp(-1)), scale=1000)
    close(R.logsumexp_grad(HUGE), s)
    close(R.softmax_jacobian(HUGE), np.diag(s) - np.outer(s, s))
    close(R.logsumexp_hessian(HUGE), np.diag(s) - np.outer(s, s))
    close(R.log_softmax_jacobian(HUGE), np.eye(4) - s[None, :])
    close(R.softmax_cross_entropy_grad(HUGE, [0.0, 1, 0, 0]), s - [0, 1, 0, 0])
    # the wrong class has log-probability −2000 − log(1 + e⁻¹): finite, not −inf
    close(R.softmax_cross_entropy(HUGE, [0.0, 1, 0, 0]), 2000 + math.log1p(math.exp(-1)), scale=2000)
    # a tie between two huge logits: s = [1/2, 1/2]
    close(R.softmax_jacobian([1e3, 1e3]), [[0.25, -0.25], [-0.25, 0.25]])
    close(R.softmax_jacobian([-1e3, -1e3]), [[0.25, -0.25], [-0.25, 0.25]])


@pytest.mark.parametrize("z", [40.0, -40.0, 1e3, -1e3, 800.0])
def test_activations_at_large_magnitude(no_overflow, z):
    tail = math.exp(-abs(z))  # e^{−|z|}, 0 once it underflows
    # σ′(z) = e^{−|z|}/(1 + e^{−|z|})² = e^{−|z|} to double precision here; tanh′ = 4e^{−2|z|} likewise.
    close(R.sigmoid_derivative(z), tail, scale=tail)
    close(R.tanh_derivative(z), 4 * tail**2, scale=tail**2)
    close(R.softplus_derivative(z), 1.0 if z > 0 else tail, scale=max(tail, EPS))
    close(R.sigmoid(z), 1.0 if z > 0 else tail, scale=max(tail, EPS))
    close(R.softplus(z), max(z, 0.0), scale=abs(z))


def test_l2_norm_grad_of_tiny_and_huge_vectors(no_overflow):
    close(R.l2_norm_grad([3e-200, -4e-200]), [0.6, -0.8])
    close(R.l2_norm_grad([3e200, 4e200]), [0.6, 0.8])


# --- bad input ------------------------------------------------------------------------------

BAD = [
    ("l2_norm_at_zero", lambda: R.l2_norm_grad([0.0, 0.0]), ValueError, r"ext_l2_norm: x must be nonzero"),
    ("logdet_singular", lambda: R.logdet_grad([[1.0, 2], [2, 4]]), ValueError, r"ext_logdet_grad: A must be invertible.*singular"),
    ("logdet_numerically_singular", lambda: R.logdet_grad([[1.0, 1], [1, 1 + 2 * EPS]]), ValueError,
     r"A must be invertible.*condition number"),
    ("inverse_singular", lambda: R.inverse_jacobian(np.zeros((3, 3))), ValueError, r"ext_inverse_jacobian: A must be invertible"),
    ("logdet_not_square", lambda: R.logdet_grad(np.ones((2, 3))), ValueError, r"A: expected a non-empty square matrix"),
    ("logdet_inf", lambda: R.logdet_grad([[1.0, np.inf], [0, 1]]), ValueError, r"A: contains NaN or inf at index \(0, 1\)"),
    ("sexp_div_by_zero", lambda: R.scalar_div_jacobian_z([1.0, 2], 0.0), ValueError, r"ext_sexp_sub_div: z must be nonzero"),
    ("matvec_shapes", lambda: R.matvec_jacobian_W(np.ones((2, 3)), np.ones(2)), ValueError, r"W must have one column per entry of x"),
    ("matvec_x_matrix", lambda: R.matvec_jacobian_x(np.ones((2, 3)), np.ones((3, 1))), ValueError, r"x: expected a 1-D vector"),
    ("affine_dY_shape", lambda: R.affine_layer_grads(np.ones((4, 2)), np.ones((2, 3)), np.ones(3), np.ones((4, 2))), ValueError,
     r"dY must have the shape of Y = XW \+ b, \(4, 3\)"),
    ("affine_b_length", lambda: R.affine_layer_grads(np.ones((4, 2)), np.ones((2, 3)), np.ones(2), np.ones((4, 3))), ValueError,
     r"b must have one entry per column of W"),
    ("affine_W_rows", lambda: R.affine_layer_grads(np.ones((4, 2)), np.ones((3, 3)), np.ones(3), np.ones((4, 3))), ValueError,
     r"W must have one row per column of X"),
    ("softmax_nan", lambda: R.softmax_jacobian([np.nan, 1.0]), ValueError, r"z: contains NaN or inf at index \(0,\)"),
    ("softmax_empty", lambda: R.softmax(np.zeros(0)), ValueError, r"z: expected at least one logit"),
    ("xent_lengths", lambda: R.softmax_cross_entropy_grad([1.0, 2, 3], [1.0, 0]), ValueError, r"z and y must have the same length"),
    ("xent_label_inf", lambda: R.softmax_cross_entropy_grad([1.0, 2], [np.inf, 0]), ValueError, r"y: contains NaN or inf"),
    ("sigmoid_inf", lambda: R.sigmoid_derivative([1.0, -np.inf]), ValueError, r"z: contains NaN or inf at index \(1,\)"),
    ("tanh_bool", lambda: R.tanh_derivative(np.array([True])), TypeError, r"z: expected real numbers, got a boolean"),
    ("quadratic_form_A_size", lambda: R.quadratic_form_grad(np.ones(2), np.eye(3)), ValueError, r"A must be n×n for x of length n"),
    ("quadratic_form_A_not_square", lambda: R.quadratic_form_hessian(np.ones((2, 3))), ValueError, r"A: expected a square matrix"),
    ("least_squares_rows", lambda: R.least_squares_grad(np.ones(2), np.ones((3, 2)), np.ones(4)), ValueError,
     r"X and y must have the same number of rows"),
    ("least_squares_columns", lambda: R.least_squares_grad(np.ones(3), np.ones((3, 2)), np.ones(3)), ValueError,
     r"X must have one column per weight"),
    ("frobenius_vector", lambda: R.frobenius_sq_grad(np.ones(3)), ValueError, r"W: expected a 2-D matrix"),
    ("trace_shapes", lambda: R.trace_product_grad(np.ones((2, 3)), np.ones((2, 3))), ValueError, r"B must have the transposed shape of A"),
    ("layer_norm_gamma_length", lambda: R.layer_norm_jacobian(np.arange(3.0), np.ones(2)), ValueError, r"x and gamma must have the same length"),
    ("layer_norm_negative_eps", lambda: R.layer_norm_jacobian(np.arange(3.0), np.ones(3), eps=-1e-3), ValueError, r"eps: must be >= 0"),
    ("layer_norm_nan_eps", lambda: R.layer_norm_jacobian(np.arange(3.0), np.ones(3), eps=np.nan), ValueError, r"eps: contains NaN or inf"),
    ("layer_norm_constant_without_eps", lambda: R.layer_norm_jacobian(np.ones(3), np.ones(3), eps=0.0), ValueError,
     r"x: every entry is equal and eps = 0"),
    ("layer_norm_x_nan", lambda: R.layer_norm_jacobian([1.0, np.nan], np.ones(2)), ValueError, r"x: contains NaN or inf"),
    ("neuron_dx_lengths", lambda: R.neuron_activation_grad_x(np.ones(2), 0.0, np.ones(3)), ValueError, r"w and x must have the same length"),
    ("logsumexp_hvp_lengths", lambda: R.logsumexp_hvp(np.ones(3), np.ones(2)), ValueError, r"z and v must have the same length"),
    ("quadratic_form_hvp_lengths", lambda: R.quadratic_form_hvp(np.eye(3), np.ones(2)), ValueError, r"A must be n×n for v of length n"),
    ("mse_hvp_direction_length", lambda: R.mse_loss_hvp(np.ones(2), 0.0, np.ones((3, 2)), np.ones(3), np.ones(2)), ValueError,
     r"v must have one entry per weight and one for the bias \(3\)"),
    ("mse_hessian_rows", lambda: R.mse_loss_hessian(np.ones(2), 0.0, np.ones((3, 2)), np.ones(2)), ValueError,
     r"X and y must have the same number of rows"),
    ("mse_hessian_b_vector", lambda: R.mse_loss_hessian(np.ones(2), np.ones(2), np.ones((3, 2)), np.ones(3)), ValueError,
     r"b: expected a scalar"),
]


@pytest.mark.parametrize(("call", "error", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_integer_arrays_are_computed_in_float64():
    cases = [
        (R.softmax_jacobian([0, 0]), [[0.25, -0.25], [-0.25, 0.25]]),
        (R.l2_norm_grad([3, -4]), [0.6, -0.8]),
        (R.logdet_grad([[2, 1], [0, 1]]), [[0.5, 0], [-0.5, 1]]),
        (R.scalar_div_jacobian_z(np.array([1, 2]), np.array(4)), [-1 / 16, -1 / 8]),
        (R.sigmoid_derivative(0), 0.25),
        (R.trace_product_grad(np.zeros((1, 2), dtype=int), [[3], [4]]), [[3, 4]]),
        (R.layer_norm_jacobian([0, 1, 2], [1, 1, 1], eps=0), math.sqrt(1.5) * np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]]) / 6),
    ]
    for value, expected in cases:
        assert value.dtype == np.float64
        close(value, expected)


def test_float32_stays_float32():
    z = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    for value in (R.softmax_jacobian(z), R.sigmoid_derivative(z), R.tanh_derivative(z), R.l2_norm_grad(z),
                  R.layer_norm_jacobian(z, np.ones(3, dtype=np.float32)), R.softmax_cross_entropy_grad(z, z)):
        assert value.dtype == np.float32


# --- a first guard against JAX at fixed points --------------------------------------------

_rng = np.random.default_rng(20261202)
_x3, _y3 = _rng.normal(size=3), _rng.normal(size=3)
_A3 = _rng.normal(size=(3, 3)) + 3 * np.eye(3)  # diagonally dominant: well conditioned
_W23, _X42, _W23b = _rng.normal(size=(2, 3)), _rng.normal(size=(4, 2)), _rng.normal(size=(2, 3))
_dY43, _b3 = _rng.normal(size=(4, 3)), _rng.normal(size=3)
_Xb, _yb = np.array([[1.0, 2], [-1, 0.5], [0.3, -2], [2, 1]]), np.array([1.0, -1, 0.5, 2])
_wb = np.array([0.7, -0.4, 0.2])  # z = Xw + b = [0.1+0.2, …]: no tie
_soft = np.array([0.2, 0.5, 0.3])


def _folded_mse_hessian(w_hat, X, y):
    return R.mse_loss_hessian(w_hat[:-1], w_hat[-1], X, y)


# (id, JAX function, argnums, hand derivative, args, "jacobian" | "hessian")
AGAINST_JAX = [
    ("matvec_dx", lambda W, x: W @ x, 1, R.matvec_jacobian_x, (_W23, _x3), "jacobian"),
    ("matvec_dW", lambda W, x: W @ x, 0, R.matvec_jacobian_W, (_W23, _x3), "jacobian"),
    ("affine_vjp", None, None, None, (_X42, _W23b, _b3, _dY43), "vjp"),
    ("softmax_jacobian", jax.nn.softmax, 0, R.softmax_jacobian, (_x3,), "jacobian"),
    ("softmax_jacobian_huge", jax.nn.softmax, 0, R.softmax_jacobian, (HUGE,), "jacobian"),
    ("log_softmax_jacobian", jax.nn.log_softmax, 0, R.log_softmax_jacobian, (1e3 * _x3,), "jacobian"),
    ("logsumexp_grad", jax.nn.logsumexp, 0, R.logsumexp_grad, (HUGE,), "jacobian"),
    ("logsumexp_hessian", jax.nn.logsumexp, 0, R.logsumexp_hessian, (_x3,), "hessian"),
    ("xent_soft", L.softmax_cross_entropy, 0, R.softmax_cross_entropy_grad, (_x3, _soft), "jacobian"),
    ("xent_any_y", L.softmax_cross_entropy, 0, R.softmax_cross_entropy_grad, (HUGE, np.array([2.0, -1, 0.5, 0])), "jacobian"),
    ("sigmoid", jax.nn.sigmoid, 0, lambda z: np.diag(R.sigmoid_derivative(z)), (np.array([-40.0, -3, 0.5, 40]),), "jacobian"),
    ("tanh", jnp.tanh, 0, lambda z: np.diag(R.tanh_derivative(z)), (np.array([-40.0, -3, 0.5, 40]),), "jacobian"),
    ("softplus", jax.nn.softplus, 0, lambda z: np.diag(R.softplus_derivative(z)), (np.array([-40.0, -3, 0.5, 40]),), "jacobian"),
    ("quadratic_form_grad", lambda x, A: x @ A @ x, 0, R.quadratic_form_grad, (_x3, _A3), "jacobian"),
    ("quadratic_form_hessian", lambda x, A: x @ A @ x, 0, lambda x, A: R.quadratic_form_hessian(A), (_x3, _A3), "hessian"),
    ("sq_norm_grad", lambda x: x @ x, 0, R.sq_norm_grad, (_x3,), "jacobian"),
    ("l2_norm_grad", jnp.linalg.norm, 0, R.l2_norm_grad, (_x3,), "jacobian"),
    ("frobenius_sq_grad", lambda W: jnp.sum(W**2), 0, R.frobenius_sq_grad, (_W23,), "jacobian"),
    ("least_squares_grad", lambda w, X, y: jnp.sum((X @ w - y) ** 2), 0, R.least_squares_grad, (_wb[:2], _Xb, _yb), "jacobian"),
    ("neuron_dx", N.neuron_activation, 2, R.neuron_activation_grad_x, (_wb[:2], _wb[2], _Xb[0]), "jacobian"),
    ("mse_hessian", L.mse_loss_folded, 0, _folded_mse_hessian, (_wb, _Xb, _yb), "hessian"),
    ("mse_hessian_tie", L.mse_loss_folded, 0, _folded_mse_hessian,
     (np.array([1.0, 1, -1]), np.array([[0.5, 0.5], [2, 1], [0, 0]]), np.array([1.0, 3, 2])), "hessian"),
    ("layer_norm_jacobian", L.layer_norm, 0, lambda x, g, b: R.layer_norm_jacobian(x, g), (_x3, _y3, _b3), "jacobian"),
    ("logdet_grad", lambda A: jnp.linalg.slogdet(A)[1], 0, R.logdet_grad, (_A3,), "jacobian"),
    ("logdet_grad_negative_det", lambda A: jnp.linalg.slogdet(A)[1], 0, R.logdet_grad, (-_A3,), "jacobian"),
    ("inverse_jacobian", jnp.linalg.inv, 0, R.inverse_jacobian, (_A3,), "jacobian"),
    ("trace_product_grad", lambda A, B: jnp.trace(A @ B), 0, R.trace_product_grad, (_W23, _W23b.T), "jacobian"),
    ("sexp_sub_dx", jnp.subtract, 0, R.scalar_sub_jacobian_x, (_x3, np.float64(0.7)), "jacobian"),
    ("sexp_sub_dz", jnp.subtract, 1, R.scalar_sub_jacobian_z, (_x3, np.float64(0.7)), "jacobian"),
    ("sexp_div_dx", jnp.divide, 0, R.scalar_div_jacobian_x, (_x3, np.float64(0.7)), "jacobian"),
    ("sexp_div_dz", jnp.divide, 1, R.scalar_div_jacobian_z, (_x3, np.float64(0.7)), "jacobian"),
]


def _jax_derivative(function, argnums, args, form):
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in args)
        if form == "hessian":
            result = jax.hessian(function, argnums)(*args)
        elif form == "vjp":
            X, W, b, dY = args
            _, pullback = jax.vjp(L.affine_layer, X, W, b)
            result = pullback(dY)
        else:
            result = jax.jacfwd(function, argnums)(*args)
        return jax.tree.map(np.asarray, result)


@pytest.mark.parametrize(("function", "argnums", "derivative", "args", "form"), [case[1:] for case in AGAINST_JAX],
                         ids=[case[0] for case in AGAINST_JAX])
def test_against_jax_at_fixed_points(function, argnums, derivative, args, form):
    expected = _jax_derivative(function, argnums, args, form)
    hand = R.affine_layer_grads(*args) if form == "vjp" else derivative(*args)
    if form != "vjp":
        hand, expected = (hand,), (expected,)
    for h, e in zip(hand, expected, strict=True):
        assert h.dtype == np.float64 and e.dtype == np.float64
        # a few dozen roundings of terms no larger than the largest entry or argument
        scale = max(1.0, float(np.abs(e).max()), max(float(np.abs(a).max()) for a in args if np.size(a)))
        close(h, e, scale=scale, ulps=64)


def test_mse_hessian_against_a_finite_difference_of_the_gradient():
    # Inside a fixed active set the gradient (2/N)Σ_{i∈A} eᵢx̂ᵢ is affine in ŵ, so a central
    # difference of it has no truncation error: only the rounding of the two gradients, each
    # ~eps·scale, divided by the step 2h.
    w, b, X, y = _wb[:2], _wb[2], _Xb, _yb
    h = 1e-3
    assert np.abs(X @ w + b).min() > 10 * h * (np.abs(X).sum(1).max() + 1)  # no sample changes side
    columns = []
    for k in range(3):
        step = np.zeros(3)
        step[k] = h
        plus = np.append(R.mse_loss_grad_w(w + step[:2], b + step[2], X, y), R.mse_loss_grad_b(w + step[:2], b + step[2], X, y))
        minus = np.append(R.mse_loss_grad_w(w - step[:2], b - step[2], X, y), R.mse_loss_grad_b(w - step[:2], b - step[2], X, y))
        columns.append((plus - minus) / (2 * h))
    scale = 2 * np.abs(np.hstack([X, np.ones((4, 1))])).sum(0).max() * (np.abs(X @ w + b) + np.abs(y)).max()
    close(R.mse_loss_hessian(w, b, X, y), np.stack(columns, axis=1), scale=scale / h)


# --- the harness rejects planted mistakes in the extension rows ---------------------------


def _planted(name, wrong):
    return dataclasses.replace(get_rule(name), derivative=wrong)


def _mse_hessian_without_bias_coupling(w_hat, X, y):
    """The w–b blocks dropped: the wrong block of the Hessian."""
    H = R.mse_loss_hessian(w_hat[:-1], w_hat[-1], X, y)
    H[:-1, -1] = H[-1, :-1] = 0
    return H


# (planted rule, a point of its domain, a phrase the report must contain: the harness's
# explanation where it has one).  Fixed points keep these cheap: no shrinking, one compile each.
PLANTED = {
    "transposed 3-tensor (denominator layout)": (
        _planted("ext_matvec_dW_tensor", lambda W, x: np.moveaxis(R.matvec_jacobian_W(W, x), 0, -1)), (_A3, _x3), "transposed"),
    "softmax Jacobian without −ssᵀ": (_planted("ext_softmax_jacobian", lambda z: np.diag(R.softmax(z))), (_x3,), ""),
    "cross-entropy gradient with the wrong sign": (
        _planted("ext_softmax_xent", lambda z, y: -R.softmax_cross_entropy_grad(z, y)), (_x3, np.array([0.0, 1, 0])),
        "sign is flipped"),
    "log-sum-exp Hessian off by a factor 2": (
        _planted("ext_logsumexp_hessian", lambda z: 2 * R.logsumexp_hessian(z)), (_x3,), "2 × oracle"),
    "quadratic-form Hessian 2A (not symmetric)": (
        _planted("ext_quadratic_form_hessian", lambda x, A: 2 * A), (_x3, _A3), "the Hessian is not symmetric"),
    "MSE Hessian without the w–b blocks": (
        _planted("ext_neuron_mse_hessian", _mse_hessian_without_bias_coupling), (_wb, _Xb, _yb), ""),
    "log-det gradient A⁻¹ instead of A⁻ᵀ": (_planted("ext_logdet_grad", lambda A: np.linalg.inv(A)), (_A3,), "transposed"),
    "affine layer dW as dYᵀX reshaped to W's shape": (
        _planted("ext_affine_layer_grads", lambda X, W, b, dY: (dY @ W.T, (dY.T @ X).reshape(W.shape), dY.sum(0))),
        (_X42, _W23b, _b3), ""),
}


@pytest.mark.parametrize(("rule", "args", "hint"), PLANTED.values(), ids=PLANTED.keys())
def test_harness_rejects_a_planted_mistake(rule, args, hint):
    result = check_derivative(rule.function, rule.derivative, *args, dtype="float64", **rule.check_arguments())
    assert not result.passed, f"{rule.name}: the planted mistake went unnoticed"
    report = str(result)
    assert f"{rule.name}: derivative" in report and "DISAGREES" in report
    assert hint in report
