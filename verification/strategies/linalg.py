r"""Matrices: general and symmetric ones drawn element by element, and the structured square
ones (positive definite, well conditioned) built from a drawn spectrum and drawn orthogonal
factors, never filtered."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from numpy.typing import DTypeLike

from verification.strategies.defaults import MAGNITUDE, MATRIX_SIZES
from verification.strategies.domain import arrays_of_shape, element_domain
from verification.strategies.elements import arrays
from verification.strategies.rounding import cast_without_subnormals
from verification.strategies.validation import checked_lane, checked_real, is_shape, size_strategy

__all__ = ["matrices", "positive_definite_matrices", "symmetric_matrices", "well_conditioned_matrices"]


def matrices(*, dtype: DTypeLike = np.float64, shape: tuple[int, int] | None = None,
             **floats_kwargs: Any) -> st.SearchStrategy[np.ndarray]:
    r"""General matrices, elements drawn by :func:`~verification.strategies.floats`; ``shape``
    None draws (m, n) with m, n from ``MATRIX_SIZES`` (non-square included).  Shrinks to 1×1,
    zeros."""
    if shape is None:
        return arrays(dtype=dtype, shape=[(m, n) for m in MATRIX_SIZES for n in MATRIX_SIZES], **floats_kwargs)
    if not (is_shape(shape) and len(shape) == 2):
        raise InvalidArgument(f"shape: expected a pair (rows, columns) or None, got {shape!r}")
    return arrays(dtype=dtype, shape=shape, **floats_kwargs)


def symmetric_matrices(*, dtype: DTypeLike = np.float64, n: int | None = None,
                       **floats_kwargs: Any) -> st.SearchStrategy[np.ndarray]:
    r"""Symmetric :math:`A = A^\mathsf{T}`, n×n (n from ``MATRIX_SIZES`` if None): the upper
    triangle is drawn by :func:`~verification.strategies.floats` and mirrored, so every entry
    keeps its guarantees."""
    lane = checked_lane(dtype)
    domain = element_domain(lane, **floats_kwargs)

    def mirror(k: int) -> st.SearchStrategy[np.ndarray]:
        rows, cols = np.triu_indices(k)

        def build(upper: np.ndarray) -> np.ndarray:
            A = np.zeros((k, k), lane)
            A[rows, cols] = upper
            A[cols, rows] = upper
            return A

        return arrays_of_shape(domain, (len(rows),)).map(build)

    return size_strategy("n", n, MATRIX_SIZES).flatmap(mirror)


def _spectral_ratio(name: str, max_condition: Any, dtype: np.dtype, n_max: int) -> float:
    r"""The largest ratio of the drawn spectrum so that the matrix, rounded to ``dtype``, still
    has condition number at most ``max_condition``.

    Rounding :math:`Q\,\mathrm{diag}(s)\,Q^\mathsf{T}` (in float64, then to ``dtype``) moves each
    eigen- or singular value by at most :math:`\delta\,s_{max}` with
    :math:`\delta = 4 n \varepsilon`; the ratio :math:`r` solves
    :math:`r (1 + \delta c) / (1 - \delta c) = c`."""
    c = checked_real(name, max_condition, low=1.0, low_open=True)
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


def positive_definite_matrices(*, dtype: DTypeLike = np.float64, n: int | None = None,
                               max_condition: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    r"""Symmetric positive definite :math:`A = Q\,\mathrm{diag}(\lambda)\,Q^\mathsf{T}`, n×n (n from
    ``MATRIX_SIZES`` if None), eigenvalues in ``[MAGNITUDE/max_condition, MAGNITUDE]``, condition
    number :math:`\lambda_{max}/\lambda_{min} \le` ``max_condition`` after rounding to ``dtype``.
    Built from one drawn array, never filtered; shrinks towards a multiple of the identity."""
    lane = checked_lane(dtype)
    sizes_ = size_strategy("n", n, MATRIX_SIZES)
    ratio = _spectral_ratio("max_condition", max_condition, lane, max(MATRIX_SIZES) if n is None else max(n, 1))

    def build(k: int) -> st.SearchStrategy[np.ndarray]:
        def assemble(A: np.ndarray) -> np.ndarray:
            A = A.astype(np.float64)
            Q = _orthogonal(A[:k])
            S = (Q * _spectrum(A[k], ratio)) @ Q.T
            return cast_without_subnormals((S + S.T) / 2, lane)

        return arrays_of_shape(element_domain(lane), (k + 1, k)).map(assemble)

    return sizes_.flatmap(build)


def well_conditioned_matrices(*, dtype: DTypeLike = np.float64, n: int | None = None,
                              max_condition: float = 1e2) -> st.SearchStrategy[np.ndarray]:
    r"""Square invertible :math:`A = U\,\mathrm{diag}(\sigma)\,V^\mathsf{T}`, n×n (n from
    ``MATRIX_SIZES`` if None), singular values in ``[MAGNITUDE/max_condition, MAGNITUDE]``, so
    :math:`\kappa_2(A) = \sigma_{max}/\sigma_{min} \le` ``max_condition`` after rounding to
    ``dtype``.  Built from one drawn array, never filtered; shrinks towards a multiple of the identity."""
    lane = checked_lane(dtype)
    sizes_ = size_strategy("n", n, MATRIX_SIZES)
    ratio = _spectral_ratio("max_condition", max_condition, lane, max(MATRIX_SIZES) if n is None else max(n, 1))

    def build(k: int) -> st.SearchStrategy[np.ndarray]:
        def assemble(A: np.ndarray) -> np.ndarray:
            A = A.astype(np.float64)
            U, V = _orthogonal(A[:k]), _orthogonal(A[k:2 * k])
            return cast_without_subnormals((U * _spectrum(A[2 * k], ratio)) @ V.T, lane)

        return arrays_of_shape(element_domain(lane), (2 * k + 1, k)).map(assemble)

    return sizes_.flatmap(build)
