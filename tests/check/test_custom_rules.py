"""Custom rules in one call, and an ``f`` JAX cannot trace explained at the user's line.

A ``jax.custom_vjp``'s ``bwd`` (and the primal output of its ``fwd``) and a ``jax.custom_jvp``'s
rule are checked against JAX's derivative of the function they decorate, in both lanes; a planted
mistake in the rule fails; checking a rule against itself is refused; where the undecorated
function is not differentiable, a ``reference`` is taken and the report says so."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from verification import assert_custom_rule, check_custom_rule, check_derivative, verify_custom_rule
from verification import strategies as S

X = np.array([-30.0, -2.0, 0.5, 40.0])


def _softplus_vjp(backward):
    @jax.custom_vjp
    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    softplus.defvjp(lambda x: (softplus(x), x), backward)
    return softplus


stable_softplus = _softplus_vjp(lambda x, g: (g * jax.nn.sigmoid(x),))
softplus_wrong_sign = _softplus_vjp(lambda x, g: (g * jax.nn.sigmoid(-x),))


@jax.custom_jvp
def scaled_sin(p):
    """A custom_jvp over a dict: p["a"]·sin(p["b"])."""
    return p["a"] * jnp.sin(p["b"])


@scaled_sin.defjvp
def _scaled_sin_jvp(primals, tangents):
    (p,), (t,) = primals, tangents
    return scaled_sin(p), t["a"] * jnp.sin(p["b"]) + p["a"] * jnp.cos(p["b"]) * t["b"]


@jax.custom_jvp
def scaled_sin_missing_term(p):
    return p["a"] * jnp.sin(p["b"])


@scaled_sin_missing_term.defjvp
def _missing_jvp(primals, tangents):
    (p,), (t,) = primals, tangents
    return scaled_sin_missing_term(p), t["a"] * jnp.sin(p["b"])


@jax.custom_vjp
def wrong_primal(x):
    return jnp.tanh(x)


wrong_primal.defvjp(lambda x: (jnp.tanh(x) * 1.5, x), lambda x, g: (g * (1 - jnp.tanh(x) ** 2),))
AB = {"a": np.array([0.3, -1.2, 2.0]), "b": np.array([1.1, 0.2, -0.7])}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_correct_rules_pass_and_planted_mistakes_fail(dtype):
    assert check_custom_rule(stable_softplus, X, dtype=dtype).passed
    assert check_custom_rule(scaled_sin, AB, dtype=dtype).passed
    wrong = check_custom_rule(softplus_wrong_sign, X, dtype=dtype)
    assert not wrong.passed and "DISAGREES with jax.vjp" in str(wrong)
    missing = check_custom_rule(scaled_sin_missing_term, AB, dtype=dtype)
    assert not missing.passed and "DISAGREES with jax.jvp" in str(missing)


def test_the_primal_output_of_fwd_is_checked():
    result = check_custom_rule(wrong_primal, np.array([0.2, -0.5]))
    assert not result.passed
    assert any(c.oracle == "value" and not c.ok for c in result.comparisons), str(result)


def test_a_jitted_rule_is_checked_and_both_lanes_run():
    result = check_custom_rule(jax.jit(stable_softplus), X)
    assert result.passed and result.dtypes == ("float64", "float32"), str(result)


def test_a_rule_is_never_checked_against_itself():
    with pytest.raises(ValueError, match="^reference: it is the custom rule itself"):
        check_custom_rule(stable_softplus, X, reference=stable_softplus)
    with pytest.raises(TypeError, match="^f: expected a function decorated with jax.custom_vjp"):
        check_custom_rule(lambda x: x, X)


def test_a_function_that_only_calls_custom_rules_is_an_ordinary_check():
    """``jax.nn.relu`` is a custom_jvp and ``stable_softplus`` a custom_vjp: a function calling them
    is checked by check_derivative (the guard looks at the top-level function only), in the vjp
    form, since JAX differentiates a custom_vjp in reverse mode only; the jacobian form says so."""
    f = lambda x: jax.nn.relu(x) * stable_softplus(x)  # noqa: E731
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    vjp = lambda x, u: ((x > 0) * np.logaddexp(x, 0.0) + np.maximum(x, 0) * sig(x)) * u  # noqa: E731
    assert check_derivative(f, vjp, np.array([-1.0, 0.5, 2.0]), form="vjp").passed
    with pytest.raises(TypeError, match="^f: it calls a jax.custom_vjp function.*form='vjp'"):
        check_derivative(f, lambda x: np.eye(3), np.array([-1.0, 0.5, 2.0]))


def newton_sqrt_body(x):
    """√x by Newton's iteration in a while_loop, which JAX cannot differentiate in reverse mode."""
    def step(state):
        y, _ = state
        return (y + x / y) / 2, y

    def unconverged(state):
        y, previous = state
        return jnp.any(jnp.abs(y - previous) > 1e-15 * y)

    return jax.lax.while_loop(unconverged, step, (jnp.maximum(x, 1.0), jnp.zeros_like(x)))[0]


newton_sqrt = jax.custom_vjp(newton_sqrt_body)
newton_sqrt.defvjp(lambda x: (newton_sqrt(x), newton_sqrt(x)), lambda y, g: (g / (2 * y),))


@jax.custom_vjp
def rounded(x):
    """round(x), whose JAX derivative is 0, with a straight-through gradient as its rule."""
    return jnp.round(x)


rounded.defvjp(lambda x: (rounded(x), None), lambda _, g: (g,))


def test_an_undecorated_function_without_a_derivative_takes_a_reference():
    x = np.array([0.3, 1.7, 2.2])
    with pytest.raises(TypeError, match="^reference: JAX cannot differentiate the function the rule decorates"):
        check_custom_rule(newton_sqrt, x, dtype="float64")
    assert check_custom_rule(newton_sqrt, x, reference=jnp.sqrt).passed
    zero = check_custom_rule(rounded, x, dtype="float64")
    assert not zero.passed and "lax.stop_gradient or a primitive JAX cannot differentiate, pass reference=" in str(zero)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_verify_custom_rule_over_drawn_points(dtype):
    assert verify_custom_rule(stable_softplus, S.vectors(dtype=dtype, max_magnitude=50.0), points=64, dtype=dtype).passed
    assert not verify_custom_rule(softplus_wrong_sign, S.vectors(dtype=dtype), points=64, dtype=dtype).passed
    with pytest.raises(AssertionError, match="DISAGREES"):
        assert_custom_rule(softplus_wrong_sign, X, dtype=dtype)


# --- an f that JAX cannot trace -----------------------------------------------------------------

def numpy_f(x):
    return np.sum(np.tanh(x))


def python_if(x):
    if x[0] > 0:
        return jnp.sum(x)
    return -jnp.sum(x)


def item_f(x):
    return jnp.sum(x) * float(x[0])


@pytest.mark.parametrize("f, line, fix", [
    (numpy_f, "return np.sum(np.tanh(x))", "write this line with jax.numpy"),
    (python_if, "if x[0] > 0:", "jnp.where or jax.lax.cond"),
    (item_f, "return jnp.sum(x) * float(x[0])", "keep it an array"),
])
def test_an_untraceable_f_is_explained_at_the_users_line(f, line, fix):
    with pytest.raises(TypeError) as raised:
        check_derivative(f, lambda x: np.ones_like(x), np.array([0.5, 1.0]))
    message = str(raised.value)
    assert message.startswith("f: JAX cannot trace it at ") and __file__ in message
    assert f"`{line}`" in message and fix in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_integer_arguments_are_still_differentiated():
    assert check_derivative(lambda x: jnp.sum(x ** 3), lambda x: 3 * x ** 2, np.array([1, -2, 3])).passed


def test_a_list_meant_as_an_array_is_named_when_f_fails_on_it():
    """JAX reads a list as a pytree of its entries (and a list of numbers works as one); when ``f``
    fails on it, the error names the argument and says to pass an array."""
    with pytest.raises(TypeError, match=r"^args\[0\], args\[1\]: a Python list.*np.asarray"):
        check_derivative(lambda w, X: jnp.sum(X @ w), lambda w, X: X.sum(0), [1, 1], [[1, 2], [3, -4]])
    assert check_derivative(lambda p: p[0] * p[1], lambda p: [p[1], p[0]], [2.0, 3.0]).passed
