"""Hypothesis strategies for each rule's domain.

Every strategy takes the dtype of the lane it feeds (``np.float64`` or ``np.float32``) and
draws finite values only: no NaN, no inf, no subnormals (XLA flushes float32 subnormals to
zero while NumPy keeps them, so ``x > 0`` can disagree between the two), and every nonzero
element has magnitude at least ``MIN_MAGNITUDE``, so products of a few elements stay normal.
Values are bounded by ``MAGNITUDE``.

Shapes come from small fixed pools (``VECTOR_SIZES``, ``BATCH_SIZES``): each new shape makes
``jax.jit`` compile again, so a run compiles a bounded number of times.  Everything shrinks
towards zero and towards the first size in a pool.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

VECTOR_SIZES = (1, 3)
BATCH_SIZES = (1, 5)
MAGNITUDE = 4.0
MIN_MAGNITUDE = 1e-3
KINK_MARGIN = 0.1
"""|z| >= KINK_MARGIN around the ReLU kink: far above the rounding error of z (about
eps * sum|w_j x_j| < 1e-4 in float32 for these magnitudes), so NumPy and XLA agree on the
side of the kink every sample is on.  The tie z == 0 itself is tested separately."""


def _width(dtype) -> int:
    return np.dtype(dtype).itemsize * 8


def _bounds(dtype, low: float, high: float) -> tuple[float, float]:
    """[low, high] shrunk inwards to the nearest values representable in ``dtype``."""
    t = np.dtype(dtype).type
    lo, hi = t(low), t(high)
    lo = lo if lo >= low else np.nextafter(lo, t(np.inf))
    hi = hi if hi <= high else np.nextafter(hi, t(-np.inf))
    return float(lo), float(hi)


def reals(dtype, *, magnitude: float = MAGNITUDE, min_magnitude: float = MIN_MAGNITUDE, allow_zero: bool = True):
    """Floats in ±[min_magnitude, magnitude], plus 0 if ``allow_zero``, exactly representable in ``dtype``."""
    magnitudes = st.floats(*_bounds(dtype, min_magnitude, magnitude), width=_width(dtype), allow_subnormal=False)
    signed = st.tuples(st.sampled_from((1.0, -1.0)), magnitudes).map(lambda sm: sm[0] * sm[1])
    return st.one_of(st.just(0.0), signed) if allow_zero else signed


def arrays(dtype, shape, **element_kwargs):
    """Arrays of ``shape`` whose elements are drawn by :func:`reals`."""
    return hnp.arrays(np.dtype(dtype), shape, elements=reals(dtype, **element_kwargs))


def scalars(dtype, **element_kwargs):
    """0-d arrays (the scalars z, b of the paper)."""
    return arrays(dtype, (), **element_kwargs)


def sizes(pool=VECTOR_SIZES):
    """A vector length from a fixed pool."""
    return st.sampled_from(pool)


def vectors(dtype, n: int | None = None, **element_kwargs):
    """Vectors of length ``n`` (drawn from ``VECTOR_SIZES`` if None)."""
    if n is None:
        return sizes().flatmap(lambda k: arrays(dtype, (k,), **element_kwargs))
    return arrays(dtype, (n,), **element_kwargs)


def vector_pairs(dtype, *, second_nonzero: bool = False):
    """(w, x) of one shared length; with ``second_nonzero``, every |x_i| >= 0.1 (a divisor)."""
    divisor = {"min_magnitude": 0.1, "allow_zero": False} if second_nonzero else {}
    return sizes().flatmap(lambda n: st.tuples(vectors(dtype, n), vectors(dtype, n, **divisor)))


def vector_and_scalar(dtype):
    """(x, z): a vector and the scalar it is expanded against."""
    return st.tuples(vectors(dtype), scalars(dtype))


@st.composite
def _away_from_kink(draw, dtype, w, b, X, active):
    """Move each row x_i along w so that z_i = w·x_i + b = ±t_i with t_i >= KINK_MARGIN.

    The sign of z_i is ``active[i]``; the shift x_i += (z_target - z_i) w / ||w||^2 keeps the
    drawn X otherwise intact.  Needs ||w|| > 0, which the callers guarantee.
    """
    bounds = _bounds(dtype, KINK_MARGIN, MAGNITUDE)
    margins = draw(hnp.arrays(np.float64, active.shape, elements=st.floats(*bounds, width=_width(dtype))))
    target = np.where(active, margins, -margins)
    z = X.astype(np.float64) @ w + b
    X = X + np.outer(target - z, w) / (w.astype(np.float64) @ w)
    return X.astype(dtype)


@st.composite
def _weights(draw, dtype, n):
    """Weights with |w_0| >= 0.5, so ||w|| is bounded away from 0 and the neuron can be steered."""
    w = draw(vectors(dtype, n))
    w[0] = draw(reals(dtype, min_magnitude=0.5, allow_zero=False))
    return w


@st.composite
def neuron_inputs(draw, dtype):
    """(w, b, x) for one neuron with |w·x + b| >= KINK_MARGIN, active or not (50/50)."""
    n = draw(sizes())
    w, b = draw(_weights(dtype, n)), draw(scalars(dtype))
    x = draw(vectors(dtype, n))
    active = np.array([draw(st.booleans())])
    x = draw(_away_from_kink(dtype, w, b, x[None, :], active))[0]
    return w, b, x


@st.composite
def mixed_activity(draw, size):
    """Which of ``size`` samples are active; both kinds appear whenever size >= 2."""
    active = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    if size >= 2 and (active.all() or not active.any()):
        active[-1] = not active[-1]
    return active


@st.composite
def regression_batches(draw, dtype):
    """(w, b, X, y) for the loss: X is N×n, y has N targets, and every sample keeps
    |z_i| >= KINK_MARGIN, with active and inactive samples mixed (never filtered out)."""
    n, size = draw(sizes()), draw(sizes(BATCH_SIZES))
    w, b = draw(_weights(dtype, n)), draw(scalars(dtype))
    X = draw(arrays(dtype, (size, n)))
    X = draw(_away_from_kink(dtype, w, b, X, draw(mixed_activity(size))))
    y = draw(arrays(dtype, (size,)))
    return w, b, X, y


@st.composite
def relu_points(draw, dtype):
    """Vectors for the broadcast ReLU with every |x_i| >= KINK_MARGIN."""
    return (draw(vectors(dtype, min_magnitude=KINK_MARGIN, allow_zero=False)),)
