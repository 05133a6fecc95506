"""verification.strategies.linalg: general and symmetric matrices keep the element domain;
positive definite and well-conditioned ones keep their condition bound after rounding, and reach it."""

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from test_strategies import LANES, SHRINK, assert_lane_values

from verification import strategies as S


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_general_and_symmetric_matrices(dtype, data):
    A = data.draw(S.matrices(dtype=dtype))
    assert A.dtype == dtype and A.ndim == 2 and set(A.shape) <= set(S.MATRIX_SIZES)
    assert_lane_values(A, dtype)
    assert data.draw(S.matrices(dtype=dtype, shape=(2, 4))).shape == (2, 4)
    B = data.draw(S.symmetric_matrices(dtype=dtype))
    assert B.shape[0] == B.shape[1] and B.shape[0] in S.MATRIX_SIZES
    assert np.array_equal(B, B.T)
    assert_lane_values(B, dtype)


def condition_bound(max_condition: float, n: int) -> float:
    """``max_condition``, plus the error of measuring it in float64 (eigen/singular values are
    accurate to about n·eps64·σ_max, i.e. n·eps64·κ relative to σ_min)."""
    return max_condition * (1 + 8 * n * np.finfo(np.float64).eps * max_condition)


def assert_no_subnormal(A, dtype):
    mags = np.abs(A.astype(np.float64))
    assert np.all((mags == 0) | (mags >= np.finfo(dtype).smallest_normal))
    assert np.all(np.isfinite(A)) and A.dtype == dtype


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_positive_definite_matrices_are_symmetric_with_bounded_condition(dtype, data):
    max_condition = data.draw(st.sampled_from((2.0, 1e3, 1e5)), label="max_condition")
    n = data.draw(st.sampled_from((None, 4)), label="n")
    A = data.draw(S.positive_definite_matrices(dtype=dtype, n=n, max_condition=max_condition))
    assert A.shape == (A.shape[0], A.shape[0]) and A.shape[0] in (S.MATRIX_SIZES if n is None else (n,))
    assert np.array_equal(A, A.T)
    assert_no_subnormal(A, dtype)
    eigenvalues = np.linalg.eigvalsh(A.astype(np.float64))
    assert eigenvalues.min() > 0
    assert eigenvalues.max() / eigenvalues.min() <= condition_bound(max_condition, len(A))


@pytest.mark.parametrize("dtype", LANES)
@given(data=st.data())
def test_well_conditioned_matrices_have_bounded_condition(dtype, data):
    max_condition = data.draw(st.sampled_from((2.0, 1e2, 1e5)), label="max_condition")
    A = data.draw(S.well_conditioned_matrices(dtype=dtype, max_condition=max_condition))
    assert A.shape[0] == A.shape[1] and A.shape[0] in S.MATRIX_SIZES
    assert_no_subnormal(A, dtype)
    assert np.linalg.cond(A.astype(np.float64)) <= condition_bound(max_condition, len(A))


def test_the_condition_number_reaches_its_bound():
    """The spectrum is not squeezed far inside the bound: ill-conditioned examples are drawn."""
    A = find(S.well_conditioned_matrices(n=3, max_condition=1e2), lambda A: np.linalg.cond(A) > 50, settings=SHRINK)
    assert np.linalg.cond(A) <= condition_bound(1e2, 3)
