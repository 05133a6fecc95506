"""verification.strategies.validation: each bad argument is rejected when the strategy is built,
with hypothesis's InvalidArgument naming it; a bad dtype says what verification.precision says."""

import inspect
import math

import numpy as np
import pytest
from hypothesis.errors import InvalidArgument

from verification import strategies as S
from verification.precision import check_dtype

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
    """As in ``hypothesis.extra.numpy``; the one exception is ``pytrees``, whose template (a
    pytree of strategies) comes first as in ``st.tuples`` or ``st.fixed_dictionaries``."""
    parameters = list(inspect.signature(getattr(S, name)).parameters.values())
    if name == "pytrees":
        assert [(p.name, p.kind) for p in parameters] == [("template", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    else:
        assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in parameters)
    assert getattr(S, name).__doc__


BAD_DTYPES = [np.int32, "float16", "no such type", np.complex128, int, object()]


@pytest.mark.parametrize("dtype", BAD_DTYPES, ids=["int32", "float16", "unknown-name", "complex128", "int", "object"])
def test_a_bad_dtype_is_explained_as_verification_precision_explains_it(dtype):
    """One wording for a bad lane across the project: precision.check_dtype's, as InvalidArgument."""
    with pytest.raises((TypeError, ValueError)) as expected:
        check_dtype(dtype)
    with pytest.raises(InvalidArgument) as raised:
        S.floats(dtype=dtype)
    assert str(raised.value) == str(expected.value)
    assert str(raised.value).startswith("dtype: expected 'float64' or 'float32', got ")
