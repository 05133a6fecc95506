"""Bad input gets a clear error naming the argument, on both sides, never a deep traceback or a
silently wrong number."""

import re

import jax.numpy as jnp
import numpy as np
import pytest

import reference as R
from verification import check_derivative
from verification.rules import get_rule
from verification.verify import check_example

W, X2, Y = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: R.mul_jacobian_w(np.ones(3), np.ones(4)), "w and x must have the same length: w has 3, x has 4"),
        (lambda: R.dot(np.ones(2), np.ones(3)), "w and x must have the same length"),
        (lambda: R.neuron_activation_grad_w(np.ones(2), 0.0, np.ones(3)), "w and x must have the same length"),
        (lambda: R.mse_loss(W, 0.0, np.ones(3), Y), "X: expected a 2-D matrix, got an array of shape (3,)"),
        (lambda: R.mse_loss_grad_w(W, 0.0, X2, np.ones(4)), "X and y must have the same number of rows: X has 3, y has 4"),
        (lambda: R.mse_loss_grad_b(np.ones(3), 0.0, X2, Y), "X must have one column per weight: X has 2 columns, w has 3"),
        (lambda: R.mse_loss(W, np.ones(2), X2, Y), "b: expected a scalar"),
        (lambda: R.sub_jacobian_x(np.ones((2, 2)), np.ones(2)), "w: expected a 1-D vector"),
        (lambda: R.scalar_add_jacobian_z(np.ones(2), np.ones(2)), "z: expected a scalar"),
        (lambda: R.mse_loss_grad_w(W, 0.0, np.array([[1.0, np.nan], [0, 0], [0, 0]]), Y), "X: contains NaN or inf at index (0, 1)"),
        (lambda: R.relu_derivative(np.array([0.0, np.inf])), "z: contains NaN or inf at index (1,)"),
        (lambda: R.mse_loss(W, np.nan, X2, Y), "b: contains NaN or inf"),
        (lambda: R.div_jacobian_x(np.ones(3), np.array([1.0, 0.0, 2.0])), "ew_div_dx: x must be nonzero (the rule divides by it), but x[1] == 0"),
        (lambda: R.div_jacobian_w(np.ones(2), np.array([-0.0, 2.0])), "ew_div_dw: x must be nonzero"),
        (lambda: R.vector_chain_diagonal(np.ones(2), np.ones(3)), "df_dg and dg_dx must have the same length"),
        (lambda: R.jacobian_from_gradients([lambda x: np.ones(3)], np.ones(2)), "gradients[0]: returned shape (3,), expected (2,)"),
    ],
)
def test_reference_value_errors_name_the_argument(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
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
        R.mul_jacobian_w(np.ones(2), value)


def test_integer_arrays_are_computed_in_float64():
    J = R.div_jacobian_x(np.array([1, 2]), np.array([3, 4]))
    assert J.dtype == np.float64
    np.testing.assert_array_equal(J, R.div_jacobian_x(np.array([1.0, 2.0]), np.array([3.0, 4.0])))
    assert R.mse_loss_grad_w(np.array([1, 1]), 0, np.array([[1, 2], [3, 4], [5, 6]]), np.array([1, 2, 3])).dtype == np.float64


def test_float32_stays_float32():
    assert R.mul_jacobian_w(np.ones(2, np.float32), np.ones(2, np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_side_casts_integers_at_its_boundary(dtype):
    """jax.grad refuses integer inputs; the boundary casts them, so the user never sees that."""
    result = check_derivative(jnp.dot, lambda w, x: x, np.array([1, 2]), np.array([3, 4]), dtype=dtype)
    assert result.passed and result.dtypes == (dtype,)
    assert all(c.ok for c in check_example(get_rule("mse_grad_w"), [1, 1], 0, [[1, 2], [3, -4]], [1, 2]))


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
    with pytest.raises(ValueError, match="dtype: expected None, float64 or float32, got float16"):
        check_example(get_rule("dot_dw"), np.ones(2), np.ones(2), dtype=np.float16)


def test_unknown_rule_lists_the_names():
    with pytest.raises(KeyError, match="no rule named 'dot'; known rules: scalar_constant"):
        get_rule("dot")
