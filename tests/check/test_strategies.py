"""The public strategies: each domain guarantee holds on drawn examples, each strategy shrinks to
the documented minimal example, and each bad argument is rejected when the strategy is built,
with an error naming the argument."""

import inspect
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample

from verification import strategies as S

LANES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]
SHRINK = settings(database=None, max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
"""For ``find``: no example database, so the minimal example is found from scratch every run."""


def representable(x, dtype) -> bool:
    """Every value survives a round trip through ``dtype`` unchanged."""
    x = np.asarray(x, dtype=np.float64)
    return bool(np.array_equal(x.astype(dtype).astype(np.float64), x))


def assert_lane_values(x, dtype, *, low=S.MIN_MAGNITUDE, high=S.MAGNITUDE, allow_zero=True):
    """The guarantees of ``floats``: finite, of the dtype, 0 (positive) or ``low <= |x| <= high``, never subnormal."""
    x = np.asarray(x)
    assert np.all(np.isfinite(x))
    assert representable(x, dtype)
    mags = np.abs(x.astype(np.float64))
    nonzero = mags != 0
    assert np.all(mags[nonzero] >= max(low, float(np.finfo(dtype).smallest_normal)))
    assert np.all(mags <= high)
    if allow_zero:
        assert not np.any(np.signbit(x[~nonzero])), "zero is a positive zero"
    else:
        assert np.all(nonzero)


# --- elements -----------------------------------------------------------------------------------

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


@given(st.lists(S.arrays(shape=(64,)), min_size=16, max_size=16), S.positive_definite_matrices(n=12),
       S.probability_vectors(n=64), S.symmetric_matrices(n=12))
def test_large_inputs_fit_in_one_example(batch, A, p, B):
    """Sixteen 64-vectors, a 12×12 matrix, 64 classes: far beyond what hypothesis could draw element by element."""
    assert len(batch) == 16 and np.linalg.eigvalsh(A).min() > 0 and np.sum(p) == 1 and np.array_equal(B, B.T)


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


# --- matrices ----------------------------------------------------------------------------------

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


# --- classification ----------------------------------------------------------------------------

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


def test_large_logits_and_every_class_are_drawn():
    assert np.abs(find(S.logits(), lambda z: np.abs(z).max() > 500, settings=SHRINK)).max() > 500
    for c in range(max(S.VECTOR_SIZES)):
        assert find(S.one_hot(), lambda e, c=c: len(e) > c and e[c] == 1, settings=SHRINK)[c] == 1


# --- the neuron and the loss -------------------------------------------------------------------

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


# --- shrinking ---------------------------------------------------------------------------------

def test_everything_shrinks_to_zero_and_the_first_of_a_pool():
    always = lambda _: True  # noqa: E731
    assert find(S.floats(), always, settings=SHRINK) == 0.0
    assert find(S.floats(allow_zero=False, min_magnitude=0.25), always, settings=SHRINK) == 0.25
    assert find(S.floats(away_from=(0.0,), margin=0.5), always, settings=SHRINK) in (-0.5, 0.5)
    x = find(S.vectors(), always, settings=SHRINK)
    assert x.shape == (S.VECTOR_SIZES[0],) and not x.any()
    assert find(S.arrays(shape=[(1,), (3, 2)]), always, settings=SHRINK).shape == (1,)
    assert find(S.matrices(), always, settings=SHRINK).shape == (1, 1)
    assert np.all(np.abs(find(S.nonzero(shape=(3,)), always, settings=SHRINK)) == np.float64(0.1))
    w, b, X, y = find(S.regression_batches(), always, settings=SHRINK)
    assert X.shape == (S.BATCH_SIZES[0], S.VECTOR_SIZES[0])
    A = find(S.positive_definite_matrices(n=3), always, settings=SHRINK)
    assert np.array_equal(A, np.diag(np.diag(A))) and len(set(np.diag(A))) == 1


def test_a_failure_shrinks_to_a_small_batch():
    """The minimal batch with a large target keeps N = n = 1: shrinking is not blocked by the steering."""
    w, b, X, y = find(S.regression_batches(), lambda batch: np.abs(batch[3]).max() > 1, settings=SHRINK)
    assert X.shape == (1, 1)


# --- bad arguments -----------------------------------------------------------------------------

BAD = [
    (S.floats, {"dtype": np.int32}, "dtype"),
    (S.floats, {"dtype": "float16"}, "dtype"),
    (S.floats, {"dtype": "no such type"}, "dtype"),
    (S.floats, {"max_magnitude": 0.0}, "max_magnitude"),
    (S.floats, {"max_magnitude": math.inf}, "max_magnitude"),
    (S.floats, {"max_magnitude": math.nan}, "max_magnitude"),
    (S.floats, {"max_magnitude": "4"}, "max_magnitude"),
    (S.floats, {"dtype": np.float32, "max_magnitude": 1e39}, "max_magnitude"),
    (S.floats, {"min_magnitude": -1.0}, "min_magnitude"),
    (S.floats, {"min_magnitude": 5.0, "max_magnitude": 4.0}, "min_magnitude"),
    (S.floats, {"allow_zero": 1}, "allow_zero"),
    (S.floats, {"away_from": 0.0}, "away_from"),
    (S.floats, {"away_from": ("0",)}, "away_from"),
    (S.floats, {"away_from": (math.inf,)}, "away_from"),
    (S.floats, {"away_from": (0.0,), "margin": 0.0}, "margin"),
    (S.floats, {"away_from": (0.0,), "margin": -1.0}, "margin"),
    (S.floats, {"away_from": (0.0,), "margin": 10.0}, "away_from"),
    (S.floats, {"dtype": np.float32, "away_from": (0.0,), "margin": 1e300}, "away_from"),
    (S.arrays, {"shape": (-1,)}, "shape"),
    (S.arrays, {"shape": []}, "shape"),
    (S.arrays, {"shape": 3}, "shape"),
    (S.arrays, {"shape": [(2,), (-2,)]}, "shape"),
    (S.arrays, {"shape": (2,), "max_magnitude": -1.0}, "max_magnitude"),
    (S.arrays, {"shape": (2,), "dtype": np.complex128}, "dtype"),
    (S.scalars, {"min_magnitude": math.nan}, "min_magnitude"),
    (S.sizes, {"pool": ()}, "pool"),
    (S.sizes, {"pool": (0, 3)}, "pool"),
    (S.sizes, {"pool": 3}, "pool"),
    (S.vectors, {"n": -1}, "n"),
    (S.vectors, {"n": 1.5}, "n"),
    (S.nonzero, {"shape": (2,), "allow_zero": True}, "allow_zero"),
    (S.nonzero, {"shape": (2,), "min_magnitude": -0.1}, "min_magnitude"),
    (S.vector_pairs, {"second_nonzero": 1}, "second_nonzero"),
    (S.vector_pairs, {"dtype": np.float16}, "dtype"),
    (S.vector_and_scalar, {"dtype": int}, "dtype"),
    (S.matrices, {"shape": (3,)}, "shape"),
    (S.symmetric_matrices, {"n": 0}, "n"),
    (S.positive_definite_matrices, {"max_condition": 1.0}, "max_condition"),
    (S.positive_definite_matrices, {"max_condition": 0.5}, "max_condition"),
    (S.positive_definite_matrices, {"dtype": np.float32, "max_condition": 1e12}, "max_condition"),
    (S.well_conditioned_matrices, {"n": "3"}, "n"),
    (S.well_conditioned_matrices, {"max_condition": math.inf}, "max_condition"),
    (S.probability_vectors, {"n": 3, "min_probability": 0.5}, "min_probability"),
    (S.probability_vectors, {"min_probability": 0.0}, "min_probability"),
    (S.probability_vectors, {"n": 0}, "n"),
    (S.one_hot, {"n": 0}, "n"),
    (S.logits, {"max_magnitude": -1.0}, "max_magnitude"),
    (S.logits_and_labels, {"soft": "yes"}, "soft"),
    (S.logits_and_labels, {"n": 0}, "n"),
    (S.logits_and_labels, {"max_magnitude": math.nan}, "max_magnitude"),
    (S.neuron_inputs, {"dtype": np.float16}, "dtype"),
    (S.regression_batches, {"dtype": np.int64}, "dtype"),
    (S.relu_points, {"dtype": "x"}, "dtype"),
    (S.mixed_activity, {"size": -1}, "size"),
]


@pytest.mark.parametrize("strategy, kwargs, argument", BAD, ids=[f"{f.__name__}-{a}-{i}" for i, (f, _, a) in enumerate(BAD)])
def test_a_bad_argument_is_rejected_when_the_strategy_is_built(strategy, kwargs, argument):
    with pytest.raises(InvalidArgument, match=rf"^{argument}: "):
        strategy(**kwargs)


def test_an_unknown_argument_is_named():
    with pytest.raises(TypeError, match="magnitude"):
        S.arrays(shape=(2,), magnitude=2.0)


@pytest.mark.parametrize("name", [n for n in S.__all__ if callable(getattr(S, n))])
def test_every_strategy_takes_keyword_arguments_only(name):
    parameters = inspect.signature(getattr(S, name)).parameters.values()
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in parameters)
    assert getattr(S, name).__doc__
