r"""The domain of one drawn element and arrays drawn in it.

:class:`Domain` is the allowed set (zero, a band of magnitudes, minus the margins around kinks)
and the map of any float into it; :func:`element_domain` checks the arguments of
:func:`verification.strategies.floats` and builds one; :func:`arrays_of_shape` draws arrays of
one shape in a domain, with a seeded background for large ones."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from verification.strategies.defaults import KINK_MARGIN, MAGNITUDE, MIN_MAGNITUDE
from verification.strategies.rounding import round_into, smallest_normal
from verification.strategies.validation import checked_lane, checked_real

__all__ = ["DRAWN_ELEMENTS", "PLACED_ELEMENTS", "Domain", "arrays_of_shape", "element_domain"]

DRAWN_ELEMENTS = 32
"""Arrays up to this many elements have every element drawn by hypothesis; larger ones get a
seeded background (see :func:`verification.strategies.arrays`)."""
PLACED_ELEMENTS = 8
"""At most this many drawn elements are placed into a large array's background."""
CACHED_STRATEGIES = 1024
"""Domains, and arrays of one shape in a domain, kept per process (least recently used first
out).  A strategy built inside a ``flatmap`` is built again at every draw; the same object
again is validated once by hypothesis, not at every draw, which costs more than the draw."""


class Domain:
    r"""The allowed set of one element: :math:`\{0\} \cup \{x : lo \le |x| \le hi\}` minus the
    open intervals :math:`(k - m, k + m)` around each kink :math:`k`, as closed intervals whose
    ends are values of the dtype, and the map that sends any float in ``[-hi, hi]`` into it."""

    def __init__(self, dtype: np.dtype, hi: float, lo: float, allow_zero: bool, kinks: tuple[float, ...], margin: float):
        self.dtype, self.hi, self.lo, self.allow_zero, self.kinks = np.dtype(dtype), hi, lo, allow_zero, kinks
        pieces = [(-hi, -lo), (lo, hi)] if lo > 0 else [(-hi, hi)]
        zero_allowed = allow_zero and lo > 0
        for k in kinks:
            # the ends k ± margin, rounded away from k into dtype; beyond ±hi they cut nothing
            exact_left, exact_right = Fraction(k) - Fraction(margin), Fraction(k) + Fraction(margin)
            if exact_left > hi or exact_right < -hi:
                continue
            left = round_into(self.dtype, exact_left, up=False) if exact_left >= -hi else -math.inf
            right = round_into(self.dtype, exact_right, up=True) if exact_right <= hi else math.inf
            pieces = [p for a, b in pieces for p in ((a, min(b, left)), (max(a, right), b)) if p[0] <= p[1]]
            zero_allowed = zero_allowed and abs(Fraction(k)) >= Fraction(margin)
        self.pieces = sorted(set(pieces))
        self.points = [p for a, b in self.pieces for p in (a, b)] + ([0.0] if zero_allowed else [])
        self.zero_allowed = zero_allowed
        self.empty = not self.pieces and not zero_allowed
        self._strategy: st.SearchStrategy[float] | None = None

    @property
    def width(self) -> Literal[32, 64]:
        """The dtype's width in bits, as ``st.floats`` takes it."""
        return 64 if self.dtype == np.float64 else 32

    def gap(self, v: float) -> float:
        """The gap around zero only: magnitudes below ``lo`` become 0, or ±lo if 0 is not allowed."""
        if abs(v) >= self.lo:
            return v + 0.0  # -0.0 -> 0.0
        return 0.0 if self.allow_zero else math.copysign(self.lo, v)

    def project(self, v: float) -> float:
        """The gap map, then the nearest allowed value if that lands within a kink's margin."""
        v = self.gap(v)
        if v == 0.0 and self.zero_allowed or any(a <= v <= b for a, b in self.pieces):
            return v
        return min(self.points, key=lambda p: abs(p - v))

    def strategy(self) -> st.SearchStrategy[float]:
        """One bounded ``st.floats`` of the dtype's width, mapped into the domain (one object per domain)."""
        if self._strategy is None:
            raw = st.floats(-self.hi, self.hi, width=self.width, allow_subnormal=False)
            self._strategy = raw.map(self.project if self.kinks else self.gap)
        return self._strategy

    def project_array(self, a: np.ndarray) -> np.ndarray:
        """:meth:`project` of every element of ``a`` (values of the dtype within ±hi), vectorized
        for the gap; subnormals (possible when lo = 0) become 0."""
        gap = max(self.lo, smallest_normal(self.dtype))
        small = np.abs(a) < gap
        if self.allow_zero:
            a = np.where(small, 0, a) + 0  # -0.0 -> 0.0
        else:
            a = np.where(small, np.where(np.signbit(a), -self.lo, self.lo), a)
        a = a.astype(self.dtype)
        if self.kinks:
            a = np.array([self.project(float(v)) for v in a.ravel()], dtype=self.dtype).reshape(a.shape)
        return a


def element_domain(dtype: Any, max_magnitude: float = MAGNITUDE, min_magnitude: float = MIN_MAGNITUDE,
                   allow_zero: bool = True, away_from: Sequence[float] = (), margin: float = KINK_MARGIN) -> Domain:
    """The arguments of :func:`verification.strategies.floats`, checked, as a :class:`Domain` whose bounds are values of ``dtype``."""
    lane = checked_lane(dtype)
    hi = checked_real("max_magnitude", max_magnitude, low=0.0, low_open=True)
    lo = checked_real("min_magnitude", min_magnitude, low=0.0)
    if lo > hi:
        raise InvalidArgument(f"min_magnitude: expected at most max_magnitude={hi:g}, got {lo:g}")
    if hi > float(np.finfo(lane).max):
        raise InvalidArgument(f"max_magnitude: {hi:g} overflows {lane}")
    if not isinstance(allow_zero, bool):
        raise InvalidArgument(f"allow_zero: expected a bool, got {allow_zero!r}")
    if isinstance(away_from, str) or not isinstance(away_from, Sequence):
        raise InvalidArgument(f"away_from: expected a sequence of kink locations, got {away_from!r}")
    kinks = tuple(checked_real("away_from", k) for k in away_from)
    margin = checked_real("margin", margin, low=0.0, low_open=bool(kinks))
    # the bounds, shrunk inwards to values of dtype; lo at least the smallest normal
    hi = round_into(lane, Fraction(hi), up=False)
    lo = round_into(lane, Fraction(lo), up=True) if lo > 0 else 0.0
    if lo > 0 or not allow_zero:  # no subnormal, and without zero no value below the normal range
        lo = max(lo, smallest_normal(lane))
    if lo > hi:
        raise InvalidArgument(f"min_magnitude: no value of {lane} lies in [{min_magnitude:g}, {max_magnitude:g}]")
    domain = _domain(lane, hi, lo, allow_zero, kinks, margin)
    if domain.empty:
        raise InvalidArgument(f"away_from: every value in ±[{lo:g}, {hi:g}] is within margin={margin:g} of a kink {kinks}")
    return domain


@functools.lru_cache(maxsize=CACHED_STRATEGIES)
def _domain(lane: np.dtype, hi: float, lo: float, allow_zero: bool, kinks: tuple[float, ...], margin: float) -> Domain:
    return Domain(lane, hi, lo, allow_zero, kinks, margin)


def arrays_of_shape(domain: Domain, shape: Sequence[int]) -> st.SearchStrategy[np.ndarray]:
    """Arrays of one ``shape`` with elements in ``domain``: each drawn up to ``DRAWN_ELEMENTS``,
    else a seeded background with up to ``PLACED_ELEMENTS`` drawn elements placed in it (one
    object per domain and shape)."""
    return _arrays_of_shape(domain, tuple(int(k) for k in shape))


@functools.lru_cache(maxsize=CACHED_STRATEGIES)
def _arrays_of_shape(domain: Domain, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    size = math.prod(shape)
    if size <= DRAWN_ELEMENTS:
        # every element drawn (no fill), then mapped into the domain as one array: a map per
        # element would add two spans per element to each example, which hypothesis walks when
        # it mutates and shrinks
        raw = st.floats(-domain.hi, domain.hi, width=domain.width, allow_subnormal=False)
        return hnp.arrays(domain.dtype, shape, elements=raw, fill=st.nothing()).map(domain.project_array)

    def build(drawn: tuple[int, float, list[tuple[int, float]]]) -> np.ndarray:
        seed, scale, placed = drawn
        u = np.random.default_rng(seed).uniform(-1.0, 1.0, size)
        flat = domain.project_array((u * scale).astype(domain.dtype))
        for i, v in placed:
            flat[i] = v
        return flat.reshape(shape)

    scale = st.floats(0.0, domain.hi, width=domain.width)
    placed = st.lists(st.tuples(st.integers(0, size - 1), domain.strategy()), max_size=PLACED_ELEMENTS)
    return st.tuples(st.integers(0, 2**32 - 1), scale, placed).map(build)
