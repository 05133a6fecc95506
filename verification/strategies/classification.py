r"""Classification: points of the simplex summing to 1 exactly, one-hot labels, logits (large
ones allowed), and logits with labels of the same length for a cross-entropy."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from numpy.typing import DTypeLike

from verification.strategies.defaults import VECTOR_SIZES
from verification.strategies.domain import arrays_of_shape, element_domain
from verification.strategies.elements import vectors
from verification.strategies.validation import checked_lane, checked_real, size_strategy

__all__ = ["logits", "logits_and_labels", "one_hot", "probability_vectors"]


def probability_vectors(*, dtype: DTypeLike = np.float64, n: int | None = None,
                        min_probability: float = 1e-3) -> st.SearchStrategy[np.ndarray]:
    r"""Points of the simplex: :math:`p_i \ge` ``min_probability``, :math:`\sum_i p_i = 1`
    exactly in ``dtype`` (in any summation order), n from ``VECTOR_SIZES`` if None.

    Every :math:`p_i` is a multiple of :math:`2^{-k}` (k = mantissa bits − 4), so every partial
    sum is exact.  Shrinks towards the uniform vector.
    """
    lane = checked_lane(dtype)
    quantum_bits = np.finfo(lane).nmant - 4
    total = 2**quantum_bits
    p_min = checked_real("min_probability", min_probability, low=2.0**-quantum_bits)
    sizes_ = size_strategy("n", n, VECTOR_SIZES)
    largest = max(VECTOR_SIZES) if n is None else n
    floor = math.ceil(p_min * total)
    if floor * largest > total:
        raise InvalidArgument(f"min_probability: {p_min:g} × n={largest} exceeds 1")

    def build(k: int) -> st.SearchStrategy[np.ndarray]:
        def normalise(weights: np.ndarray) -> np.ndarray:
            spare = total - floor * k
            counts = np.floor(spare * weights / weights.sum()).astype(np.int64)
            counts[np.argmax(weights)] += spare - counts.sum()
            return ((counts + floor) / total).astype(lane)

        weights = arrays_of_shape(element_domain(np.float64, max_magnitude=15.0), (k,))
        return weights.map(lambda v: normalise(1 + np.abs(v)))

    return sizes_.flatmap(build)


def one_hot(*, dtype: DTypeLike = np.float64, n: int | None = None) -> st.SearchStrategy[np.ndarray]:
    r"""One-hot labels :math:`e_c` of length n (from ``VECTOR_SIZES`` if None): a single 1, zeros
    elsewhere.  Shrinks to class 0."""
    lane = checked_lane(dtype)
    sizes_ = size_strategy("n", n, VECTOR_SIZES)
    return sizes_.flatmap(lambda k: st.integers(0, k - 1).map(lambda c: np.eye(k, dtype=lane)[c]))


def logits(*, dtype: DTypeLike = np.float64, n: int | None = None, max_magnitude: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    r"""Logit vectors of length n (from ``VECTOR_SIZES`` if None) with :math:`|z_i| \le`
    ``max_magnitude``: large logits are allowed (a softmax saturates, ``exp`` would overflow
    unless the function under test shifts by the maximum).  Elements as in
    :func:`~verification.strategies.floats`."""
    return vectors(dtype=dtype, n=n, max_magnitude=max_magnitude)


def logits_and_labels(
    *, dtype: DTypeLike = np.float64, n: int | None = None, soft: bool = False, max_magnitude: float = 1e3,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    r"""``(z, y)`` for a cross-entropy: logits as in :func:`logits` and, of the same length n
    (from ``VECTOR_SIZES`` if None), a one-hot label (:func:`one_hot`) or, with ``soft``, a
    probability vector (:func:`probability_vectors`).  Shrinks to n = 1."""
    lane = checked_lane(dtype)
    if not isinstance(soft, bool):
        raise InvalidArgument(f"soft: expected a bool, got {soft!r}")
    checked_real("max_magnitude", max_magnitude, low=0.0, low_open=True)
    labels = probability_vectors if soft else one_hot
    return size_strategy("n", n, VECTOR_SIZES).flatmap(
        lambda k: st.tuples(logits(dtype=lane, n=k, max_magnitude=max_magnitude), labels(dtype=lane, n=k)))
