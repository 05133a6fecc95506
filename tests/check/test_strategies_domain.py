"""verification.strategies.domain: the vectorized map of a large array's background into the
element domain is the map of each drawn element, and both land in the domain."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_strategies import LANES, assert_lane_values

from verification.strategies.domain import element_domain


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_an_array_is_projected_as_each_of_its_elements(dtype, data):
    high = data.draw(st.sampled_from((0.5, 4.0, 1e3)), label="max_magnitude")
    low = data.draw(st.sampled_from((0.0, 1e-3, high / 10)), label="min_magnitude")
    allow_zero = data.draw(st.booleans(), label="allow_zero")
    kinks = data.draw(st.lists(st.floats(-high, high), max_size=2), label="away_from")
    margin = high / 8
    domain = element_domain(dtype, high, low, allow_zero, kinks, margin)
    width = np.dtype(dtype).itemsize * 8
    values = st.floats(-domain.hi, domain.hi, width=width, allow_subnormal=False)
    a = data.draw(hnp.arrays(dtype, data.draw(st.integers(0, 12), label="size"), elements=values), label="a")
    projected = domain.project_array(a)
    one_by_one = np.array([domain.project(float(v)) for v in a], dtype=dtype)
    assert projected.dtype == dtype
    assert np.array_equal(projected, one_by_one) and np.array_equal(np.signbit(projected), np.signbit(one_by_one))
    assert_lane_values(projected, dtype, low=low, high=high, allow_zero=allow_zero)
    for k in kinks:
        assert np.all(np.abs(projected.astype(np.float64) - k) >= margin)
