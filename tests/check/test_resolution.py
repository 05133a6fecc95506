"""The float32 lane keeps the checker's promised resolution: a relative error of 1e-3 on an
entry of at least 1e-3 of the derivative's scale fails, even where float32's own rounding there
is as large as the error (then the float32 point is checked in float64 too)."""

import jax.numpy as jnp
import numpy as np
import pytest

from verification import check_derivative
from verification.compare import JUDGED_FRACTION, RESOLUTION, resolves

RECHECKED = "the float32 point checked in float64"
N = 16


def variance(x):
    return jnp.mean((x - jnp.mean(x)) ** 2)


def variance_gradient(x):
    """d/dx_i of (1/n) Σ (x_j − m)² = 2 (x_i − m) / n  (the terms in m cancel: Σ (x_j − m) = 0)."""
    return 2.0 * (x - x.mean()) / x.size


def off_by_resolution(x):
    """The gradient with its smallest entry of at least 1e-3 of the largest scaled by 1 + 1e-3."""
    g = variance_gradient(x)
    magnitude = np.abs(g)
    judged = np.flatnonzero(magnitude >= JUDGED_FRACTION * magnitude.max())
    k = judged[np.argmin(magnitude[judged])]
    g[k] *= 1.0 + RESOLUTION["float32"]
    return g


def near_1000(seed):
    """Values near 1000: x − mean cancels, float32 keeps about 4 of its 7 digits there."""
    return 1000.0 + np.random.default_rng(seed).standard_normal(N)


@pytest.mark.parametrize("seed", range(4))
def test_a_relative_error_of_1e_3_is_caught_in_float32_where_float32_cannot_see_it(seed):
    x = near_1000(seed)
    assert check_derivative(variance, variance_gradient, x, dtype="float32").passed
    wrong = check_derivative(variance, off_by_resolution, x, dtype="float32")
    assert not wrong.passed
    failed = [c for c in wrong.comparisons if not c.ok]
    # float32's own comparisons pass: only the float64 check of the same point sees the error
    assert all(c.dtype == "float64" and RECHECKED in c.note for c in failed), wrong
    assert all(c.ok for c in wrong.comparisons if c.dtype == "float32")


def test_resolves_pins_the_promised_resolution_from_both_sides():
    expected = np.array([1.0, JUDGED_FRACTION, 0.1 * JUDGED_FRACTION])
    half = 0.5 * RESOLUTION["float32"] * JUDGED_FRACTION  # half the planted error at the smallest judged entry
    below, above = np.array([0.0, 0.99 * half, 1.0]), np.array([0.0, 1.01 * half, 0.0])
    assert resolves(expected, below, dtype=np.float32)  # the entry under 1e-3 of the scale is not judged
    assert not resolves(expected, above, dtype=np.float32)
    assert not resolves(expected, np.array([1.01 * 0.5 * RESOLUTION["float64"], 0.0, 0.0]), dtype=np.float64)


def test_a_hand_derivative_computed_in_float32_is_not_rechecked_in_float64():
    def tanh_sum(x):
        return jnp.sum(jnp.tanh(x))

    def sech2(x):  # d tanh(x)/dx = 1 − tanh²(x): near 1e-3 of the scale at x = 3.8, where float32 rounds it coarsely
        return 1.0 - np.tanh(x) ** 2

    def in_float32(x):  # correct, rounded to float32 whatever it is given: float64 cannot see past it
        return sech2(np.asarray(x, np.float64)).astype(np.float32)

    x = np.array([0.0, 0.5, 3.0, 3.5, 3.8])
    rechecked = check_derivative(tanh_sum, sech2, x, dtype="float32")
    assert rechecked.passed and {c.dtype for c in rechecked.comparisons} == {"float32", "float64"}
    check = check_derivative(tanh_sum, in_float32, x, dtype="float32")
    assert check.passed, check
    assert {c.dtype for c in check.comparisons} == {"float32"}


def test_with_both_lanes_the_float64_lane_resolves_the_formula_at_the_users_point():
    x = near_1000(1)
    check = check_derivative(variance, off_by_resolution, x)
    assert not check.passed
    assert {c.dtype for c in check.comparisons if not c.ok} == {"float64"}
    assert not any(RECHECKED in c.note for c in check.comparisons)


def test_verify_in_float32_alone_checks_in_float64_what_float32_cannot_resolve():
    from hypothesis import strategies as st

    from verification import verify_derivative

    seeds = st.integers(0, 2**31).map(lambda seed: (near_1000(seed),))
    assert verify_derivative(variance, variance_gradient, seeds, points=32, dtype="float32").passed
    wrong = verify_derivative(variance, off_by_resolution, seeds, points=32, dtype="float32")
    assert not wrong.passed
    failed = [c for c in wrong.failure.comparisons if not c.ok]
    assert failed and all(c.dtype == "float64" and RECHECKED in c.note for c in failed), wrong.failure
