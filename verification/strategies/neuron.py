r"""The neuron and its loss: inputs :math:`(w, b, x)` and batches :math:`(w, b, X, y)` with every
sample at least ``KINK_MARGIN`` from the ReLU's kink and active and inactive samples mixed,
built by steering one drawn array (never filtered), and the ReLU's own points."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from numpy.typing import DTypeLike

from verification.strategies.defaults import BATCH_SIZES, KINK_MARGIN, VECTOR_SIZES
from verification.strategies.elements import arrays, vectors
from verification.strategies.validation import checked_count, checked_lane

__all__ = ["mixed_activity", "neuron_inputs", "regression_batches", "relu_points"]

Steered = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``(w, b, X, y, active)``: a batch steered off the kink, and which of its samples are active."""


def _steered(dtype: np.dtype, N: int, n: int, draw_batch: np.ndarray) -> Steered:
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


def _batches(dtype: np.dtype, batch_sizes: tuple[int, ...]) -> st.SearchStrategy[Steered]:
    """Steered batches of N samples (N from ``batch_sizes``) of n features (n from ``VECTOR_SIZES``)."""
    shapes = [(N + 1, n + 2) for N in batch_sizes for n in VECTOR_SIZES]
    return arrays(dtype=dtype, shape=shapes).map(lambda A: _steered(dtype, A.shape[0] - 1, A.shape[1] - 2, A))


def neuron_inputs(*, dtype: DTypeLike = np.float64) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    r"""``(w, b, x)`` for one neuron with :math:`|w \cdot x + b| \ge` ``KINK_MARGIN``, active or
    not (about 50/50), :math:`|w_0| \ge 0.5`; n from ``VECTOR_SIZES``.  Shrinks to n = 1, an
    inactive neuron."""
    return _batches(checked_lane(dtype), (1,)).map(lambda batch: (batch[0], batch[1], batch[2][0]))


def mixed_activity(*, size: int) -> st.SearchStrategy[np.ndarray]:
    r"""Which of ``size`` samples are active (a boolean array); both kinds appear whenever
    size >= 2 (a uniform draw is flipped at its last entry, never filtered)."""
    size = checked_count("size", size, low=0)

    def mix(flags: list[bool]) -> np.ndarray:
        active = np.array(flags, dtype=bool)
        if size >= 2 and (active.all() or not active.any()):
            active[-1] = not active[-1]
        return active

    return st.lists(st.booleans(), min_size=size, max_size=size).map(mix)


def regression_batches(*, dtype: DTypeLike = np.float64) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    r"""``(w, b, X, y)`` for the loss: X is N×n, y has N targets (n from ``VECTOR_SIZES``, N from
    ``BATCH_SIZES``), :math:`|w_0| \ge 0.5`, and every sample keeps
    :math:`|z_i| = |w \cdot x_i + b| \ge` ``KINK_MARGIN``, with active and inactive samples mixed
    whenever N >= 2 (never filtered out).  Shrinks to n = N = 1."""
    return _batches(checked_lane(dtype), BATCH_SIZES).map(lambda batch: batch[:4])


def relu_points(*, dtype: DTypeLike = np.float64) -> st.SearchStrategy[tuple[np.ndarray]]:
    r"""``(x,)``: vectors for the broadcast ReLU with every :math:`|x_i| \ge` ``KINK_MARGIN``."""
    return vectors(dtype=dtype, min_magnitude=KINK_MARGIN, allow_zero=False).map(lambda x: (x,))
