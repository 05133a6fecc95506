"""verification.strategies.elements: floats, arrays (drawn and seeded), vectors, scalars, sizes,
divisors and pairs keep the element domain in both lanes, and large arrays vary and shrink."""

import math

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from test_strategies import LANES, SHRINK, assert_lane_values

from verification import strategies as S


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_floats_stay_in_their_domain(dtype, data):
    high = data.draw(st.sampled_from((0.5, 4.0, 1e3)), label="max_magnitude")
    low = data.draw(st.sampled_from((0.0, 1e-3, high / 10)), label="min_magnitude")
    allow_zero = data.draw(st.booleans(), label="allow_zero")
    kinks = data.draw(st.lists(st.floats(-high, high), max_size=2), label="away_from")
    margin = data.draw(st.sampled_from((high / 8, high / 100)), label="margin")
    strategy = S.floats(dtype=dtype, max_magnitude=high, min_magnitude=low, allow_zero=allow_zero,
                        away_from=kinks, margin=margin)
    x = data.draw(strategy, label="x")
    assert isinstance(x, float)
    assert_lane_values(x, dtype, low=low, high=high, allow_zero=allow_zero)
    for k in kinks:
        assert abs(x - k) >= margin, f"{x} within {margin} of the kink {k}"


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_arrays_take_their_shape_from_the_pool(dtype, data):
    pool = [(2,), (1, 3), ()]
    x = data.draw(S.arrays(dtype=dtype, shape=pool))
    assert x.dtype == dtype and x.shape in pool
    assert_lane_values(x, dtype)
    fixed = data.draw(S.arrays(dtype=dtype, shape=(2, 2)))
    assert fixed.shape == (2, 2)
    drawn = data.draw(S.arrays(dtype=dtype, shape=st.sampled_from([(4,), (2, 1)])))
    assert drawn.shape in [(4,), (2, 1)]


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_large_arrays_keep_the_element_domain(dtype, data):
    """Beyond DRAWN_ELEMENTS the background is seeded, not drawn: the same guarantees hold."""
    high = data.draw(st.sampled_from((0.5, 4.0, 1e3)), label="max_magnitude")
    low = data.draw(st.sampled_from((0.0, 1e-3, high / 10)), label="min_magnitude")
    allow_zero = data.draw(st.booleans(), label="allow_zero")
    kinks = data.draw(st.lists(st.floats(-high, high), max_size=2), label="away_from")
    shape = data.draw(st.sampled_from([(S.DRAWN_ELEMENTS + 1,), (7, 9), (200,)]), label="shape")
    x = data.draw(S.arrays(dtype=dtype, shape=shape, max_magnitude=high, min_magnitude=low, allow_zero=allow_zero,
                           away_from=kinks, margin=high / 8))
    assert x.shape == shape and x.dtype == dtype
    assert_lane_values(x, dtype, low=low, high=high, allow_zero=allow_zero)
    for k in kinks:
        assert np.all(np.abs(x.astype(np.float64) - k) >= high / 8)


def test_large_arrays_vary_and_shrink_to_zeros():
    x = find(S.arrays(shape=(100,)), lambda x: len(np.unique(x)) > 50, settings=SHRINK)
    assert len(np.unique(x)) > 50
    assert not find(S.arrays(shape=(100,)), lambda _: True, settings=SHRINK).any()


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_vectors_scalars_and_sizes(dtype, data):
    v = data.draw(S.vectors(dtype=dtype))
    assert v.dtype == dtype and v.ndim == 1 and len(v) in S.VECTOR_SIZES
    assert_lane_values(v, dtype)
    assert data.draw(S.vectors(dtype=dtype, n=4)).shape == (4,)
    z = data.draw(S.scalars(dtype=dtype))
    assert z.shape == () and z.dtype == dtype
    assert data.draw(S.sizes(pool=(2, 7))) in (2, 7)
    assert data.draw(S.sizes()) in S.VECTOR_SIZES


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_divisors_are_bounded_away_from_zero(dtype, data):
    x = data.draw(S.nonzero(dtype=dtype, shape=(3,)))
    assert_lane_values(x, dtype, low=0.1, allow_zero=False)
    w, x = data.draw(S.vector_pairs(dtype=dtype, second_nonzero=True))
    assert w.shape == x.shape and len(x) in S.VECTOR_SIZES
    assert_lane_values(w, dtype)
    assert_lane_values(x, dtype, low=0.1, allow_zero=False)


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_pairs_share_a_length(dtype, data):
    w, x = data.draw(S.vector_pairs(dtype=dtype))
    assert w.shape == x.shape and len(x) in S.VECTOR_SIZES and w.dtype == x.dtype == dtype
    assert_lane_values(np.concatenate([w, x]), dtype)
    x, z = data.draw(S.vector_and_scalar(dtype=dtype))
    assert x.ndim == 1 and len(x) in S.VECTOR_SIZES and z.shape == () and x.dtype == z.dtype == dtype


@pytest.mark.parametrize("dtype", LANES)
def test_zero_is_always_a_positive_zero(dtype):
    """Also where no gap around zero maps it (min_magnitude=0): hypothesis draws -0.0 often, when it can."""
    with pytest.raises(NoSuchExample):
        find(S.floats(dtype=dtype, min_magnitude=0.0), lambda x: x == 0 and math.copysign(1.0, x) < 0,
             settings=settings(SHRINK, max_examples=500))


@given(st.data())
def test_kinks_outside_the_range_cut_nothing(data):
    x = data.draw(S.floats(dtype=np.float32, away_from=(1e39, -5.0), margin=0.5))
    assert_lane_values(x, np.float32)
