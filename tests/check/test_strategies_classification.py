"""verification.strategies.classification: probability vectors sum to 1 exactly, one-hot labels
have a single 1, logits may be large, and labels share the logits' length."""

import math

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from test_strategies import LANES, SHRINK, assert_lane_values

from verification import strategies as S


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_probability_vectors_lie_on_the_simplex(dtype, data):
    min_probability = data.draw(st.sampled_from((1e-3, 0.01, 0.2)), label="min_probability")
    p = data.draw(S.probability_vectors(dtype=dtype, min_probability=min_probability))
    assert p.dtype == dtype and len(p) in S.VECTOR_SIZES
    assert np.all(p >= dtype(min_probability))
    # exactly 1 in dtype, in any summation order
    assert np.sum(p) == 1 and np.sum(p[::-1]) == 1 and math.fsum(p.tolist()) == 1


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_one_hot_and_logits(dtype, data):
    e = data.draw(S.one_hot(dtype=dtype))
    assert e.dtype == dtype and len(e) in S.VECTOR_SIZES
    assert np.sum(e == 1) == 1 and np.sum(e == 0) == len(e) - 1
    z = data.draw(S.logits(dtype=dtype, n=4))
    assert z.shape == (4,) and z.dtype == dtype
    assert_lane_values(z, dtype, high=1e3)


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_logits_and_labels_share_a_length(dtype, data):
    soft = data.draw(st.booleans(), label="soft")
    z, y = data.draw(S.logits_and_labels(dtype=dtype, soft=soft))
    assert z.shape == y.shape and len(z) in S.VECTOR_SIZES and z.dtype == y.dtype == dtype
    assert_lane_values(z, dtype, high=1e3)
    assert np.sum(y) == 1 and np.all(y >= 0)
    if not soft:
        assert set(np.unique(y)) <= {0, 1}


def test_large_logits_and_every_class_are_drawn():
    assert np.abs(find(S.logits(), lambda z: np.abs(z).max() > 500, settings=SHRINK)).max() > 500
    for c in range(max(S.VECTOR_SIZES)):
        assert find(S.one_hot(), lambda e, c=c: len(e) > c and e[c] == 1, settings=SHRINK)[c] == 1
