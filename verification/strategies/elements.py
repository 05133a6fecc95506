r"""Elements, vectors and arrays: :func:`floats` and everything drawn element by element from its
domain (:func:`arrays`, :func:`scalars`, :func:`vectors`, :func:`nonzero` divisors, pairs of
vectors of one length, a vector with its scalar) and :func:`sizes` from a pool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from numpy.typing import DTypeLike

from verification.strategies.defaults import KINK_MARGIN, MAGNITUDE, MIN_MAGNITUDE, VECTOR_SIZES
from verification.strategies.domain import arrays_of_shape, element_domain
from verification.strategies.validation import checked_count, checked_lane, checked_pool, checked_shape, checked_shape_pool, is_shape

__all__ = ["arrays", "floats", "nonzero", "scalars", "sizes", "vector_and_scalar", "vector_pairs", "vectors"]

Shapes = tuple[int, ...] | Sequence[tuple[int, ...]] | st.SearchStrategy[tuple[int, ...]]
"""What ``shape`` may be: one shape, a pool of shapes, or a strategy of shapes."""


def floats(
    *,
    dtype: DTypeLike = np.float64,
    max_magnitude: float = MAGNITUDE,
    min_magnitude: float = MIN_MAGNITUDE,
    allow_zero: bool = True,
    away_from: Sequence[float] = (),
    margin: float = KINK_MARGIN,
) -> st.SearchStrategy[float]:
    r"""Python floats :math:`x`, exactly representable in ``dtype``, with :math:`x = 0` (if
    ``allow_zero``) or ``min_magnitude`` :math:`\le |x| \le` ``max_magnitude``, never
    subnormal, and :math:`|x - k| \ge` ``margin`` for every kink :math:`k` in ``away_from``.

    One bounded ``st.floats`` per value: magnitudes below ``min_magnitude`` become 0 (or
    ±``min_magnitude`` without zero), a value inside a kink's margin moves to the nearest
    allowed value (so the edges ``k ± margin`` are drawn often).  Shrinks towards 0, or the
    allowed value nearest to it.
    """
    domain = element_domain(dtype, max_magnitude, min_magnitude, allow_zero, away_from, margin)
    return domain.strategy()


def arrays(*, dtype: DTypeLike = np.float64, shape: Shapes, **floats_kwargs: Any) -> st.SearchStrategy[np.ndarray]:
    r"""Arrays of ``dtype`` whose elements are drawn by :func:`floats` (``floats_kwargs``).

    ``shape`` is a tuple, a non-empty sequence of tuples (a pool: each new shape compiles
    again, so keep it small; shrinks towards its start and fewer elements, so list the smallest
    shape first), or a strategy of shapes.  Elements shrink as in :func:`floats`.

    Up to ``DRAWN_ELEMENTS`` elements, each element is drawn.  A larger array is a seeded
    pseudo-random background :math:`s\,u_i` (:math:`u_i` uniform in [-1, 1] from a drawn seed,
    :math:`s \le` ``max_magnitude`` drawn), mapped into the domain of :func:`floats` like a
    drawn value, with up to ``PLACED_ELEMENTS`` drawn elements at drawn positions: drawing every
    element would cost about 0.1 ms each and exhaust hypothesis's size budget per example
    (about a thousand values).  It shrinks to :math:`s = 0` (zeros, or the allowed value
    nearest 0), seed 0, no placed elements.
    """
    domain = element_domain(dtype, **floats_kwargs)
    if isinstance(shape, st.SearchStrategy):
        return shape.flatmap(lambda s: arrays_of_shape(domain, s))
    if is_shape(shape):
        return arrays_of_shape(domain, checked_shape(shape))
    # one strategy per shape, built once (hypothesis validates a new strategy at every draw)
    return st.sampled_from(checked_shape_pool(shape)).flatmap(lambda s: arrays_of_shape(domain, s))


def scalars(*, dtype: DTypeLike = np.float64, **floats_kwargs: Any) -> st.SearchStrategy[np.ndarray]:
    r"""0-d arrays of ``dtype`` (the scalars :math:`z, b` of the paper), drawn by :func:`floats`."""
    return arrays(dtype=dtype, shape=(), **floats_kwargs)


def sizes(*, pool: Sequence[int] = VECTOR_SIZES) -> st.SearchStrategy[int]:
    r"""A size from ``pool`` (a non-empty sequence of positive integers); shrinks to the first."""
    return st.sampled_from(checked_pool("pool", pool))


def vectors(*, dtype: DTypeLike = np.float64, n: int | None = None, **floats_kwargs: Any) -> st.SearchStrategy[np.ndarray]:
    r"""Vectors of length ``n`` (drawn from ``VECTOR_SIZES`` if None; shrinks to the first),
    elements drawn by :func:`floats`."""
    shape: Any = [(k,) for k in VECTOR_SIZES] if n is None else (checked_count("n", n, low=0),)
    return arrays(dtype=dtype, shape=shape, **floats_kwargs)


def nonzero(*, dtype: DTypeLike = np.float64, shape: Shapes, min_magnitude: float = 0.1, **floats_kwargs: Any) -> st.SearchStrategy[np.ndarray]:
    r"""Divisors: arrays of ``shape`` (as in :func:`arrays`) with every
    :math:`|x_i| \ge` ``min_magnitude``, so :math:`1/x_i` stays within ``1/min_magnitude``.
    Shrinks towards ±``min_magnitude``."""
    if floats_kwargs.get("allow_zero", False):
        raise InvalidArgument("allow_zero: nonzero() never draws zero")
    floats_kwargs.pop("allow_zero", None)
    return arrays(dtype=dtype, shape=shape, min_magnitude=min_magnitude, allow_zero=False, **floats_kwargs)


def vector_pairs(*, dtype: DTypeLike = np.float64, second_nonzero: bool = False) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""``(w, x)``: two vectors of one shared length from ``VECTOR_SIZES``; with
    ``second_nonzero``, every :math:`|x_i| \ge 0.1` (a divisor).  Shrinks to length 1, zeros."""
    dtype = checked_lane(dtype)
    if not isinstance(second_nonzero, bool):
        raise InvalidArgument(f"second_nonzero: expected a bool, got {second_nonzero!r}")
    # one array of both rows: one draw of the shape and of the elements, the cheapest for hypothesis
    both = arrays(dtype=dtype, shape=[(2, k) for k in VECTOR_SIZES])
    if not second_nonzero:
        return both.map(lambda wx: (wx[0].copy(), wx[1].copy()))
    return both.map(lambda wx: (wx[0].copy(), _at_least(wx[1], 0.1)))


def _at_least(x: np.ndarray, low: float) -> np.ndarray:
    """``x`` with every magnitude raised to at least ``low`` (``low`` a value of x's dtype); 0 becomes +low."""
    return np.where(x < 0, -1, 1).astype(x.dtype) * np.maximum(np.abs(x), x.dtype.type(low))


def vector_and_scalar(*, dtype: DTypeLike = np.float64) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""``(x, z)``: a vector from ``VECTOR_SIZES`` and the 0-d scalar it is expanded against
    (drawn as one array of n + 1 values)."""
    joined = arrays(dtype=dtype, shape=[(k + 1,) for k in VECTOR_SIZES])
    return joined.map(lambda xz: (xz[:-1].copy(), xz[-1].copy()))
