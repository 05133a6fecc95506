"""The paper's worked examples, computed by hand (each comment says how), against the reference.

These pin the rules to the paper independently of JAX: the expected numbers are not taken from
the code under test.
"""

import math
import re

import numpy as np
import pytest

import reference as R
from verification.compare import compare


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=4 * np.finfo(np.float64).eps, atol=0)


# --- scalar_examples (§2), at x = 2 --------------------------------------------------------

def test_scalar_examples():
    x = 2.0
    close(R.constant_rule(x), 0.0)                                                 # d/dx 99 = 0
    close(R.const_multiple_rule(3.0, 1.0), 3.0)                                    # d/dx 3x = 3
    close(R.power_rule(x, 3), 12.0)                                                # 3x² = 12
    close(R.sum_rule(R.power_rule(x, 2), R.const_multiple_rule(3.0, 1.0)), 7.0)    # 2x + 3 = 7
    close(R.difference_rule(R.power_rule(x, 2), R.const_multiple_rule(3.0, 1.0)), 1.0)  # 2x − 3 = 1
    close(R.product_rule(x**2, R.power_rule(x, 2), x, 1.0), 12.0)                  # d/dx x²·x = 3x² = 12
    close(R.single_variable_chain(1 / x**2, R.power_rule(x, 2)), 1.0)              # d/dx ln(x²) = 2/x = 1
    close(R.const_multiple_rule(9.0, R.sum_rule(1.0, R.power_rule(x, 2))), 45.0)   # 9 + 18x = 45


def test_power_rule_domain():
    close(R.power_rule(0.0, 0), 0.0)  # d/dx x⁰ = 0, not 0·0⁻¹
    with pytest.raises(ValueError, match="scalar_power: n must be an integer >= 0"):
        R.power_rule(2.0, -1)


# --- partial_derivative and gradient_row (§3) ------------------------------------------------

def test_partial_derivatives_of_3x2y():
    x, y = 2.0, 5.0
    close(R.const_multiple_rule(3 * y, R.power_rule(x, 2)), 60.0)  # ∂/∂x 3x²y = 6yx = 60
    close(R.const_multiple_rule(3 * x**2, 1.0), 12.0)               # ∂/∂y 3x²y = 3x² = 12


def test_gradient_row_of_2x_plus_y8():
    # ∇(2x + y⁸) = [2, 8y⁷]; at (1, 2): [2, 1024]
    grad = R.gradient([lambda p: 2.0, lambda p: 8 * p[1] ** 7], np.array([1.0, 2.0]))
    assert grad.shape == (2,)
    close(grad, [2.0, 1024.0])


# --- Jacobians (§4.1) -------------------------------------------------------------------------

PAPER_2X2 = [lambda p: np.array([6 * p[1] * p[0], 3 * p[0] ** 2]), lambda p: np.array([2.0, 8 * p[1] ** 7])]


def test_jacobian_example_2x2():
    # f = 3x²y, g = 2x + y⁸ at (x, y) = (1, 2): [[6yx, 3x²], [2, 8y⁷]] = [[12, 3], [2, 1024]]
    close(R.jacobian_from_gradients(PAPER_2X2, np.array([1.0, 2.0])), [[12.0, 3.0], [2.0, 1024.0]])


def test_denominator_layout_is_the_transpose_and_is_named_so():
    numerator = R.jacobian_from_gradients(PAPER_2X2, np.array([1.0, 2.0]))
    denominator = np.array([[12.0, 2.0], [3.0, 1024.0]])  # the paper's denominator-layout example
    c = compare(denominator, numerator, rule="jacobian_denominator_layout", oracle="jacfwd")
    assert not c.ok and "transposed" in c.hint


def test_identity_jacobian():
    close(R.identity_jacobian(np.array([5.0, -1.0, 2.0])), np.eye(3))


def test_finite_difference_jacobian_on_the_paper_example():
    # truncation error ≈ h²/6·|f'''| with h ≈ 6e-6·2 and f''' = 336y⁵ ≈ 1.1e4 → ≈ 3e-7 absolute
    # on an entry of 1024; 1e-9 relative to the largest entry leaves room for rounding
    fd = R.finite_difference_jacobian(lambda p: np.array([3 * p[0] ** 2 * p[1], 2 * p[0] + p[1] ** 8]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(fd, [[12.0, 3.0], [2.0, 1024.0]], rtol=0, atol=1e-9 * 1024)


@pytest.mark.parametrize(
    "f, x, shape",
    [
        (lambda x: x**2, np.array(3.0), ()),                       # scalar by scalar: 1×1 → ()
        (lambda x: x @ x, np.ones(4), (4,)),                        # scalar by vector: 1×n → (n,)
        (lambda x: np.stack([x, 2 * x, 3 * x]), np.array(1.0), (3,)),  # vector by scalar: m×1 → (m,)
        (lambda x: np.stack([x.sum(), x[0]]), np.ones(4), (2, 4)),  # vector by vector: m×n
    ],
    ids=["scalar-scalar", "scalar-vector", "vector-scalar", "vector-vector"],
)
def test_jacobian_shapes(f, x, shape):
    assert R.finite_difference_jacobian(f, x).shape == shape


# --- element-wise, scalar expansion, reductions (§4.2–4.4) ----------------------------------

def test_elementwise_examples():
    w, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    close(R.mul_jacobian_w(w, x), [[3.0, 0.0], [0.0, 4.0]])           # diag(x)
    close(R.mul_jacobian_x(w, x), [[1.0, 0.0], [0.0, 2.0]])           # diag(w)
    close(R.div_jacobian_w(w, x), [[1 / 3, 0.0], [0.0, 1 / 4]])       # diag(1/x)
    close(R.div_jacobian_x(w, x), [[-1 / 9, 0.0], [0.0, -2 / 16]])    # diag(−w/x²)
    close(R.sub_jacobian_x(w, x), -np.eye(2))


def test_scalar_expansion_examples():
    x, z = np.array([1.0, 2.0, 3.0]), 2.0
    close(R.scalar_add_jacobian_z(x, z), [1.0, 1.0, 1.0])
    close(R.scalar_mul_jacobian_x(x, z), 2 * np.eye(3))
    close(R.scalar_mul_jacobian_z(x, z), x)
    close(np.add(x, z), x + np.ones(3) * z)  # sexp_definition: x + z ≡ x + 1⃗z


def test_reduction_examples():
    w, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    close(R.dot(w, x), 11.0)                                     # dot_as_sum: 1·3 + 2·4
    close(R.dot(w, x), np.sum(w * x))
    close(R.dot_grad_w(w, x), [3.0, 4.0])                        # xᵀ
    close(R.dot_grad_x(w, x), [1.0, 2.0])                        # wᵀ
    close(R.sum_scaled_grad_z(np.array([1.0, 2.0, 3.0]), 5.0), 6.0)  # sum(x)
    close(R.sum_scaled_grad_x(np.array([1.0, 2.0, 3.0]), 5.0), [5.0, 5.0, 5.0])


# --- chain rules (§4.5) ------------------------------------------------------------------------

def test_chain_single_variable_examples():
    x = 1.0
    # d/dx sin(x²) = 2x·cos(x²) = 2cos(1)
    close(R.single_variable_chain(math.cos(x**2), 2 * x), 2 * math.cos(1.0))
    # d/dx ln(sin(x³)²): u₁ = x³, u₂ = sin u₁, u₃ = u₂², y = ln u₃ → 6x²cos(x³)/sin(x³)
    u1 = x**3
    u2 = math.sin(u1)
    du2 = R.single_variable_chain(math.cos(u1), 3 * x**2)
    du3 = R.single_variable_chain(2 * u2, du2)
    close(R.single_variable_chain(1 / u2**2, du3), 6 * math.cos(1.0) / math.sin(1.0))


def test_chain_total_derivative_examples():
    x = 3.0
    # y = x + x² with u₁ = x²: ∂f/∂x = 1, ∂f/∂u₁ = 1, du₁/dx = 2x → 1 + 2x = 7
    close(R.total_derivative(1.0, np.array([1.0]), np.array([2 * x])), 7.0)
    # the §8.5 aliased form with u₂ = x gives the same
    close(R.total_derivative_aliased(np.array([1.0, 1.0]), np.array([2 * x, 1.0])), 7.0)
    # y = sin(x + x²): cos(x + x²)(1 + 2x)
    u1 = x**2
    close(R.total_derivative(0.0, np.array([math.cos(x + u1)] * 2), np.array([1.0, 2 * x])),
          math.cos(12.0) * 7.0)
    # y = x·x² kept as f(x, u₁) = x·u₁: ∂f/∂x = u₁, ∂f/∂u₁ = x → x² + 2x² = 3x² = 27
    close(R.total_derivative(u1, np.array([x]), np.array([2 * x])), 27.0)


def test_dropping_the_alias_loses_the_direct_path():
    # the paper's y = x + x² pitfall: without u₂ = x the table form gives 2x = 6, not 7
    close(R.total_derivative_aliased(np.array([1.0]), np.array([6.0])), 6.0)


def test_chain_vector_scalar_x_example():
    # y = [ln(x²), sin(3x)], g = [x², 3x]: [2/x, 3cos(3x)] at x = 1 → [2, 3cos 3]
    x = 1.0
    df_dg = np.diag([1 / x**2, math.cos(3 * x)])
    close(R.vector_chain(df_dg, np.array([2 * x, 3.0])), [2.0, 3 * math.cos(3.0)])


def test_chain_forward_vs_reverse_order():
    # scalars commute; matrices do not: the shapes only fit one way round
    close(R.single_variable_chain(3.0, 5.0), R.single_variable_chain(5.0, 3.0))
    df_dg, dg_dx = np.ones((2, 3)), np.ones((3, 4))
    assert R.vector_chain(df_dg, dg_dx).shape == (2, 4)
    with pytest.raises(ValueError, match=re.escape("k = |g| must agree")):
        R.vector_chain(dg_dx, df_dg)


@pytest.mark.parametrize(
    "df_dg, dg_dx, shape",
    [
        (np.ones(3), np.ones(3), ()),              # (1×k)(k×1)
        (np.ones(3), np.ones((3, 4)), (4,)),       # (1×k)(k×n)
        (np.ones((2, 1)), np.ones(1), (2,)),       # (m×1)(1×1)
        (np.ones((2, 3)), np.ones(3), (2,)),       # (m×k)(k×1)
        (np.ones((2, 3)), np.ones((3, 4)), (2, 4)),  # (m×k)(k×n)
    ],
)
def test_chain_shape_table(df_dg, dg_dx, shape):
    assert R.vector_chain(df_dg, dg_dx).shape == shape


def test_chain_rules_hierarchy():
    # the total-derivative rule is the vector chain rule with a 1×(n+1) and an (n+1)×1 factor
    df_du, du_dx = np.array([0.5, -2.0, 3.0]), np.array([4.0, 1.5, 1.0])
    close(R.total_derivative_aliased(df_du, du_dx), R.vector_chain(df_du, du_dx))
    # and the single-variable rule is its 1×1 case
    close(R.vector_chain(np.array([2.0]), np.array([7.0])), R.single_variable_chain(2.0, 7.0))


def test_chain_vector_diagonal_equals_full_product_of_diagonals():
    a, b = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    close(R.vector_chain_diagonal(a, b), R.vector_chain(np.diag(a), np.diag(b)))


# --- neuron and loss (§5, §6) -------------------------------------------------------------------

def test_neuron_examples():
    w, x = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    # z = 1·3 + 2·(−1) + b
    close(R.neuron_activation(w, 0.5, x), 1.5)
    close(R.neuron_activation_grad_w(w, 0.5, x), x)       # active: xᵀ
    close(R.neuron_activation_grad_b(w, 0.5, x), 1.0)
    close(R.neuron_activation_grad_w(w, -1.5, x), [0.0, 0.0])  # z = −0.5: inactive, 0⃗ᵀ
    close(R.relu_jacobian(np.array([-1.0, 0.0, 2.0])), np.diag([0.0, 0.0, 1.0]))


def test_loss_example_by_hand():
    # X rows (1,2), (3,−4), (0,1); w = (0.5, 0.2), b = 0.1 → z = (1.0, 0.8, 0.3), all active;
    # y = (1, 2, 3) → e = z − y = (0, −1.2, −2.7); C = (0 + 1.44 + 7.29)/3 = 2.91
    # ∂C/∂w = (2/3)(0·(1,2) − 1.2·(3,−4) − 2.7·(0,1)) = (2/3)(−3.6, 2.1) = (−2.4, 1.4); ∂C/∂b = (2/3)(−3.9) = −2.6
    X, y, w, b = np.array([[1.0, 2.0], [3.0, -4.0], [0.0, 1.0]]), np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.2]), 0.1
    np.testing.assert_allclose(R.mse_loss(w, b, X, y), 2.91, rtol=1e-14)
    np.testing.assert_allclose(R.mse_loss_grad_w(w, b, X, y), [-2.4, 1.4], rtol=1e-14)
    np.testing.assert_allclose(R.mse_loss_grad_b(w, b, X, y), -2.6, rtol=1e-14)
    # bias folding gives the same numbers, with ∂C/∂b last
    folded = R.mse_loss_grad_folded(R.fold_bias(w, b), R.append_ones(X), y)
    np.testing.assert_allclose(folded, [-2.4, 1.4, -2.6], rtol=1e-14)
    # gd_update with η = 0.1: w − η∂C/∂w
    new_w, new_b = R.gradient_descent_step(w, b, R.mse_loss_grad_w(w, b, X, y), R.mse_loss_grad_b(w, b, X, y), 0.1)
    np.testing.assert_allclose(new_w, [0.74, 0.06], rtol=1e-14)
    np.testing.assert_allclose(new_b, 0.36, rtol=1e-14)


def test_residual_jacobian_example():
    # v = y − max(0, Xw + b); z = (1.5, −0.5): sample 0 active → row −x₀, sample 1 inactive → 0
    X, w = np.array([[3.0, -1.0], [0.0, -1.0]]), np.array([1.0, 2.0])
    close(R.residual_jacobian_w(w, 0.5, X, np.zeros(2)), [[-3.0, 1.0], [0.0, 0.0]])
    close(R.residual_jacobian_b(w, 0.5, X, np.zeros(2)), [-1.0, 0.0])
