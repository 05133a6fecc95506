"""verification.strategies.rounding: a bound rounds to the nearest value of the dtype on the side
asked for, exactly (never a value past it, never one short of the nearest), and a cast leaves no
subnormal."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_strategies import LANES

from verification.strategies.rounding import cast_without_subnormals, round_into, smallest_normal

BOUNDS = st.one_of(st.fractions(min_value=-1e6, max_value=1e6, max_denominator=10**20),
                   st.floats(-1e6, 1e6).map(Fraction))
"""Exact values: rationals no float holds, and float64 values float32 may not hold."""


@pytest.mark.parametrize("dtype", LANES)
@given(value=BOUNDS, up=st.booleans())
def test_a_bound_rounds_to_the_nearest_value_on_its_side(dtype, value, up):
    dtype = np.dtype(dtype)
    r = round_into(dtype, value, up=up)
    assert float(dtype.type(r)) == r, "a value of the dtype"
    assert (Fraction(r) >= value) if up else (Fraction(r) <= value)
    # the next value of the dtype back towards the bound lies on the other side of it
    back = np.nextafter(dtype.type(r), dtype.type(-np.inf if up else np.inf))
    assert (Fraction(float(back)) < value) if up else (Fraction(float(back)) > value)


@pytest.mark.parametrize("dtype", LANES)
def test_a_cast_leaves_no_subnormal(dtype):
    dtype = np.dtype(dtype)
    tiny = float(np.finfo(dtype).smallest_normal)
    assert smallest_normal(dtype) == tiny
    A = np.array([[tiny / 4, -tiny / 2, tiny], [1.0, -0.0, -tiny * 3]])
    expected = np.array([[0.0, 0.0, tiny], [1.0, 0.0, -tiny * 3]], dtype=dtype)
    cast = cast_without_subnormals(A, dtype)
    assert cast.dtype == dtype and np.array_equal(cast, expected)
