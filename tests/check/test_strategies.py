"""The public strategies, as the package exports them: each domain guarantee holds on drawn
examples, each strategy shrinks to the documented minimal example, and each bad argument is
rejected when the strategy is built, with an error naming the argument.  One file per module of
the package (``test_strategies_<module>.py``); this one holds the checks they share and the
properties that span the modules."""

import importlib
import pkgutil

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

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


@given(st.lists(S.arrays(shape=(64,)), min_size=16, max_size=16), S.positive_definite_matrices(n=12),
       S.probability_vectors(n=64), S.symmetric_matrices(n=12))
def test_large_inputs_fit_in_one_example(batch, A, p, B):
    """Sixteen 64-vectors, a 12×12 matrix, 64 classes: far beyond what hypothesis could draw element by element."""
    assert len(batch) == 16 and np.linalg.eigvalsh(A).min() > 0 and np.sum(p) == 1 and np.array_equal(B, B.T)


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


MODULES = ["classification", "defaults", "domain", "elements", "linalg", "neuron", "rounding", "trees", "validation"]


def test_every_exported_name_is_one_of_a_modules_own():
    """The package's ``__all__`` is the public names of its modules, each the same object."""
    assert MODULES == sorted(info.name for info in pkgutil.iter_modules(S.__path__))
    owners = {}
    for name in MODULES:
        module = importlib.import_module(f"verification.strategies.{name}")
        for public in set(module.__all__) & set(S.__all__):
            assert getattr(S, public) is getattr(module, public), public
            owners[public] = name
    assert set(owners) == set(S.__all__)
