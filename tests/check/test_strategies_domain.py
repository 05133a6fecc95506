"""verification.strategies.domain: the vectorized map of a large array's background into the
element domain is the map of each drawn element, and both land in the domain; a domain and its
arrays of one shape are built once, so a strategy rebuilt inside a ``flatmap`` is the same object."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_strategies import LANES, assert_lane_values

from verification import strategies as S
from verification.strategies.domain import arrays_of_shape, element_domain


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


@pytest.mark.parametrize("dtype", LANES)
def test_a_strategy_rebuilt_per_draw_is_the_same_object(dtype):
    # hypothesis validates each new strategy object at its first draw: one built again inside a
    # flatmap at every draw would be validated at every draw
    domain = element_domain(dtype, 4.0, 1e-3, False, [0.5], 0.1)
    assert element_domain(dtype, 4.0, 1e-3, False, (0.5,), 0.1) is domain
    assert element_domain(dtype, 4.0, 1e-3, True, (0.5,), 0.1) is not domain
    assert arrays_of_shape(domain, [2, 3]) is arrays_of_shape(domain, (2, 3))
    assert arrays_of_shape(domain, (3, 2)) is not arrays_of_shape(domain, (2, 3))
    assert domain.strategy() is domain.strategy()
    assert S.vectors(dtype=dtype, n=3) is S.vectors(dtype=dtype, n=3)
    assert S.matrices(dtype=dtype, shape=(2, 3)) is S.matrices(dtype=dtype, shape=(2, 3))
