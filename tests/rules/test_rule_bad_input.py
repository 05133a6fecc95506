"""Bad input gets a clear error naming the argument, on both sides (the reference rules and the
JAX side of a row), never a deep traceback or a silently wrong number."""

import math
import re

import jax.numpy as jnp
import numpy as np
import pytest

import reference
from verification import check_derivative
from verification.rules import get_rule
from verification.verify import check_example

EPS = np.finfo(np.float64).eps
W, X2, Y = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([1.0, 2.0, 3.0])

# (id, call, error, the start of its message: a regular expression)
BAD = [
    # --- the paper ---------------------------------------------------------------------------
    ("ew_lengths", lambda: reference.mul_jacobian_w(np.ones(3), np.ones(4)), ValueError,
     re.escape("w and x must have the same length: w has 3, x has 4")),
    ("dot_lengths", lambda: reference.dot(np.ones(2), np.ones(3)), ValueError, "w and x must have the same length"),
    ("neuron_lengths", lambda: reference.neuron_activation_grad_w(np.ones(2), 0.0, np.ones(3)), ValueError,
     "w and x must have the same length"),
    ("loss_X_vector", lambda: reference.mse_loss(W, 0.0, np.ones(3), Y), ValueError,
     re.escape("X: expected a 2-D matrix, got an array of shape (3,)")),
    ("loss_rows", lambda: reference.mse_loss_grad_w(W, 0.0, X2, np.ones(4)), ValueError,
     "X and y must have the same number of rows: X has 3, y has 4"),
    ("loss_columns", lambda: reference.mse_loss_grad_b(np.ones(3), 0.0, X2, Y), ValueError,
     "X must have one column per weight: X has 2 columns, w has 3"),
    ("loss_b_vector", lambda: reference.mse_loss(W, np.ones(2), X2, Y), ValueError, "b: expected a scalar"),
    ("ew_w_matrix", lambda: reference.sub_jacobian_x(np.ones((2, 2)), np.ones(2)), ValueError, "w: expected a 1-D vector"),
    ("sexp_z_vector", lambda: reference.scalar_add_jacobian_z(np.ones(2), np.ones(2)), ValueError, "z: expected a scalar"),
    ("loss_X_nan", lambda: reference.mse_loss_grad_w(W, 0.0, np.array([[1.0, np.nan], [0, 0], [0, 0]]), Y), ValueError,
     re.escape("X: contains NaN or inf at index (0, 1)")),
    ("relu_inf", lambda: reference.relu_derivative(np.array([0.0, np.inf])), ValueError, re.escape("z: contains NaN or inf at index (1,)")),
    ("loss_b_nan", lambda: reference.mse_loss(W, np.nan, X2, Y), ValueError, "b: contains NaN or inf"),
    ("div_by_zero", lambda: reference.div_jacobian_x(np.ones(3), np.array([1.0, 0.0, 2.0])), ValueError,
     re.escape("ew_div_dx: x must be nonzero (the rule divides by it), but x[1] == 0")),
    ("div_by_negative_zero", lambda: reference.div_jacobian_w(np.ones(2), np.array([-0.0, 2.0])), ValueError,
     "ew_div_dw: x must be nonzero"),
    ("chain_diagonal_lengths", lambda: reference.vector_chain_diagonal(np.ones(2), np.ones(3)), ValueError,
     "df_dg and dg_dx must have the same length"),
    ("gradient_shape", lambda: reference.jacobian_from_gradients([lambda x: np.ones(3)], np.ones(2)), ValueError,
     re.escape("gradients[0]: returned shape (3,), expected (2,)")),
    # --- beyond the paper --------------------------------------------------------------------
    ("l2_norm_at_zero", lambda: reference.l2_norm_grad([0.0, 0.0]), ValueError, r"ext_l2_norm: x must be nonzero"),
    ("logdet_singular", lambda: reference.logdet_grad([[1.0, 2], [2, 4]]), ValueError, r"ext_logdet_grad: A must be invertible.*singular"),
    ("logdet_numerically_singular", lambda: reference.logdet_grad([[1.0, 1], [1, 1 + 2 * EPS]]), ValueError,
     r"A must be invertible.*condition number"),
    ("inverse_singular", lambda: reference.inverse_jacobian(np.zeros((3, 3))), ValueError, r"ext_inverse_jacobian: A must be invertible"),
    ("logdet_not_square", lambda: reference.logdet_grad(np.ones((2, 3))), ValueError, r"A: expected a non-empty square matrix"),
    ("logdet_inf", lambda: reference.logdet_grad([[1.0, np.inf], [0, 1]]), ValueError, r"A: contains NaN or inf at index \(0, 1\)"),
    ("sexp_div_by_zero", lambda: reference.scalar_div_jacobian_z([1.0, 2], 0.0), ValueError, r"ext_sexp_sub_div: z must be nonzero"),
    ("matvec_shapes", lambda: reference.matvec_jacobian_W(np.ones((2, 3)), np.ones(2)), ValueError,
     r"W must have one column per entry of x"),
    ("matvec_x_matrix", lambda: reference.matvec_jacobian_x(np.ones((2, 3)), np.ones((3, 1))), ValueError, r"x: expected a 1-D vector"),
    ("affine_dY_shape", lambda: reference.affine_layer_grads(np.ones((4, 2)), np.ones((2, 3)), np.ones(3), np.ones((4, 2))), ValueError,
     r"dY must have the shape of Y = XW \+ b, \(4, 3\)"),
    ("affine_b_length", lambda: reference.affine_layer_grads(np.ones((4, 2)), np.ones((2, 3)), np.ones(2), np.ones((4, 3))), ValueError,
     r"b must have one entry per column of W"),
    ("affine_W_rows", lambda: reference.affine_layer_grads(np.ones((4, 2)), np.ones((3, 3)), np.ones(3), np.ones((4, 3))), ValueError,
     r"W must have one row per column of X"),
    ("softmax_nan", lambda: reference.softmax_jacobian([np.nan, 1.0]), ValueError, r"z: contains NaN or inf at index \(0,\)"),
    ("softmax_empty", lambda: reference.softmax(np.zeros(0)), ValueError, r"z: expected at least one logit"),
    ("xent_lengths", lambda: reference.softmax_cross_entropy_grad([1.0, 2, 3], [1.0, 0]), ValueError, r"z and y must have the same length"),
    ("xent_label_inf", lambda: reference.softmax_cross_entropy_grad([1.0, 2], [np.inf, 0]), ValueError, r"y: contains NaN or inf"),
    ("sigmoid_inf", lambda: reference.sigmoid_derivative([1.0, -np.inf]), ValueError, r"z: contains NaN or inf at index \(1,\)"),
    ("tanh_bool", lambda: reference.tanh_derivative(np.array([True])), TypeError, r"z: expected real numbers, got a boolean"),
    ("quadratic_form_A_size", lambda: reference.quadratic_form_grad(np.ones(2), np.eye(3)), ValueError, r"A must be n×n for x of length n"),
    ("quadratic_form_A_not_square", lambda: reference.quadratic_form_hessian(np.ones((2, 3))), ValueError, r"A: expected a square matrix"),
    ("least_squares_rows", lambda: reference.least_squares_grad(np.ones(2), np.ones((3, 2)), np.ones(4)), ValueError,
     r"X and y must have the same number of rows"),
    ("least_squares_columns", lambda: reference.least_squares_grad(np.ones(3), np.ones((3, 2)), np.ones(3)), ValueError,
     r"X must have one column per weight"),
    ("frobenius_vector", lambda: reference.frobenius_sq_grad(np.ones(3)), ValueError, r"W: expected a 2-D matrix"),
    ("trace_shapes", lambda: reference.trace_product_grad(np.ones((2, 3)), np.ones((2, 3))), ValueError,
     r"B must have the transposed shape of A"),
    ("layer_norm_gamma_length", lambda: reference.layer_norm_jacobian(np.arange(3.0), np.ones(2)), ValueError,
     r"x and gamma must have the same length"),
    ("layer_norm_negative_eps", lambda: reference.layer_norm_jacobian(np.arange(3.0), np.ones(3), eps=-1e-3), ValueError,
     r"eps: must be >= 0"),
    ("layer_norm_nan_eps", lambda: reference.layer_norm_jacobian(np.arange(3.0), np.ones(3), eps=np.nan), ValueError,
     r"eps: contains NaN or inf"),
    ("layer_norm_constant_without_eps", lambda: reference.layer_norm_jacobian(np.ones(3), np.ones(3), eps=0.0), ValueError,
     r"x: every entry is equal and eps = 0"),
    ("layer_norm_x_nan", lambda: reference.layer_norm_jacobian([1.0, np.nan], np.ones(2)), ValueError, r"x: contains NaN or inf"),
    ("neuron_dx_lengths", lambda: reference.neuron_activation_grad_x(np.ones(2), 0.0, np.ones(3)), ValueError,
     r"w and x must have the same length"),
    ("logsumexp_hvp_lengths", lambda: reference.logsumexp_hvp(np.ones(3), np.ones(2)), ValueError, r"z and v must have the same length"),
    ("quadratic_form_hvp_lengths", lambda: reference.quadratic_form_hvp(np.eye(3), np.ones(2)), ValueError,
     r"A must be n×n for v of length n"),
    ("mse_hvp_direction_length", lambda: reference.mse_loss_hvp(np.ones(2), 0.0, np.ones((3, 2)), np.ones(3), np.ones(2)), ValueError,
     r"v must have one entry per weight and one for the bias \(3\)"),
    ("mse_hessian_rows", lambda: reference.mse_loss_hessian(np.ones(2), 0.0, np.ones((3, 2)), np.ones(2)), ValueError,
     r"X and y must have the same number of rows"),
    ("mse_hessian_b_vector", lambda: reference.mse_loss_hessian(np.ones(2), np.ones(2), np.ones((3, 2)), np.ones(3)), ValueError,
     r"b: expected a scalar"),
]


@pytest.mark.parametrize(("call", "error", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "value, message",
    [
        (np.array(["a", "b"]), "x: expected a real numeric array, got dtype <U1"),
        (np.array([1.0, None], dtype=object), "x: expected a real numeric array, got dtype object"),
        (np.array([True, False]), "x: expected real numbers, got a boolean array"),
        (np.array([1 + 2j, 0j]), "x: expected real numbers, got complex dtype complex128"),
        ([[1.0, 2.0], [3.0]], "x: cannot be read as a numeric array"),
    ],
    ids=["strings", "objects", "booleans", "complex", "ragged"],
)
def test_reference_type_errors_name_the_argument(value, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        reference.mul_jacobian_w(np.ones(2), value)


# (computed from integer arrays, expected by hand: the same values as from floats)
INTEGER_INPUTS = [
    (lambda: reference.div_jacobian_x(np.array([1, 2]), np.array([3, 4])), [[-1 / 9, 0], [0, -2 / 16]]),
    # X = [[1, 2], [3, 4], [5, 6]], w = [1, 1], b = 0: z = e + y = [3, 7, 11], e = [2, 5, 8]; (2/3)Σeᵢxᵢ = (2/3)[57, 72]
    (lambda: reference.mse_loss_grad_w(np.array([1, 1]), 0, np.array([[1, 2], [3, 4], [5, 6]]), np.array([1, 2, 3])), [38, 48]),
    (lambda: reference.softmax_jacobian([0, 0]), [[0.25, -0.25], [-0.25, 0.25]]),
    (lambda: reference.l2_norm_grad([3, -4]), [0.6, -0.8]),
    (lambda: reference.logdet_grad([[2, 1], [0, 1]]), [[0.5, 0], [-0.5, 1]]),
    (lambda: reference.scalar_div_jacobian_z(np.array([1, 2]), np.array(4)), [-1 / 16, -1 / 8]),
    (lambda: reference.sigmoid_derivative(0), 0.25),
    (lambda: reference.trace_product_grad(np.zeros((1, 2), dtype=int), [[3], [4]]), [[3, 4]]),
    (lambda: reference.layer_norm_jacobian([0, 1, 2], [1, 1, 1], eps=0),
     math.sqrt(1.5) * np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]]) / 6),
]


@pytest.mark.parametrize(("computed", "expected"), INTEGER_INPUTS)
def test_integer_arrays_are_computed_in_float64(computed, expected, close):
    value = computed()
    assert value.dtype == np.float64
    close(value, expected, scale=max(1.0, float(np.abs(expected).max())))


def test_float32_stays_float32():
    z = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    for value in (reference.mul_jacobian_w(z, z), reference.softmax_jacobian(z), reference.sigmoid_derivative(z),
                  reference.tanh_derivative(z), reference.l2_norm_grad(z), reference.layer_norm_jacobian(z, np.ones(3, dtype=np.float32)),
                  reference.softmax_cross_entropy_grad(z, z)):
        assert value.dtype == np.float32


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_side_casts_integers_at_its_boundary(dtype):
    """jax.grad refuses integer inputs; the boundary casts them, so the user never sees that."""
    result = check_derivative(jnp.dot, lambda w, x: x, np.array([1, 2]), np.array([3, 4]), dtype=dtype)
    assert result.passed and result.dtypes == (dtype,)
    integers = np.array([1, 1]), 0, np.array([[1, 2], [3, -4]]), np.array([1, 2])
    assert all(c.ok for c in check_example(get_rule("mse_grad_w"), *integers, dtype=dtype))


def test_jax_side_rejects_nan_naming_the_argument():
    with pytest.raises(ValueError, match=re.escape("x: contains NaN or inf at index (1,)")):
        check_example(get_rule("ew_mul_dw"), np.ones(2), np.array([1.0, np.nan]))


def test_jax_side_rejects_strings_naming_the_argument():
    with pytest.raises(TypeError, match="w: expected a real numeric array"):
        check_example(get_rule("ew_mul_dw"), np.array(["1", "2"]), np.ones(2))


def test_jax_side_rejects_a_wrong_number_of_arguments():
    with pytest.raises(TypeError, match=re.escape("dot_dw: expected 2 arguments ('w', 'x'), got 1")):
        check_example(get_rule("dot_dw"), np.ones(2))


def test_jax_side_rejects_an_unknown_dtype():
    with pytest.raises(ValueError, match="dtype: expected .*float64.* or .*float32.*, got float16"):
        check_example(get_rule("dot_dw"), np.ones(2), np.ones(2), dtype=np.float16)


def test_unknown_rule_lists_the_names():
    with pytest.raises(KeyError, match="no rule named 'dot'; known rules: scalar_constant"):
        get_rule("dot")
