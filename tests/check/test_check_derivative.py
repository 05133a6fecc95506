"""The public checker as a user meets it: correct derivatives pass in every form and lane, even
where values saturate or cancel; planted mistakes fail with the right explanation; the tolerance
is pinned from both sides; the report never prints a meaningless relative error."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import strategies as st

from verification import assert_derivative, check_derivative, verify_derivative
from verification import strategies as S
from verification.compare import compare
from verification.oracles import plain_oracle
from verification.precision import own_program_scope as lane

LANES = ["float64", "float32"]


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


X = np.array([[3.0, 1.5], [-2.0, 4.0], [0.5, -1.0]])
Y_BIG = np.array([1e3, -2e3, 5e2])

# f, derivative, args, keyword arguments: each derivative is right, and each point stresses the
# tolerance: saturation (|x| >= 18), cancellation (1 − cos x near 0, a gradient that is a
# difference of large terms), large logits.
CORRECT = {
    "tanh saturated": (lambda w: jnp.sum(jnp.tanh(X @ w)), lambda w: X.T @ (1 - np.tanh(X @ w) ** 2),
                       (np.array([4.0, 2.5]),), {}),
    "tanh at 18.25": (lambda x: jnp.sum(jnp.tanh(x)), lambda x: 1 - np.tanh(x) ** 2, (np.array([18.25, -19.0, 0.3]),), {}),
    "sigmoid saturated": (lambda x: jnp.sum(jax.nn.sigmoid(x)), lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
                          (np.array([-30.0, 18.0, 25.0, 0.1]),), {}),
    "softplus": (lambda x: jnp.sum(jax.nn.softplus(x)), _sigmoid, (np.array([-40.0, -3.0, 0.0, 2.0, 40.0]),), {}),
    "logsumexp of large logits": (jax.nn.logsumexp, _softmax, (np.array([1000.0, 999.0, -1000.0]),), {}),
    "1 - cos x near 0": (lambda x: jnp.sum(1 - jnp.cos(x)), np.sin, (np.array([1e-4, -3e-3, 1e-8]),), {}),
    "log1p near 0": (lambda x: jnp.sum(jnp.log1p(x)), lambda x: 1 / (1 + x), (np.array([1e-9, -1e-5, 0.5]),), {}),
    "least squares, difference of large terms": (
        lambda w: jnp.sum((X @ w - Y_BIG) ** 2), lambda w: 2 * X.T @ X @ w - 2 * X.T @ Y_BIG, (np.array([300.0, -400.0]),), {}),
    "softmax cross-entropy": (lambda z, y: -jnp.sum(y * jax.nn.log_softmax(z)), lambda z, y: _softmax(z) * y.sum() - y,
                              (np.array([1000.0, -3.0, 2.0]), np.array([0.0, 1.0, 0.0])), {}),
    "two arguments at once": (lambda w, x: jnp.dot(w, x) ** 2, lambda w, x: (2 * (w @ x) * x, 2 * (w @ x) * w),
                              (np.array([1.0, -2.0]), np.array([0.5, 3.0])), {"wrt": (0, 1)}),
    "integer arguments": (lambda x: jnp.sum(x ** 3), lambda x: 3 * x**2, (np.array([1, -2, 3]),), {}),
    "jvp": (lambda x: jnp.sin(x) * x**2, lambda x, t: (np.cos(x) * x**2 + 2 * x * np.sin(x)) * t,
            (np.array([0.3, -1.2, 2.0]),), {"form": "jvp"}),
    "vjp of a matrix argument": (lambda W, x: jnp.tanh(W @ x), lambda W, x, u: np.outer((1 - np.tanh(W @ x) ** 2) * u, x),
                                 (X.T.copy(), np.array([0.2, -0.4, 1.0])), {"form": "vjp"}),
    "hessian": (lambda x: jnp.sum(x**4) + x[0] * x[1], lambda x: np.diag(12 * x**2) + np.array([[0, 1.0], [1.0, 0]]),
                (np.array([0.5, -2.0]),), {"form": "hessian"}),
    "hvp": (lambda x: jnp.sum(jnp.sin(x)) * 2, lambda x, v: -2 * np.sin(x) * v, (np.array([0.1, 1.0, 3.0]),), {"form": "hvp"}),
}


@pytest.mark.parametrize("case", CORRECT.values(), ids=CORRECT.keys())
def test_correct_derivatives_pass_in_both_lanes(case):
    f, derivative, args, kwargs = case
    result = check_derivative(f, derivative, *args, **kwargs)
    assert result.passed, str(result)
    assert result.dtypes == ("float64", "float32")


# a wrong derivative, and a phrase its report must contain
W = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0], [0.7, -0.2, 1.1]])
SQUARE = lambda x: jnp.tanh(W @ x)  # noqa: E731
SQUARE_J = lambda x: (1 - np.tanh(W @ x) ** 2)[:, None] * W  # noqa: E731
WIDE = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])
_LOWER_RIGHT_DOUBLED = np.array([[1.0, 1, 1], [1, 2, 2], [1, 2, 2]])


def _cubic_hessian(x):
    """∂²/∂x² of Σxᵢ³ + x₀x₁x₂, by hand."""
    return np.diag(6 * x) + np.array([[0, x[2], x[1]], [x[2], 0, x[0]], [x[1], x[0], 0]])


PLANTED = {
    "factor": (lambda x: jnp.sum(x**2), lambda x: x, (np.array([1.0, -3.0]),), {}, "0.5 × oracle"),
    "sign": (lambda x: jnp.sum(jnp.cos(x)), np.sin, (np.array([1.0, -3.0]),), {}, "sign is flipped"),
    "transpose": (SQUARE, lambda x: SQUARE_J(x).T, (np.array([0.1, 0.2, -0.3]),), {}, "transposed"),
    "denominator layout": (lambda x: WIDE @ x, lambda x: WIDE.T, (np.ones(3),), {}, "denominator layout"),
    "dropped term": (lambda x: jnp.sum(x * jnp.sin(x)), lambda x: np.sin(x), (np.array([0.5, 2.0]),), {}, "DISAGREES"),
    "wrong argument": (lambda w, x: jnp.dot(w, x), lambda w, x: w, (np.array([1.0, 2.0]), np.array([3.0, -1.0])), {},
                       "wrong argument"),
    "off by 1e-3": (lambda x: jnp.sum(jnp.exp(x)), lambda x: np.exp(x) * 1.001, (np.array([0.5, -1.0]),), {}, "1.001 × oracle"),
    "only diagonal": (SQUARE, lambda x: SQUARE_J(x) + np.diag([0.1, 0.2, 0.3]), (np.array([0.1, 0.2, -0.3]),), {},
                      "only diagonal entries differ"),
    "only off-diagonal": (lambda x: jnp.cumsum(x), lambda x: np.eye(3), (np.array([0.1, 0.2, -0.3]),), {},
                          "only off-diagonal entries differ"),
    "vjp direction": (lambda x: jnp.sin(x), lambda x, u: np.cos(x) * u * 1.5, (np.array([0.3, 1.0]),), {"form": "vjp"},
                      "direction 1 of 3 (seed 0)"),
    "jvp sign": (lambda x: x**3, lambda x, t: -3 * x**2 * t, (np.array([0.3, 1.0]),), {"form": "jvp"}, "sign is flipped"),
    "hessian factor 2": (lambda x: jnp.sum(x**3), lambda x: np.diag(3 * x), (np.array([0.5, -2.0]),), {"form": "hessian"},
                         "0.5 × oracle"),
    "hessian not symmetric": (lambda x: jnp.sum(x**3) + x[0] * x[1], lambda x: np.diag(6 * x) + np.array([[0, 2.0], [0, 0]]),
                              (np.array([0.5, -2.0]),), {"form": "hessian"}, "not symmetric"),
    "wrong block": (lambda x: jnp.sum(x**3) + x[0] * x[1] * x[2], lambda x: _cubic_hessian(x) * _LOWER_RIGHT_DOUBLED,
                    (np.array([0.5, -2.0, 1.5]),), {"form": "hessian"}, "only the block rows [1, 2] × columns [1, 2]"),
}


@pytest.mark.parametrize("dtype", LANES)
@pytest.mark.parametrize("case", PLANTED.values(), ids=PLANTED.keys())
def test_planted_mistakes_fail_with_their_explanation(case, dtype):
    f, derivative, args, kwargs, phrase = case
    result = check_derivative(f, derivative, *args, dtype=dtype, **kwargs)
    assert not result.passed
    assert phrase in str(result), str(result)
    with pytest.raises(AssertionError, match="DISAGREES"):
        assert_derivative(f, derivative, *args, dtype=dtype, **kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_many_points_are_held_to_the_tolerance_of_one(dtype):
    """verify_derivative's batched check is as strict as check_derivative: with atol given, an
    error of 1.5·atol fails and one of 0.5·atol passes."""
    f = lambda x: jnp.sum(jnp.sin(x))  # noqa: E731
    atol = 1e-3
    over = verify_derivative(f, lambda x: np.cos(x) + 1.5 * atol, S.vectors(), examples=64, dtype=dtype, atol=atol, rtol=0)
    under = verify_derivative(f, lambda x: np.cos(x) + 0.5 * atol, S.vectors(), examples=64, dtype=dtype, atol=atol, rtol=0)
    assert not over.passed and under.passed, (str(over), str(under))


def test_the_float64_lane_is_strict_to_float64_precision():
    """The hand derivative's own noise (float32 against float64, scaled by ε₆₄/ε₃₂) does not widen
    the float64 tolerance to float32's: an error of 1e-9 relative fails there."""
    f = lambda x: jnp.sum(jnp.sin(x))  # noqa: E731
    x = np.array([0.3, 1.1, -2.0])
    assert check_derivative(f, np.cos, x, dtype="float64").passed
    assert not check_derivative(f, lambda x: np.cos(x) * (1 + 1e-9), x, dtype="float64").passed


def test_oracle_zero_is_named_not_a_huge_relative_error():
    c = compare([1e-3, 1.0], [0.0, 1.0], rule="r", oracle="jacfwd")
    text = str(c)
    assert "max relative difference: undefined, the oracle is 0 at every differing entry" in text
    assert "e+30" not in text


def test_worst_entry_is_the_largest_mismatch():
    c = compare([[1.0, 0.0], [0.3, 5.0]], [[1.0, 0.0], [0.0, 1.0]], rule="r", oracle="jacfwd")
    assert c.worst_index == (1, 1) and [m[0] for m in c.mismatches] == [(1, 1), (1, 0)]


def test_passing_comparison_names_the_entry_closest_to_its_tolerance():
    """Not the largest difference: 1e6 + 1 ulp differs by more than 1 + 2 ulps, yet uses less of
    its (relative) tolerance, judged entry by entry (the scale rule would allow entry 1 the
    rounding of the largest entry, 1e6)."""
    expected = np.array([1e6, 1.0])
    actual = np.array([np.nextafter(1e6, 2e6), 1.0 + 2 * np.finfo(np.float64).eps])
    c = compare(actual, expected, rule="r", oracle="jacfwd", entrywise=True)
    assert c.ok and c.worst_index == (1,)
    assert c.worst_allowed == pytest.approx(4 * np.finfo(np.float64).eps * 1.0, rel=1e-6)


def test_the_reverse_oracles_run_in_reverse_mode():
    """jacrev and grad are the reverse-mode witnesses beside jacfwd: on a function whose reverse
    rule is (on purpose) 3 times its derivative, they return that rule's value."""
    @jax.custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (3 * jnp.cos(x) * g,))
    x = np.array([0.3, 1.2])
    with lane(np.float64):
        for name in ("jacrev", "grad"):
            run = plain_oracle(lambda x: jnp.sum(f(x)), wrt=(0,), form="jacobian", name=name, static={}, nargs=1,
                               scalar_output=True)
            (value,) = run((x[None],), ())
            np.testing.assert_allclose(np.asarray(value)[0], 3 * np.cos(x), err_msg=name)


def test_reverse_over_reverse_runs_in_reverse_mode_twice():
    """The hvp oracle rev-over-rev differentiates the gradient in reverse mode: F = Σ −cos x has
    the gradient g(x) = sin x, whose reverse rule is (on purpose) 3 cos x, so rev-over-rev gives
    3 cos(x)·v where forward mode could not run at all (g has no forward rule)."""
    @jax.custom_vjp
    def g(x):
        return jnp.sin(x)

    g.defvjp(lambda x: (jnp.sin(x), x), lambda x, u: (3 * jnp.cos(x) * u,))

    @jax.custom_jvp
    def F(x):
        return jnp.sum(-jnp.cos(x))

    F.defjvp(lambda primals, tangents: (F(primals[0]), jnp.vdot(g(primals[0]), tangents[0])))
    x, v = np.array([0.3, 1.2]), np.array([1.0, -2.0])
    with lane(np.float64):
        run = plain_oracle(F, wrt=(0,), form="hvp", name="rev-over-rev", static={}, nargs=1, scalar_output=True)
        (value,) = run((x[None],), (v[None],))
    np.testing.assert_allclose(np.asarray(value)[0], 3 * np.cos(x) * v)


def test_vjp_of_a_million_entries_forms_no_jacobian():
    """A 10⁶ × 10⁶ Jacobian would need 8 TB; the vjp form checks along directions in O(n) memory."""
    x = np.random.default_rng(0).standard_normal(1_000_000)
    result = check_derivative(lambda x: 2 * jnp.sin(x), lambda x, u: 2 * np.cos(x) * u, x, form="vjp", dtype="float64")
    assert result.passed, str(result)


def test_bad_arguments_are_named():
    f, d = (lambda x: jnp.sum(x)), (lambda x: np.ones_like(x))
    for kwargs, phrase in [({"form": "hess"}, "form:"), ({"wrt": 3}, "wrt:"), ({"dtype": "float16"}, "dtype:"),
                           ({"kinks": "maybe"}, "kinks:"), ({"rtol": -1.0}, "rtol:"), ({"wrt": (0, 0)}, "wrt:")]:
        with pytest.raises((ValueError, TypeError), match=phrase):
            check_derivative(f, d, np.ones(2), **kwargs)
    with pytest.raises(ValueError, match=r"args\[0\]: contains NaN or inf"):
        check_derivative(f, d, np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match="derivative: expected a callable"):
        check_derivative(f, 3.0, np.ones(2))


@pytest.mark.parametrize("dtype", LANES)
def test_verify_derivative_passes_a_correct_rule_and_shrinks_a_failure(dtype):
    f = lambda x: jnp.sum(jnp.sin(x))  # noqa: E731
    ok = verify_derivative(f, np.cos, lambda d: S.vectors(dtype=d), examples=200, dtype=dtype)
    assert ok.passed and ok.examples[dtype] >= 200
    # wrong only where some entry exceeds 2: the minimal failing point has one such entry
    wrong = verify_derivative(f, lambda x: np.cos(x) + (x > 2), lambda d: S.vectors(dtype=d), examples=200, dtype=dtype)
    assert not wrong.passed
    (x,) = wrong.failing_args
    assert np.sum(x > 2) == 1 and np.sum(x != 0) == 1, x
    assert "DISAGREES" in str(wrong)


def test_verify_derivative_accepts_a_strategy_directly():
    pairs = st.tuples(S.vectors(n=3), S.vectors(n=3))
    result = verify_derivative(jnp.dot, lambda w, x: x, pairs, examples=32, dtype="float64")
    assert result.passed
