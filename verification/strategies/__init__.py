r"""Hypothesis strategies for the inputs of a derivative check, public and documented.

In the style of ``hypothesis.extra.numpy``: every function takes keyword arguments only and
checks them when the strategy is built, so a bad argument raises
``hypothesis.errors.InvalidArgument`` naming it, before any example is drawn.

Domain guarantees, for ``dtype`` float64 or float32 (the two lanes of a check):

- every value is finite and exactly representable in ``dtype``: no NaN, no inf, no
  subnormals (XLA flushes float32 subnormals to zero while NumPy keeps them, so ``x > 0`` could
  disagree between the two sides of a check);
- every nonzero value has magnitude in ``[min_magnitude, max_magnitude]`` (defaults
  ``MIN_MAGNITUDE`` and ``MAGNITUDE``), so products of a few values stay normal; zero is a
  positive zero;
- ``away_from`` keeps values at least ``margin`` from the points where a function has a kink
  (ReLU at 0, |x| at 0), where a hand derivative and JAX may legitimately differ;
- shapes come from small pools (``VECTOR_SIZES``, ``BATCH_SIZES``, ``MATRIX_SIZES``): each new
  shape makes ``jax.jit`` compile again, so a run compiles a bounded number of times;
- structured domains (positive definite, well conditioned, probability vectors, batches with
  active and inactive neurons) are built constructively, never by filtering, so no example
  is rejected and hypothesis's health checks never fire.

Everything shrinks towards zero (or the nearest allowed value) and towards the start of a pool
and fewer elements (the pools list their smallest entry first).  Generation is kept lean (one ``st.floats`` per element, the sign and the gap around
zero applied by a map), because drawing examples is the main cost of a long check; the
benchmark (``python -m verification bench``) reports the cost per example.

Example, in a user's test::

    from hypothesis import given
    from verification import strategies as S

    @given(S.arrays(dtype=np.float32, shape=[(3,), (2, 3)], away_from=(0.0,)))
    def test_relu_gradient(x): ...
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import jax
import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

__all__ = [
    "pytrees",
    "BATCH_SIZES",
    "DRAWN_ELEMENTS",
    "KINK_MARGIN",
    "MAGNITUDE",
    "MATRIX_SIZES",
    "MIN_MAGNITUDE",
    "PLACED_ELEMENTS",
    "VECTOR_SIZES",
    "arrays",
    "floats",
    "logits",
    "logits_and_labels",
    "matrices",
    "mixed_activity",
    "neuron_inputs",
    "nonzero",
    "one_hot",
    "positive_definite_matrices",
    "probability_vectors",
    "regression_batches",
    "relu_points",
    "scalars",
    "sizes",
    "symmetric_matrices",
    "vector_and_scalar",
    "vector_pairs",
    "vectors",
    "well_conditioned_matrices",
]

VECTOR_SIZES = (1, 3)
"""Vector lengths: 1 (the scalar case in vector form) and 3 (off-diagonal entries exist)."""
BATCH_SIZES = (1, 5)
"""Batch sizes N of ``regression_batches``."""
MATRIX_SIZES = (1, 3)
"""Row and column counts of ``matrices`` and the square matrices."""
MAGNITUDE = 4.0
"""Default bound on |x|: large enough for saturation to show, small enough that exp stays finite."""
MIN_MAGNITUDE = 1e-3
"""Default smallest nonzero |x|: a product of a few such values stays far from subnormal."""
KINK_MARGIN = 0.1
"""|z| >= KINK_MARGIN around the ReLU kink: far above the rounding error of z (about
eps * sum|w_j x_j| < 1e-4 in float32 for these magnitudes), so NumPy and XLA agree on the
side of the kink every sample is on.  The tie z == 0 itself is tested separately."""

_LANES = (np.dtype(np.float64), np.dtype(np.float32))


# --- argument checks -------------------------------------------------------------------------

def _lane(dtype) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise InvalidArgument(f"dtype: expected float64 or float32, got {dtype!r}") from error
    if resolved not in _LANES:
        raise InvalidArgument(f"dtype: expected float64 or float32, got {resolved}")
    return resolved


def _real(name: str, value, *, low: float = -math.inf, low_open: bool = False) -> float:
    """``value`` as a finite float, at least ``low`` (strictly above it if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidArgument(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidArgument(f"{name}: expected a finite number, got {value}")
    if value < low or (low_open and value == low):
        raise InvalidArgument(f"{name}: expected a number {'>' if low_open else '>='} {low:g}, got {value:g}")
    return value


def _count(name: str, value, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidArgument(f"{name}: expected an integer, got {value!r}")
    if value < low:
        raise InvalidArgument(f"{name}: expected an integer >= {low}, got {value}")
    return int(value)


def _pool(name: str, pool, *, low: int = 1) -> tuple[int, ...]:
    if isinstance(pool, int | np.integer) or not isinstance(pool, Sequence) or len(pool) == 0:
        raise InvalidArgument(f"{name}: expected a non-empty sequence of sizes, got {pool!r}")
    return tuple(_count(name, k, low=low) for k in pool)


def _size_or_pool(name: str, n, pool: tuple[int, ...], *, low: int = 1):
    """A strategy of sizes: ``n`` itself, or drawn from ``pool`` when ``n`` is None."""
    return st.sampled_from(pool) if n is None else st.just(_count(name, n, low=low))


def _is_shape(value) -> bool:
    return isinstance(value, tuple) and all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in value)


def _shapes(shape) -> st.SearchStrategy[tuple[int, ...]]:
    """``shape`` as a strategy: a tuple, a non-empty pool of tuples, or a strategy as given."""
    if isinstance(shape, st.SearchStrategy):
        return shape
    if _is_shape(shape):
        return st.just(_checked_shape(shape))
    if isinstance(shape, Sequence) and not isinstance(shape, str) and shape and all(_is_shape(s) for s in shape):
        return st.sampled_from([_checked_shape(s) for s in shape])
    raise InvalidArgument(f"shape: expected a tuple of sizes, a non-empty sequence of such tuples, or a strategy; got {shape!r}")


def _checked_shape(shape: tuple) -> tuple[int, ...]:
    if any(k < 0 for k in shape):
        raise InvalidArgument(f"shape: expected non-negative sizes, got {shape}")
    return tuple(int(k) for k in shape)


# --- exact rounding of bounds into a dtype -----------------------------------------------------

def _round(dtype: np.dtype, value: Fraction, *, up: bool) -> float:
    """The nearest value of ``dtype`` at or above (``up``) or at or below ``value``, exactly."""
    t = dtype.type
    r = t(float(value))
    while (Fraction(float(r)) < value) if up else (Fraction(float(r)) > value):
        r = np.nextafter(r, t(np.inf if up else -np.inf))
    return float(r)


def _smallest_normal(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).smallest_normal)


# --- elements ----------------------------------------------------------------------------------

class _Domain:
    r"""The allowed set of one element: :math:`\{0\} \cup \{x : lo \le |x| \le hi\}` minus the
    open intervals :math:`(k - m, k + m)` around each kink :math:`k`, as closed intervals whose
    ends are values of the dtype, and the map that sends any float in ``[-hi, hi]`` into it."""

    def __init__(self, dtype, hi: float, lo: float, allow_zero: bool, kinks: tuple[float, ...], margin: float):
        self.dtype, self.hi, self.lo, self.allow_zero, self.kinks = np.dtype(dtype), hi, lo, allow_zero, kinks
        pieces = [(-hi, -lo), (lo, hi)] if lo > 0 else [(-hi, hi)]
        zero_allowed = allow_zero and lo > 0
        for k in kinks:
            # the ends k ± margin, rounded away from k into dtype; beyond ±hi they cut nothing
            left, right = Fraction(k) - Fraction(margin), Fraction(k) + Fraction(margin)
            if left > hi or right < -hi:
                continue
            left = _round(dtype, left, up=False) if left >= -hi else -math.inf
            right = _round(dtype, right, up=True) if right <= hi else math.inf
            pieces = [p for a, b in pieces for p in ((a, min(b, left)), (max(a, right), b)) if p[0] <= p[1]]
            zero_allowed = zero_allowed and abs(Fraction(k)) >= Fraction(margin)
        self.pieces = sorted(set(pieces))
        self.points = [p for a, b in self.pieces for p in (a, b)] + ([0.0] if zero_allowed else [])
        self.zero_allowed = zero_allowed
        self.empty = not self.pieces and not zero_allowed

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
        """One bounded ``st.floats`` of the dtype's width, mapped into the domain."""
        raw = st.floats(-self.hi, self.hi, width=self.dtype.itemsize * 8, allow_subnormal=False)
        return raw.map(self.project if self.kinks else self.gap)

    def project_array(self, a: np.ndarray) -> np.ndarray:
        """:meth:`project` of every element of ``a`` (values of the dtype within ±hi), vectorized
        for the gap; subnormals (possible when lo = 0) become 0."""
        gap = max(self.lo, _smallest_normal(self.dtype))
        small = np.abs(a) < gap
        if self.allow_zero:
            a = np.where(small, 0, a) + 0  # -0.0 -> 0.0
        else:
            a = np.where(small, np.where(np.signbit(a), -self.lo, self.lo), a)
        a = a.astype(self.dtype)
        if self.kinks:
            a = np.array([self.project(float(v)) for v in a.ravel()], dtype=self.dtype).reshape(a.shape)
        return a


def floats(
    *,
    dtype=np.float64,
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
    domain = _element_domain(dtype, max_magnitude, min_magnitude, allow_zero, away_from, margin)
    return domain.strategy()


def _element_domain(dtype, max_magnitude=MAGNITUDE, min_magnitude=MIN_MAGNITUDE, allow_zero=True, away_from=(),
                    margin=KINK_MARGIN) -> _Domain:
    """The checked arguments of :func:`floats` as a :class:`_Domain`."""
    dtype = _lane(dtype)
    hi = _real("max_magnitude", max_magnitude, low=0.0, low_open=True)
    lo = _real("min_magnitude", min_magnitude, low=0.0)
    if lo > hi:
        raise InvalidArgument(f"min_magnitude: expected at most max_magnitude={hi:g}, got {lo:g}")
    if hi > float(np.finfo(dtype).max):
        raise InvalidArgument(f"max_magnitude: {hi:g} overflows {dtype}")
    if not isinstance(allow_zero, bool):
        raise InvalidArgument(f"allow_zero: expected a bool, got {allow_zero!r}")
    if isinstance(away_from, str) or not isinstance(away_from, Sequence):
        raise InvalidArgument(f"away_from: expected a sequence of kink locations, got {away_from!r}")
    kinks = tuple(_real("away_from", k) for k in away_from)
    margin = _real("margin", margin, low=0.0, low_open=bool(kinks))
    # the bounds, shrunk inwards to values of dtype; lo at least the smallest normal
    hi = _round(dtype, Fraction(hi), up=False)
    lo = _round(dtype, Fraction(lo), up=True) if lo > 0 else 0.0
    if lo > 0 or not allow_zero:  # no subnormal, and without zero no value below the normal range
        lo = max(lo, _smallest_normal(dtype))
    if lo > hi:
        raise InvalidArgument(f"min_magnitude: no value of {dtype} lies in [{min_magnitude:g}, {max_magnitude:g}]")
    domain = _Domain(dtype, hi, lo, allow_zero, kinks, margin)
    if domain.empty:
        raise InvalidArgument(f"away_from: every value in ±[{lo:g}, {hi:g}] is within margin={margin:g} of a kink {kinks}")
    return domain


DRAWN_ELEMENTS = 32
"""Arrays up to this many elements have every element drawn by hypothesis; larger ones get a
seeded background (see :func:`arrays`)."""
PLACED_ELEMENTS = 8
"""At most this many drawn elements are placed into a large array's background."""


def arrays(*, dtype=np.float64, shape, **floats_kwargs) -> st.SearchStrategy[np.ndarray]:
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
    domain = _element_domain(dtype, **floats_kwargs)
    if _is_shape(shape):
        return _array_of(domain, _checked_shape(shape))
    shapes = _shapes(shape)  # checks a pool
    if not isinstance(shape, st.SearchStrategy) and all(math.prod(s) <= DRAWN_ELEMENTS for s in shape):
        return hnp.arrays(domain.dtype, shapes, elements=domain.strategy())
    return shapes.flatmap(lambda s: _array_of(domain, s))


def _array_of(domain: _Domain, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    size = math.prod(shape)
    if size <= DRAWN_ELEMENTS:
        return hnp.arrays(domain.dtype, shape, elements=domain.strategy())

    def build(drawn) -> np.ndarray:
        seed, scale, placed = drawn
        u = np.random.default_rng(seed).uniform(-1.0, 1.0, size)
        flat = domain.project_array((u * scale).astype(domain.dtype))
        for i, v in placed:
            flat[i] = v
        return flat.reshape(shape)

    scale = st.floats(0.0, domain.hi, width=domain.dtype.itemsize * 8)
    placed = st.lists(st.tuples(st.integers(0, size - 1), domain.strategy()), max_size=PLACED_ELEMENTS)
    return st.tuples(st.integers(0, 2**32 - 1), scale, placed).map(build)


def scalars(*, dtype=np.float64, **floats_kwargs) -> st.SearchStrategy[np.ndarray]:
    r"""0-d arrays of ``dtype`` (the scalars :math:`z, b` of the paper), drawn by :func:`floats`."""
    return arrays(dtype=dtype, shape=(), **floats_kwargs)


def sizes(*, pool: Sequence[int] = VECTOR_SIZES) -> st.SearchStrategy[int]:
    r"""A size from ``pool`` (a non-empty sequence of positive integers); shrinks to the first."""
    return st.sampled_from(_pool("pool", pool))


def vectors(*, dtype=np.float64, n: int | None = None, **floats_kwargs) -> st.SearchStrategy[np.ndarray]:
    r"""Vectors of length ``n`` (drawn from ``VECTOR_SIZES`` if None; shrinks to the first),
    elements drawn by :func:`floats`."""
    shape = [(k,) for k in VECTOR_SIZES] if n is None else (_count("n", n, low=0),)
    return arrays(dtype=dtype, shape=shape, **floats_kwargs)


def nonzero(*, dtype=np.float64, shape, min_magnitude: float = 0.1, **floats_kwargs) -> st.SearchStrategy[np.ndarray]:
    r"""Divisors: arrays of ``shape`` (as in :func:`arrays`) with every
    :math:`|x_i| \ge` ``min_magnitude``, so :math:`1/x_i` stays within ``1/min_magnitude``.
    Shrinks towards ±``min_magnitude``."""
    if floats_kwargs.get("allow_zero", False):
        raise InvalidArgument("allow_zero: nonzero() never draws zero")
    floats_kwargs.pop("allow_zero", None)
    return arrays(dtype=dtype, shape=shape, min_magnitude=min_magnitude, allow_zero=False, **floats_kwargs)


def vector_pairs(*, dtype=np.float64, second_nonzero: bool = False) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""``(w, x)``: two vectors of one shared length from ``VECTOR_SIZES``; with
    ``second_nonzero``, every :math:`|x_i| \ge 0.1` (a divisor).  Shrinks to length 1, zeros."""
    dtype = _lane(dtype)
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


def vector_and_scalar(*, dtype=np.float64) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""``(x, z)``: a vector from ``VECTOR_SIZES`` and the 0-d scalar it is expanded against
    (drawn as one array of n + 1 values)."""
    joined = arrays(dtype=dtype, shape=[(k + 1,) for k in VECTOR_SIZES])
    return joined.map(lambda xz: (xz[:-1].copy(), xz[-1].copy()))


# --- matrices ----------------------------------------------------------------------------------

def matrices(*, dtype=np.float64, shape: tuple[int, int] | None = None, **floats_kwargs) -> st.SearchStrategy[np.ndarray]:
    r"""General matrices, elements drawn by :func:`floats`; ``shape`` None draws (m, n) with
    m, n from ``MATRIX_SIZES`` (non-square included).  Shrinks to 1×1, zeros."""
    if shape is None:
        shape = [(m, n) for m in MATRIX_SIZES for n in MATRIX_SIZES]
    elif not (_is_shape(shape) and len(shape) == 2):
        raise InvalidArgument(f"shape: expected a pair (rows, columns) or None, got {shape!r}")
    return arrays(dtype=dtype, shape=shape, **floats_kwargs)


def symmetric_matrices(*, dtype=np.float64, n: int | None = None, **floats_kwargs) -> st.SearchStrategy[np.ndarray]:
    r"""Symmetric :math:`A = A^\mathsf{T}`, n×n (n from ``MATRIX_SIZES`` if None): the upper
    triangle is drawn by :func:`floats` and mirrored, so every entry keeps its guarantees."""
    dtype = _lane(dtype)
    domain = _element_domain(dtype, **floats_kwargs)

    def mirror(k: int):
        rows, cols = np.triu_indices(k)

        def build(upper: np.ndarray) -> np.ndarray:
            A = np.zeros((k, k), dtype)
            A[rows, cols] = upper
            A[cols, rows] = upper
            return A

        return _array_of(domain, (len(rows),)).map(build)

    return _size_or_pool("n", n, MATRIX_SIZES).flatmap(mirror)


def _spectral_ratio(name: str, max_condition, dtype: np.dtype, n_max: int) -> float:
    r"""The largest ratio of the drawn spectrum so that the matrix, rounded to ``dtype``, still
    has condition number at most ``max_condition``.

    Rounding :math:`Q\,\mathrm{diag}(s)\,Q^\mathsf{T}` (in float64, then to ``dtype``) moves each
    eigen- or singular value by at most :math:`\delta\,s_{max}` with
    :math:`\delta = 4 n \varepsilon`; the ratio :math:`r` solves
    :math:`r (1 + \delta c) / (1 - \delta c) = c`."""
    c = _real(name, max_condition, low=1.0, low_open=True)
    delta = 4 * n_max * float(np.finfo(dtype).eps) * c
    r = c * (1 - delta) / (1 + delta) if delta < 1 else 0.0
    if r <= 1:
        raise InvalidArgument(f"{name}: {c:g} is too close to 1 (or too large) for rounding in {dtype} at n={n_max}")
    return r


def _orthogonal(A: np.ndarray) -> np.ndarray:
    """Q of the QR factorisation of ``A``: orthogonal for any square matrix, singular ones included."""
    return np.linalg.qr(A)[0]


def _spectrum(v: np.ndarray, ratio: float) -> np.ndarray:
    """Drawn values in [-MAGNITUDE, MAGNITUDE] mapped to [MAGNITUDE / ratio, MAGNITUDE] by |v|; 0 maps to the smallest."""
    low = MAGNITUDE / ratio
    return low + np.abs(v) / MAGNITUDE * (MAGNITUDE - low)


def _flush(A: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast to ``dtype``, rounding values below the dtype's normal range (rounding noise of an exact
    zero) to 0, so no subnormal reaches a check."""
    A = A.astype(dtype)
    A[np.abs(A) < np.finfo(dtype).smallest_normal] = 0
    return A


def positive_definite_matrices(*, dtype=np.float64, n: int | None = None, max_condition: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    r"""Symmetric positive definite :math:`A = Q\,\mathrm{diag}(\lambda)\,Q^\mathsf{T}`, n×n (n from
    ``MATRIX_SIZES`` if None), eigenvalues in ``[MAGNITUDE/max_condition, MAGNITUDE]``, condition
    number :math:`\lambda_{max}/\lambda_{min} \le` ``max_condition`` after rounding to ``dtype``.
    Built from one drawn array, never filtered; shrinks towards a multiple of the identity."""
    dtype = _lane(dtype)
    sizes_ = _size_or_pool("n", n, MATRIX_SIZES)
    ratio = _spectral_ratio("max_condition", max_condition, dtype, max(MATRIX_SIZES) if n is None else max(n, 1))

    def build(k: int):
        def assemble(A: np.ndarray) -> np.ndarray:
            A = A.astype(np.float64)
            Q = _orthogonal(A[:k])
            S = (Q * _spectrum(A[k], ratio)) @ Q.T
            return _flush((S + S.T) / 2, dtype)

        return _array_of(_element_domain(dtype), (k + 1, k)).map(assemble)

    return sizes_.flatmap(build)


def well_conditioned_matrices(*, dtype=np.float64, n: int | None = None, max_condition: float = 1e2) -> st.SearchStrategy[np.ndarray]:
    r"""Square invertible :math:`A = U\,\mathrm{diag}(\sigma)\,V^\mathsf{T}`, n×n (n from
    ``MATRIX_SIZES`` if None), singular values in ``[MAGNITUDE/max_condition, MAGNITUDE]``, so
    :math:`\kappa_2(A) = \sigma_{max}/\sigma_{min} \le` ``max_condition`` after rounding to
    ``dtype``.  Built from one drawn array, never filtered; shrinks towards a multiple of the identity."""
    dtype = _lane(dtype)
    sizes_ = _size_or_pool("n", n, MATRIX_SIZES)
    ratio = _spectral_ratio("max_condition", max_condition, dtype, max(MATRIX_SIZES) if n is None else max(n, 1))

    def build(k: int):
        def assemble(A: np.ndarray) -> np.ndarray:
            A = A.astype(np.float64)
            U, V = _orthogonal(A[:k]), _orthogonal(A[k:2 * k])
            return _flush((U * _spectrum(A[2 * k], ratio)) @ V.T, dtype)

        return _array_of(_element_domain(dtype), (2 * k + 1, k)).map(assemble)

    return sizes_.flatmap(build)


# --- classification --------------------------------------------------------------------------

def probability_vectors(*, dtype=np.float64, n: int | None = None, min_probability: float = 1e-3) -> st.SearchStrategy[np.ndarray]:
    r"""Points of the simplex: :math:`p_i \ge` ``min_probability``, :math:`\sum_i p_i = 1`
    exactly in ``dtype`` (in any summation order), n from ``VECTOR_SIZES`` if None.

    Every :math:`p_i` is a multiple of :math:`2^{-k}` (k = mantissa bits − 4), so every partial
    sum is exact.  Shrinks towards the uniform vector.
    """
    dtype = _lane(dtype)
    quantum_bits = np.finfo(dtype).nmant - 4
    total = 2**quantum_bits
    p_min = _real("min_probability", min_probability, low=2.0**-quantum_bits)
    sizes_ = _size_or_pool("n", n, VECTOR_SIZES)
    largest = max(VECTOR_SIZES) if n is None else n
    floor = math.ceil(p_min * total)
    if floor * largest > total:
        raise InvalidArgument(f"min_probability: {p_min:g} × n={largest} exceeds 1")

    def build(k: int):
        def normalise(weights: np.ndarray) -> np.ndarray:
            spare = total - floor * k
            counts = np.floor(spare * weights / weights.sum()).astype(np.int64)
            counts[np.argmax(weights)] += spare - counts.sum()
            return ((counts + floor) / total).astype(dtype)

        weights = _array_of(_element_domain(np.float64, max_magnitude=15.0), (k,))
        return weights.map(lambda v: normalise(1 + np.abs(v)))

    return sizes_.flatmap(build)


def one_hot(*, dtype=np.float64, n: int | None = None) -> st.SearchStrategy[np.ndarray]:
    r"""One-hot labels :math:`e_c` of length n (from ``VECTOR_SIZES`` if None): a single 1, zeros
    elsewhere.  Shrinks to class 0."""
    dtype = _lane(dtype)
    sizes_ = _size_or_pool("n", n, VECTOR_SIZES)
    return sizes_.flatmap(lambda k: st.integers(0, k - 1).map(lambda c: np.eye(k, dtype=dtype)[c]))


def logits(*, dtype=np.float64, n: int | None = None, max_magnitude: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    r"""Logit vectors of length n (from ``VECTOR_SIZES`` if None) with :math:`|z_i| \le`
    ``max_magnitude``: large logits are allowed (a softmax saturates, ``exp`` would overflow
    unless the function under test shifts by the maximum).  Elements as in :func:`floats`."""
    return vectors(dtype=dtype, n=n, max_magnitude=max_magnitude)


def logits_and_labels(
    *, dtype=np.float64, n: int | None = None, soft: bool = False, max_magnitude: float = 1e3,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""``(z, y)`` for a cross-entropy: logits as in :func:`logits` and, of the same length n
    (from ``VECTOR_SIZES`` if None), a one-hot label (:func:`one_hot`) or, with ``soft``, a
    probability vector (:func:`probability_vectors`).  Shrinks to n = 1."""
    dtype = _lane(dtype)
    if not isinstance(soft, bool):
        raise InvalidArgument(f"soft: expected a bool, got {soft!r}")
    _real("max_magnitude", max_magnitude, low=0.0, low_open=True)
    labels = probability_vectors if soft else one_hot
    return _size_or_pool("n", n, VECTOR_SIZES).flatmap(
        lambda k: st.tuples(logits(dtype=dtype, n=k, max_magnitude=max_magnitude), labels(dtype=dtype, n=k)))


# --- the neuron and the loss -------------------------------------------------------------------

def _steered(dtype: np.dtype, N: int, n: int, draw_batch: np.ndarray):
    r"""``(w, b, X, y, active)`` from one drawn (N+1)×(n+2) array: row 0 is ``[w, b, ·]``, row
    :math:`i \ge 1` is ``[x_i, y_i, m_i]``, with the rows of X moved so that every sample sits at
    least ``KINK_MARGIN`` from the ReLU kink.

    :math:`|w_0|` is raised to at least 0.5 (so :math:`\|w\|` is bounded away from 0 and the
    neuron can be steered); sample i is active iff :math:`m_i > 0`, flipped at the last sample if
    N >= 2 and all agree (never filtered); the shift
    :math:`x_i \mathrel{+}= (z_{target} - z_i)\, w / \|w\|^2` puts
    :math:`z_i = w \cdot x_i + b` at :math:`\pm\max(|m_i|, \text{KINK\_MARGIN})` and keeps the
    drawn X otherwise intact.  One array is one draw: this is the cheapest way hypothesis
    generates (and shrinks) the whole batch.
    """
    A = draw_batch
    w, b = A[0, :n].copy(), A[0, n].copy()
    w[0] = math.copysign(max(abs(float(w[0])), 0.5), float(w[0]))
    X, y, m = A[1:, :n], A[1:, n].copy(), A[1:, n + 1].astype(np.float64)
    active = m > 0
    if N >= 2 and (active.all() or not active.any()):
        active[-1] = not active[-1]
    t = np.maximum(np.abs(m), KINK_MARGIN)
    target = np.where(active, t, -t)
    w64 = w.astype(np.float64)
    z = X.astype(np.float64) @ w64 + float(b)
    X = (X + np.outer(target - z, w64) / (w64 @ w64)).astype(dtype)
    return w, b, X, y, active


def _batches(dtype: np.dtype, batch_sizes: tuple[int, ...]):
    shapes = [(N + 1, n + 2) for N in batch_sizes for n in VECTOR_SIZES]
    return arrays(dtype=dtype, shape=shapes).map(lambda A: _steered(dtype, A.shape[0] - 1, A.shape[1] - 2, A))


def neuron_inputs(*, dtype=np.float64) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    r"""``(w, b, x)`` for one neuron with :math:`|w \cdot x + b| \ge` ``KINK_MARGIN``, active or
    not (about 50/50), :math:`|w_0| \ge 0.5`; n from ``VECTOR_SIZES``.  Shrinks to n = 1, an
    inactive neuron."""
    return _batches(_lane(dtype), (1,)).map(lambda batch: (batch[0], batch[1], batch[2][0]))


def mixed_activity(*, size: int) -> st.SearchStrategy[np.ndarray]:
    r"""Which of ``size`` samples are active (a boolean array); both kinds appear whenever
    size >= 2 (a uniform draw is flipped at its last entry, never filtered)."""
    size = _count("size", size, low=0)

    def mix(flags: list[bool]) -> np.ndarray:
        active = np.array(flags, dtype=bool)
        if size >= 2 and (active.all() or not active.any()):
            active[-1] = not active[-1]
        return active

    return st.lists(st.booleans(), min_size=size, max_size=size).map(mix)


def regression_batches(*, dtype=np.float64) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    r"""``(w, b, X, y)`` for the loss: X is N×n, y has N targets (n from ``VECTOR_SIZES``, N from
    ``BATCH_SIZES``), :math:`|w_0| \ge 0.5`, and every sample keeps
    :math:`|z_i| = |w \cdot x_i + b| \ge` ``KINK_MARGIN``, with active and inactive samples mixed
    whenever N >= 2 (never filtered out).  Shrinks to n = N = 1."""
    return _batches(_lane(dtype), BATCH_SIZES).map(lambda batch: batch[:4])


def relu_points(*, dtype=np.float64) -> st.SearchStrategy[tuple[np.ndarray]]:
    r"""``(x,)``: vectors for the broadcast ReLU with every :math:`|x_i| \ge` ``KINK_MARGIN``."""
    return vectors(dtype=dtype, min_magnitude=KINK_MARGIN, allow_zero=False).map(lambda x: (x,))


def pytrees(template) -> st.SearchStrategy:
    """Pytrees shaped like ``template``, each leaf that is a strategy drawn from it (other leaves
    kept as they are): ``pytrees({"W": matrices(shape=(3, 2)), "b": vectors(n=2)})`` draws a
    params dict.  Any JAX pytree works as the template: dicts, lists, tuples, NamedTuples,
    registered dataclasses, ``equinox`` modules.  Hypothesis shrinks leaf by leaf.
    ``st.fixed_dictionaries`` and ``st.builds`` compose the same way for dicts and classes.

    Example:
        >>> from hypothesis import find
        >>> tree = find(pytrees({"W": arrays(shape=(2, 2)), "b": vectors(n=2)}), lambda _: True)
        >>> sorted(tree), tree["W"].shape, tree["b"].shape
        (['W', 'b'], (2, 2), (2,))
    """
    leaves, treedef = jax.tree_util.tree_flatten(template, is_leaf=lambda x: isinstance(x, st.SearchStrategy))
    drawn = [leaf if isinstance(leaf, st.SearchStrategy) else st.just(leaf) for leaf in leaves]
    return st.tuples(*drawn).map(lambda values: jax.tree_util.tree_unflatten(treedef, list(values)))

