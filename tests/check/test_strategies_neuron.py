"""verification.strategies.neuron: neuron inputs and regression batches stay off the ReLU's kink
(up to the rounding of the steering) with active and inactive samples mixed, and shrink to a
small batch."""

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from test_strategies import LANES, SHRINK, assert_lane_values

from verification import strategies as S


def assert_off_the_kink(w, b, X, dtype):
    """|z_i| >= KINK_MARGIN up to rounding.  The steering adds a shift to each drawn x_ij
    (|x_ij| <= MAGNITUDE before it) in float64 and rounds the sum to dtype: z_i moves by at
    most about eps · Σ_j|w_j|(|x_ij| + MAGNITUDE); z here is a float64 sum of terms
    Σ_j|w_j x_ij| + |b|.  4 eps(dtype) times the sum of both covers them."""
    w64, X64 = w.astype(np.float64), X.astype(np.float64)
    z = X64 @ w64 + float(b)
    terms = np.abs(X64) @ np.abs(w64) + np.abs(w64).sum() * S.MAGNITUDE + abs(float(b))
    rounding = 4 * np.finfo(dtype).eps * terms
    assert np.all(np.abs(z) >= S.KINK_MARGIN - rounding), z
    return z


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_neuron_inputs_are_off_the_kink(dtype, data):
    w, b, x = data.draw(S.neuron_inputs(dtype=dtype))
    assert w.shape == x.shape and len(w) in S.VECTOR_SIZES and b.shape == ()
    assert w.dtype == b.dtype == x.dtype == dtype
    assert abs(w[0]) >= 0.5
    assert_off_the_kink(w, b, x[None, :], dtype)


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_regression_batches_mix_active_and_inactive_samples(dtype, data):
    w, b, X, y = data.draw(S.regression_batches(dtype=dtype))
    N, n = X.shape
    assert N in S.BATCH_SIZES and n in S.VECTOR_SIZES and w.shape == (n,) and y.shape == (N,) and b.shape == ()
    assert w.dtype == b.dtype == X.dtype == y.dtype == dtype
    assert abs(w[0]) >= 0.5
    assert_lane_values(y, dtype)
    z = assert_off_the_kink(w, b, X, dtype)
    if N >= 2:
        assert (z > 0).any() and (z < 0).any()


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_relu_points_and_mixed_activity(dtype, data):
    (x,) = data.draw(S.relu_points(dtype=dtype))
    assert_lane_values(x, dtype, low=S.KINK_MARGIN, allow_zero=False)
    size = data.draw(st.integers(0, 6))
    active = data.draw(S.mixed_activity(size=size))
    assert active.shape == (size,) and active.dtype == bool
    if size >= 2:
        assert active.any() and not active.all()


def test_a_failure_shrinks_to_a_small_batch():
    """The minimal batch with a large target keeps N = n = 1: shrinking is not blocked by the steering."""
    w, b, X, y = find(S.regression_batches(), lambda batch: np.abs(batch[3]).max() > 1, settings=SHRINK)
    assert X.shape == (1, 1)
