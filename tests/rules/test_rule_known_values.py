"""Known values of every rule, paper and extensions, worked by hand (each comment says how) or
taken from the source the rule cites; none is copied from the code under test.

Each case is also run against a planted wrong variant of its rule (transposed, a term or factor
dropped, the wrong argument...), which must disagree, so the case is shown able to fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import reference

# The paper's §4 example: f = 3x²y, g = 2x + y⁸, gradients as functions of p = (x, y).
PAPER_2X2 = [lambda p: np.array([6 * p[1] * p[0], 3 * p[0] ** 2]), lambda p: np.array([2.0, 8 * p[1] ** 7])]
W12, X34 = np.array([1.0, 2.0]), np.array([3.0, 4.0])
X123 = np.array([1.0, 2.0, 3.0])
# Logits whose exponentials are 1, 2, 3: s = softmax(z) = [1/6, 1/3, 1/2] by hand.
FOUR_ENTRIES = ([0, 0, 0, 1], [1, 1, 0, 1], [0, 0, 1, 0], [0, 1, 0, 1])
"""Four entries (i, j, k, l) of ∂(A⁻¹)ᵢⱼ/∂Aₖₗ as index arrays: (0, 1, 0, 0), (0, 1, 0, 1), (0, 0, 1, 0), (1, 1, 0, 1)."""
Z123 = np.log([1.0, 2.0, 3.0])
S123 = np.array([1, 2, 3]) / 6

# (id, computed value, expected value worked by hand, a planted wrong rule's value)
KNOWN = [
    # --- the paper ---------------------------------------------------------------------------
    # §2 at x = 2: d/dx 99 = 0, d/dx 3x = 3, d/dx x³ = 3x² = 12.
    ("constant", lambda: reference.constant_rule(2.0), 0, lambda: reference.power_rule(2.0, 1)),  # c taken as x
    ("const_multiple", lambda: reference.const_multiple_rule(3.0, 1.0), 3, lambda: reference.power_rule(2.0, 1)),  # c dropped
    ("power", lambda: reference.power_rule(2.0, 3), 12, lambda: 2.0**3),  # xⁿ for n·xⁿ⁻¹
    ("power_of_zero", lambda: reference.power_rule(0.0, 0), 0, lambda: 0.0**0),  # d/dx x⁰ = 0, not x⁰
    # d/dx (x² + 3x) = 2x + 3 = 7, d/dx (x² − 3x) = 2x − 3 = 1.
    ("sum", lambda: reference.sum_rule(reference.power_rule(2.0, 2), reference.const_multiple_rule(3.0, 1.0)), 7,
     lambda: reference.difference_rule(4.0, 3.0)),
    ("difference", lambda: reference.difference_rule(reference.power_rule(2.0, 2), reference.const_multiple_rule(3.0, 1.0)), 1,
     lambda: reference.sum_rule(4.0, 3.0)),
    # d/dx x²·x = 3x² = 12; the planted product of the derivatives is 2x·1 = 4.
    ("product", lambda: reference.product_rule(4.0, reference.power_rule(2.0, 2), 2.0, 1.0), 12,
     lambda: reference.power_rule(2.0, 2) * 1.0),
    # d/dx ln(x²) = (1/x²)·2x = 2/x = 1; the planted one drops du/dx.
    ("single_variable_chain", lambda: reference.single_variable_chain(1 / 4.0, reference.power_rule(2.0, 2)), 1, lambda: 1 / 4.0),
    # d/dx 9(x + x²) = 9 + 18x = 45; the planted one drops d/dx x.
    ("const_multiple_of_sum", lambda: reference.const_multiple_rule(9.0, reference.sum_rule(1.0, reference.power_rule(2.0, 2))), 45,
     lambda: reference.const_multiple_rule(9.0, reference.power_rule(2.0, 2))),
    # §3 at (x, y) = (2, 5): ∂(3x²y)/∂x = 6yx = 60, ∂/∂y = 3x² = 12 (each planted as the other).
    ("partial_x", lambda: reference.const_multiple_rule(15.0, reference.power_rule(2.0, 2)), 60,
     lambda: reference.const_multiple_rule(12.0, 1.0)),
    ("partial_y", lambda: reference.const_multiple_rule(12.0, 1.0), 12,
     lambda: reference.const_multiple_rule(15.0, reference.power_rule(2.0, 2))),
    # ∇(2x + y⁸) = [2, 8y⁷] at (1, 2): [2, 1024]; planted: the partials as a column.
    ("gradient", lambda: reference.gradient([lambda p: 2.0, lambda p: 8 * p[1] ** 7], [1.0, 2.0]), [2, 1024],
     lambda: np.array([[2.0], [1024.0]])),
    # §4.1 at (1, 2): [[6yx, 3x²], [2, 8y⁷]] = [[12, 3], [2, 1024]]; planted: denominator layout.
    ("jacobian_example_2x2", lambda: reference.jacobian_from_gradients(PAPER_2X2, [1.0, 2.0]), [[12, 3], [2, 1024]],
     lambda: reference.jacobian_from_gradients(PAPER_2X2, [1.0, 2.0]).T),
    ("identity_jacobian", lambda: reference.identity_jacobian([5.0, -1.0, 2.0]), np.eye(3), lambda: np.ones(3)),
    # §4.2 at w = [1, 2], x = [3, 4]: diag(x), diag(w), diag(1/x), diag(−w/x²), −I.
    ("mul_dw", lambda: reference.mul_jacobian_w(W12, X34), [[3, 0], [0, 4]], lambda: reference.mul_jacobian_x(W12, X34)),
    ("mul_dx", lambda: reference.mul_jacobian_x(W12, X34), [[1, 0], [0, 2]], lambda: reference.mul_jacobian_w(W12, X34)),
    ("div_dw", lambda: reference.div_jacobian_w(W12, X34), [[1 / 3, 0], [0, 1 / 4]], lambda: np.diag(1 / W12)),
    ("div_dx", lambda: reference.div_jacobian_x(W12, X34), [[-1 / 9, 0], [0, -2 / 16]], lambda: -reference.div_jacobian_x(W12, X34)),
    ("sub_dx", lambda: reference.sub_jacobian_x(W12, X34), -np.eye(2), lambda: reference.sub_jacobian_w(W12, X34)),
    # §4.3 at x = [1, 2, 3], z = 2: ∂(x+z)/∂z = 1⃗, ∂(xz)/∂x = 2I, ∂(xz)/∂z = x; x + z ≡ x + 1⃗z.
    ("sexp_add_dz", lambda: reference.scalar_add_jacobian_z(X123, 2.0), [1, 1, 1], lambda: np.eye(3)),
    ("sexp_mul_dx", lambda: reference.scalar_mul_jacobian_x(X123, 2.0), 2 * np.eye(3), lambda: np.diag(X123)),
    ("sexp_mul_dz", lambda: reference.scalar_mul_jacobian_z(X123, 2.0), X123, lambda: np.full(3, 2.0)),
    ("sexp_definition", lambda: np.add(X123, 2.0), [3, 4, 5], lambda: X123 + [2.0, 0, 0]),
    # §4.4 at w = [1, 2], x = [3, 4]: w·x = 1·3 + 2·4 = 11, gradients xᵀ and wᵀ; sum(xz) with z = 5.
    ("dot", lambda: reference.dot(W12, X34), 11, lambda: np.sum(W12 + X34)),
    ("dot_dw", lambda: reference.dot_grad_w(W12, X34), [3, 4], lambda: reference.dot_grad_x(W12, X34)),
    ("dot_dx", lambda: reference.dot_grad_x(W12, X34), [1, 2], lambda: reference.dot_grad_w(W12, X34)),
    ("sum_xz_dz", lambda: reference.sum_scaled_grad_z(X123, 5.0), 6, lambda: 5.0 * 3),
    ("sum_xz_dx", lambda: reference.sum_scaled_grad_x(X123, 5.0), [5, 5, 5], lambda: X123),
    # §4.5: d/dx sin(x²) at x = 1 is 2x·cos(x²) = 2cos 1; planted: du/dx dropped.
    ("chain_sin_of_square", lambda: reference.single_variable_chain(math.cos(1.0), 2.0), 2 * math.cos(1.0), lambda: math.cos(1.0)),
    # y = [ln(x²), sin(3x)], g = [x², 3x]: [2/x, 3cos(3x)] at x = 1 → [2, 3cos 3]; planted: g's derivative dropped.
    ("chain_vector_scalar_x", lambda: reference.vector_chain(np.diag([1.0, math.cos(3.0)]), np.array([2.0, 3.0])), [2, 3 * math.cos(3.0)],
     lambda: np.diag([1.0, math.cos(3.0)]).sum(1)),
    # y = x + x² with u₁ = x², at x = 3: 1 + 2x = 7; the §8.5 aliased form with u₂ = x gives the same.
    ("total_derivative", lambda: reference.total_derivative(1.0, np.array([1.0]), np.array([6.0])), 7,
     lambda: reference.total_derivative(0.0, np.array([1.0]), np.array([6.0]))),
    ("total_derivative_aliased", lambda: reference.total_derivative_aliased(np.array([1.0, 1.0]), np.array([6.0, 1.0])), 7,
     lambda: reference.total_derivative_aliased(np.array([1.0]), np.array([6.0]))),  # the paper's pitfall: the alias dropped
    # and that pitfall by itself: without u₂ = x the table form gives 2x = 6, not 7
    ("total_derivative_without_the_alias", lambda: reference.total_derivative_aliased(np.array([1.0]), np.array([6.0])), 6,
     lambda: reference.total_derivative_aliased(np.array([1.0, 1.0]), np.array([6.0, 1.0]))),
    # y = sin(x + x²) at x = 3: cos(x + x²)(1 + 2x) = 7cos 12.
    ("total_derivative_of_sine", lambda: reference.total_derivative(0.0, np.array([math.cos(12.0)] * 2), np.array([1.0, 6.0])),
     7 * math.cos(12.0), lambda: reference.total_derivative(0.0, np.array([math.cos(12.0)]), np.array([6.0]))),
    # y = x·x² as f(x, u₁) = x·u₁: ∂f/∂x = u₁, ∂f/∂u₁ = x → x² + 2x² = 27 at x = 3.
    ("total_derivative_of_product", lambda: reference.total_derivative(9.0, np.array([3.0]), np.array([6.0])), 27,
     lambda: reference.total_derivative(0.0, np.array([3.0]), np.array([6.0]))),
    # §5 at w = [1, 2], x = [3, −1]: z = 1 + b; active for b = 0.5 (xᵀ, 1), inactive for b = −1.5 (0⃗ᵀ).
    ("neuron_activation", lambda: reference.neuron_activation(W12, 0.5, [3.0, -1.0]), 1.5, lambda: reference.dot(W12, [3.0, -1.0])),
    ("neuron_dw_active", lambda: reference.neuron_activation_grad_w(W12, 0.5, [3.0, -1.0]), [3, -1], lambda: W12),
    ("neuron_db_active", lambda: reference.neuron_activation_grad_b(W12, 0.5, [3.0, -1.0]), 1, lambda: 0.0),
    ("neuron_dw_inactive", lambda: reference.neuron_activation_grad_w(W12, -1.5, [3.0, -1.0]), [0, 0], lambda: np.array([3.0, -1.0])),
    ("relu_jacobian", lambda: reference.relu_jacobian([-1.0, 0.0, 2.0]), np.diag([0, 0, 1]), lambda: np.diag([0.0, 1.0, 1.0])),  # tie as 1
    # §6: v = y − max(0, Xw + b), z = (1.5, −0.5): sample 0 active → row −x₀, sample 1 inactive → 0.
    ("residual_dw", lambda: reference.residual_jacobian_w(W12, 0.5, [[3.0, -1.0], [0.0, -1.0]], np.zeros(2)), [[-3, 1], [0, 0]],
     lambda: -np.array([[3.0, -1.0], [0.0, -1.0]])),
    ("residual_db", lambda: reference.residual_jacobian_b(W12, 0.5, [[3.0, -1.0], [0.0, -1.0]], np.zeros(2)), [-1, 0], lambda: -np.ones(2)),
    # --- beyond the paper --------------------------------------------------------------------
    # Matrix Cookbook eq. (69) row by row: ∂(Wx)/∂x = W.
    ("matvec_dx", lambda: reference.matvec_jacobian_x([[1.0, 2, 3], [4, 5, 6]], [7.0, 8, 9]),
     [[1, 2, 3], [4, 5, 6]],
     lambda: np.array([[1.0, 2, 3], [4, 5, 6]]).T.reshape(2, 3)),  # Wᵀ read back in W's shape
    # y₀ = W₀₀·3 + W₀₁·5, y₁ = W₁₀·3 + W₁₁·5: ∂yᵢ/∂W_jk = δᵢⱼ x_k (eq. (74)).
    ("matvec_dW", lambda: reference.matvec_jacobian_W(np.ones((2, 2)), [3.0, 5.0]),
     [[[3, 5], [0, 0]], [[0, 0], [3, 5]]],
     lambda: np.einsum("ik,j->ijk", np.eye(2), [3.0, 5.0])),  # the transposed tensor δᵢₖxⱼ
    # Y = XW + b with dY = I: dX = I·Wᵀ, dW = Xᵀ·I, db = column sums of I.
    ("affine_dX", lambda: reference.affine_layer_grads([[1.0, 2], [3, 4]], [[1.0, 2], [3, 4]], [0.0, 0], np.eye(2))[0],
     [[1, 3], [2, 4]], lambda: np.eye(2) @ np.array([[1.0, 2], [3, 4]])),
    ("affine_dW", lambda: reference.affine_layer_grads([[1.0, 2], [3, 4]], [[1.0, 2], [3, 4]], [0.0, 0], np.eye(2))[1],
     [[1, 3], [2, 4]], lambda: np.array([[1.0, 2], [3, 4]]) @ np.eye(2)),
    # One sample x = [1, 2], dY = [1, −1, 2]: dX = dY·Wᵀ = [1 + 4, −1 − 2], dW = xᵀdY, db = dY.
    ("affine_one_sample", lambda: np.concatenate([g.ravel() for g in reference.affine_layer_grads(
        [[1.0, 2]], [[1.0, 0, 2], [0, 1, -1]], [0.0, 0, 0], [[1.0, -1, 2]])]),
     [5, -3, 1, -1, 2, 2, -2, 4, 1, -1, 2],
     lambda: np.array([5.0, -3, 1, -1, 2, 2, -2, 4, 0, 0, 0])),
    # s = [1/6, 1/3, 1/2]; Jacobian sᵢ(δᵢⱼ − sⱼ).
    ("softmax", lambda: reference.softmax(Z123), S123, lambda: np.exp(Z123) / 3),
    ("softmax_jacobian", lambda: reference.softmax_jacobian(Z123),
     np.array([[5, -2, -3], [-2, 8, -6], [-3, -6, 9]]) / 36, lambda: np.diag(S123)),
    # ∂(zᵢ − lse)/∂zⱼ = δᵢⱼ − sⱼ.
    ("log_softmax_jacobian", lambda: reference.log_softmax_jacobian(Z123),
     np.array([[5, -2, -3], [-1, 4, -3], [-1, -2, 3]]) / 6, lambda: np.eye(3) - S123[:, None]),
    ("logsumexp", lambda: reference.logsumexp(Z123), math.log(6), lambda: np.log(np.exp(Z123).mean())),
    ("logsumexp_grad", lambda: reference.logsumexp_grad(Z123), S123, lambda: np.exp(Z123)),
    # Boyd & Vandenberghe §3.1.5: ∇²lse = diag(e)/(1ᵀe) − eeᵀ/(1ᵀe)² with e = exp(z) = [1, 2, 3].
    ("logsumexp_hessian", lambda: reference.logsumexp_hessian(Z123),
     np.diag([1.0, 2, 3]) / 6 - np.outer([1.0, 2, 3], [1.0, 2, 3]) / 36, lambda: 2 * reference.logsumexp_hessian(Z123)),
    # s − y for y one-hot and soft, s·Σy − y for Σy = 2.
    ("xent_one_hot", lambda: reference.softmax_cross_entropy_grad(Z123, [0.0, 0, 1]), [1 / 6, 1 / 3, -1 / 2],
     lambda: np.array([0.0, 0, 1]) - S123),
    ("xent_soft", lambda: reference.softmax_cross_entropy_grad(Z123, [0.5, 0.5, 0]), [-1 / 3, -1 / 6, 1 / 2],
     lambda: np.array([0.5, 0.5, 0]) - S123),
    ("xent_unnormalised", lambda: reference.softmax_cross_entropy_grad(Z123, [2.0, 0, 0]), [-5 / 3, 2 / 3, 1],
     lambda: S123 - [2.0, 0, 0]),
    # σ(0) = 1/2 so σ′(0) = 1/4; σ(±ln 3) = 3/4, 1/4 so σ′ = 3/16 on both sides.
    ("sigmoid_derivative", lambda: reference.sigmoid_derivative([0.0, math.log(3), -math.log(3)]), [1 / 4, 3 / 16, 3 / 16],
     lambda: np.array([0.5, 0.75, 0.25])),
    # tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 3/5, so tanh′ = 1 − 9/25 = 16/25; tanh′(0) = 1.
    ("tanh_derivative", lambda: reference.tanh_derivative([0.0, math.log(2)]), [1, 16 / 25], lambda: np.array([1.0, 1 - 3 / 5])),
    # softplus′ = σ: σ(0) = 1/2, σ(ln 3) = 3/4.
    ("softplus_derivative", lambda: reference.softplus_derivative([0.0, math.log(3)]), [1 / 2, 3 / 4],
     lambda: np.array([np.log(2), np.log(4)])),
    # xᵀAx = x₁² + 5x₁x₂ + 4x₂² for A = [[1, 2], [3, 4]]: gradient [2x₁ + 5x₂, 5x₁ + 8x₂] at (1, 2).
    ("quadratic_form_grad", lambda: reference.quadratic_form_grad([1.0, 2], [[1.0, 2], [3, 4]]), [12, 21],
     lambda: 2 * np.array([[1.0, 2], [3, 4]]) @ [1.0, 2]),
    ("quadratic_form_hessian", lambda: reference.quadratic_form_hessian([[1.0, 2], [3, 4]]), [[2, 5], [5, 8]],
     lambda: np.array([[1.0, 2], [3, 4]])),
    # Hessian-vector products along e₁ pick the Hessian's first column: [5, −2, −3]/36 above.
    ("logsumexp_hvp", lambda: reference.logsumexp_hvp(Z123, [1.0, 0, 0]), np.array([5, -2, -3]) / 36,
     lambda: S123 * [1.0, 0, 0]),
    # (A + Aᵀ)v = [[2, 5], [5, 8]]·[1, 2].
    ("quadratic_form_hvp", lambda: reference.quadratic_form_hvp([[1.0, 2], [3, 4]], [1.0, 2]), [12, 21],
     lambda: 2 * np.array([[1.0, 2], [3, 4]]) @ [1.0, 2]),
    # eq. (131): 2x.  eq. (129): x/‖x‖ for the 3-4-5 triangle.
    ("sq_norm_grad", lambda: reference.sq_norm_grad([3.0, -4]), [6, -8], lambda: np.array([3.0, -4])),
    ("l2_norm_grad", lambda: reference.l2_norm_grad([3.0, -4]), [0.6, -0.8], lambda: np.array([3.0, -4]) / 25),
    # eq. (132): 2W.
    ("frobenius_sq_grad", lambda: reference.frobenius_sq_grad([[1.0, -2], [3, 0]]), [[2, -4], [6, 0]],
     lambda: np.array([[1.0, -2], [3, 0]])),
    # ‖Xw − y‖² = w₁² + (2w₂ − 1)² + (w₁ + w₂ − 1)²: gradient [2w₁ + 2(w₁+w₂−1), 4(2w₂−1) + 2(w₁+w₂−1)] at (1, 1).
    ("least_squares_grad", lambda: reference.least_squares_grad([1.0, 1], [[1.0, 0], [0, 2], [1, 1]], [0.0, 1, 1]), [4, 6],
     lambda: np.array([1.0, 1, 1]) @ np.array([[1.0, 0], [0, 2], [1, 1]])),  # the factor 2 dropped
    # z = 2 − 2 + 0.5 > 0 passes w back; z = −0.5 and the tie z = 0 pass nothing (D2).
    ("neuron_dx_active", lambda: reference.neuron_activation_grad_x([1.0, -2], 0.5, [2.0, 1]), [1, -2],
     lambda: np.array([2.0, 1])),
    ("neuron_dx_inactive", lambda: reference.neuron_activation_grad_x([1.0, -2], -0.5, [2.0, 1]), [0, 0],
     lambda: np.array([1.0, -2])),
    ("neuron_dx_tie", lambda: reference.neuron_activation_grad_x([1.0, -2], 0.0, [2.0, 1]), [0, 0],
     lambda: np.array([1.0, -2])),
    # z = [2, 2], both active, N = 2: H = (2/2)(x̂₁x̂₁ᵀ + x̂₂x̂₂ᵀ), x̂₁ = [1, 0, 1], x̂₂ = [0, 1, 1].
    ("mse_hessian_active", lambda: reference.mse_loss_hessian([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0]),
     [[1, 0, 1], [0, 1, 1], [1, 1, 2]], lambda: 0.5 * reference.mse_loss_hessian([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0])),
    # the same H applied to v̂ = [1, 2, 3]: [1 + 3, 2 + 3, 1 + 2 + 6].
    ("mse_hvp_active", lambda: reference.mse_loss_hvp([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0], [1.0, 2, 3]), [4, 5, 9],
     lambda: reference.mse_loss_hvp([1.0, 1], 1.0, [[1.0, 0], [0, 1]], [0.0, 0], [1.0, 2, 3])[::-1]),
    # z = [0, 2, −1]: the tie and the inactive sample contribute nothing, N = 3 still divides:
    # H = (2/3)x̂x̂ᵀ with x̂ = [2, 1, 1].
    ("mse_hessian_tie", lambda: reference.mse_loss_hessian([1.0, 1], -1.0, [[0.5, 0.5], [2, 1], [0, 0]], [1.0, 3, 2]),
     np.outer([2, 1, 1], [2, 1, 1]) * 2 / 3,
     lambda: (np.outer([2, 1, 1], [2, 1, 1]) + np.outer([0.5, 0.5, 1], [0.5, 0.5, 1])) * 2 / 3),
    # x = [0, 1, 2], ε = 0: μ = 1, σ² = 2/3, r = √(3/2), x̂ = r[−1, 0, 1], and
    # I − 11ᵀ/3 − x̂x̂ᵀ/3 = [[1/6, −1/3, 1/6], [−1/3, 2/3, −1/3], [1/6, −1/3, 1/6]]; rows scaled by rγᵢ.
    ("layer_norm_jacobian", lambda: reference.layer_norm_jacobian([0.0, 1, 2], [1.0, 2, 3], eps=0.0),
     math.sqrt(1.5) * np.array([[1], [2], [3]]) * np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]]) / 6,
     lambda: math.sqrt(1.5) * np.diag([1.0, 2, 3]) @ (np.eye(3) - 1 / 3)),
    # eq. (57): A = [[2, 1], [0, 1]], det 2, cofactors [[1, 0], [−1, 2]]: ∂log|det A|/∂A = cofactors/det.
    ("logdet_grad", lambda: reference.logdet_grad([[2.0, 1], [0, 1]]), [[0.5, 0], [-0.5, 1]],
     lambda: np.linalg.inv([[2.0, 1], [0, 1]])),
    # det = −1 < 0: log|det| still has gradient A⁻ᵀ = A for this permutation matrix.
    ("logdet_grad_negative_det", lambda: reference.logdet_grad([[0.0, 1], [1, 0]]), [[0, 1], [1, 0]],
     lambda: -np.array([[0.0, 1], [1, 0]])),
    # eq. (59) at A = diag(2, 4): (A⁻¹)ᵢⱼ depends on A_kl only for (k, l) = (i, j):
    # d(1/2)/dA₀₀ = −1/4, d(1/4)/dA₁₁ = −1/16; [[a, e], [0, d]]⁻¹ has −e/(ad) at (0, 1), so −1/8 by A₀₁ (and likewise (1, 0)).
    ("inverse_jacobian", lambda: reference.inverse_jacobian([[2.0, 0], [0, 4]]),
     np.array([[[[-1 / 4, 0], [0, 0]], [[0, -1 / 8], [0, 0]]], [[[0, 0], [-1 / 8, 0]], [[0, 0], [0, -1 / 16]]]]),
     lambda: -np.einsum("il,kj->ijkl", np.diag([0.5, 0.25]), np.diag([0.5, 0.25]))),
    # [[a, e], [c, d]]⁻¹ = [[d, −e], [−c, a]]/(ad − ec); at a = d = e = 1, c = 0:
    # ∂(−e/Δ)/∂a = ed/Δ² = 1, ∂(−e/Δ)/∂e = −ad/Δ² = −1, ∂(d/Δ)/∂c = de/Δ² = 1, ∂(a/Δ)/∂e = ac/Δ² = 0.
    ("inverse_jacobian_general", lambda: reference.inverse_jacobian([[1.0, 1], [0, 1]])[FOUR_ENTRIES], [1, -1, 1, 0],
     lambda: -np.einsum("il,kj->ijkl", [[1.0, -1], [0, 1]], [[1.0, -1], [0, 1]])[FOUR_ENTRIES]),
    # eq. (100): tr(AB) = Σᵢⱼ AᵢⱼBⱼᵢ, so ∂/∂A = Bᵀ.
    ("trace_product_grad", lambda: reference.trace_product_grad(np.zeros((2, 3)), [[1.0, 2], [3, 4], [5, 6]]),
     [[1, 3, 5], [2, 4, 6]], lambda: np.array([[1.0, 2], [3, 4], [5, 6]]).reshape(2, 3)),
    # x = [1, 2], z = 4: ∂(x − z)/∂z = −1⃗, ∂(x/z)/∂x = I/4, ∂(x/z)/∂z = −x/16.
    ("sexp_sub_dx", lambda: reference.scalar_sub_jacobian_x([1.0, 2], 4.0), np.eye(2), lambda: -np.eye(2)),
    ("sexp_sub_dz", lambda: reference.scalar_sub_jacobian_z([1.0, 2], 4.0), [-1, -1], lambda: np.ones(2)),
    ("sexp_div_dx", lambda: reference.scalar_div_jacobian_x([1.0, 2], 4.0), np.eye(2) / 4, lambda: np.diag([1.0, 2]) / 4),
    ("sexp_div_dz", lambda: reference.scalar_div_jacobian_z([1.0, 2], 4.0), [-1 / 16, -1 / 8], lambda: np.array([-1 / 4, -1 / 2])),
]


@pytest.mark.parametrize(("computed", "expected"), [case[1:3] for case in KNOWN], ids=[case[0] for case in KNOWN])
def test_known_value(computed, expected, close):
    close(computed(), expected)


@pytest.mark.parametrize(("planted", "expected"), [(case[3], case[2]) for case in KNOWN], ids=[case[0] for case in KNOWN])
def test_known_value_rejects_a_planted_mistake(planted, expected, close):
    """The comparison above fails on a wrong rule (transposed, missing term, off by a factor…)."""
    with pytest.raises(AssertionError):
        close(planted(), expected)


def test_chain_of_three_links(close):
    # d/dx ln(sin(x³)²) at x = 1: u₁ = x³, u₂ = sin u₁, u₃ = u₂², y = ln u₃ → 6x²cos(x³)/sin(x³)
    u2 = math.sin(1.0)
    du2 = reference.single_variable_chain(math.cos(1.0), 3.0)
    du3 = reference.single_variable_chain(2 * u2, du2)
    close(reference.single_variable_chain(1 / u2**2, du3), 6 * math.cos(1.0) / math.sin(1.0))


def test_loss_example_by_hand(close):
    # X rows (1,2), (3,−4), (0,1); w = (0.5, 0.2), b = 0.1 → z = (1.0, 0.8, 0.3), all active;
    # y = (1, 2, 3) → e = z − y = (0, −1.2, −2.7); C = (0 + 1.44 + 7.29)/3 = 2.91
    # ∂C/∂w = (2/3)(0·(1,2) − 1.2·(3,−4) − 2.7·(0,1)) = (2/3)(−3.6, 2.1) = (−2.4, 1.4); ∂C/∂b = (2/3)(−3.9) = −2.6
    # The decimals are not binary fractions: z and e carry a few roundings of magnitude 4, hence 1e-14.
    X, y, w, b = np.array([[1.0, 2.0], [3.0, -4.0], [0.0, 1.0]]), np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.2]), 0.1
    np.testing.assert_allclose(reference.mse_loss(w, b, X, y), 2.91, rtol=1e-14)
    np.testing.assert_allclose(reference.mse_loss_grad_w(w, b, X, y), [-2.4, 1.4], rtol=1e-14)
    np.testing.assert_allclose(reference.mse_loss_grad_b(w, b, X, y), -2.6, rtol=1e-14)
    # bias folding gives the same numbers, with ∂C/∂b last
    folded = reference.mse_loss_grad_folded(reference.fold_bias(w, b), reference.append_ones(X), y)
    np.testing.assert_allclose(folded, [-2.4, 1.4, -2.6], rtol=1e-14)
    # gd_update with η = 0.1: w − η∂C/∂w
    new_w, new_b = reference.gradient_descent_step(w, b, reference.mse_loss_grad_w(w, b, X, y), reference.mse_loss_grad_b(w, b, X, y), 0.1)
    np.testing.assert_allclose(new_w, [0.74, 0.06], rtol=1e-14)
    np.testing.assert_allclose(new_b, 0.36, rtol=1e-14)


def test_power_rule_domain():
    with pytest.raises(ValueError, match="scalar_power: n must be an integer >= 0"):
        reference.power_rule(2.0, -1)
