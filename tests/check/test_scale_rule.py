"""The scale rule of :mod:`verification.compare`: an entry whose error is within the rounding of
the derivative's largest entry passes (and is noted), while a relative error of 1e-9 in float64
or 1e-3 in float32 on any entry of at least 1e-3 of that scale still fails."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from verification import check_derivative
from verification.compare import compare, entries_agree, format_comparison, lost_accuracy_note

LANES = ["float64", "float32"]
RESOLUTION = {"float64": 1e-9, "float32": 1e-3}
"""The relative error that must fail on an entry of at least 1e-3 of the scale, per lane."""


def _sigmoid_as_tanh(x):
    return (1 + np.tanh(x / 2)) / 2


@pytest.mark.parametrize("dtype", LANES)
def test_a_correct_formula_that_lost_relative_accuracy_passes_with_a_note(dtype):
    """σ(x) written as (1 + tanh(x/2))/2 is exactly 0 at x = −50 (the truth is 1.9e-22): within the
    rounding of the largest entry, 1 at x = +50.  The passing report says so."""
    x = np.array([-50.0, 0.5, 50.0])
    result = check_derivative(lambda x: jnp.sum(jax.nn.softplus(x)), _sigmoid_as_tanh, x, dtype=dtype)
    assert result.passed, str(result)
    noted = [c for c in result.comparisons if c.lost_accuracy]
    assert noted and all(c.lost_accuracy[0][0] == (0,) and c.lost_accuracy[0][1] == 0.0 for c in noted)
    line = lost_accuracy_note(noted[0])
    assert line.startswith("entry (0,): 0 against 1.93e-22; within rounding of the largest entry 1;")
    assert "lost accuracy: entry (0,)" in format_comparison(noted[0])


@pytest.mark.parametrize("dtype", LANES)
def test_entrywise_keeps_the_entry_by_entry_verdict(dtype):
    x = np.array([-50.0, 0.5, 50.0])
    result = check_derivative(lambda x: jnp.sum(jax.nn.softplus(x)), _sigmoid_as_tanh, x, dtype=dtype, entrywise=True)
    assert not result.passed
    assert all(c.worst_index == (0,) for c in result.failures)


@pytest.mark.parametrize("dtype", LANES)
def test_a_small_entry_off_by_the_lane_resolution_still_fails(dtype):
    """An entry of exactly 1e-3 of the largest, with no noise beyond its own rounding, off by the
    lane's resolution (1e-9 in float64, 1e-3 in float32), fails; off by 2ε of the largest entry
    (half the scale rule's allowance), passes."""
    eps = float(np.finfo(dtype).eps)
    expected = np.array([1.0, -1e-3, 0.5])
    noise = eps * np.abs(expected)
    for error, ok in ((RESOLUTION[dtype] * 1e-3, False), (2 * eps, True)):
        actual = expected + np.array([0.0, error, 0.0])
        c = compare(actual, expected, noise, rule="demo", oracle="grad", dtype=np.dtype(dtype))
        assert c.ok == ok, (error, str(c))


def test_the_scale_is_the_oracles_and_each_points_own():
    """A wrong hand value does not widen its own tolerance (the scale is max |oracle|), and in a
    batch (axis 0: points) one point's scale is not lent to another."""
    wrong = compare(np.array([1e6, 1e-12]), np.array([1.0, 0.0]), rule="demo", oracle="grad")
    assert not wrong.ok and wrong.n_mismatch == 2
    expected = np.array([[1.0, 1e-20], [1e-6, 1e-20]])
    actual = expected + np.array([[0.0, 1e-16], [0.0, 1e-16]])
    agree, _ = entries_agree(actual, expected, dtype=np.float64, batched=True)
    assert agree[0].all() and not agree[1, 1]
