"""Exact rounding into a dtype: a bound moved to the nearest value of the dtype on a chosen side,
and the dtype's normal range (no subnormal reaches a check: XLA flushes float32 subnormals to
zero while NumPy keeps them)."""

from __future__ import annotations

from fractions import Fraction
from numbers import Rational

import numpy as np

__all__ = ["cast_without_subnormals", "round_into", "smallest_normal"]


def round_into(dtype: np.dtype, value: Rational, *, up: bool) -> float:
    """The nearest value of ``dtype`` at or above (``up``) or at or below ``value`` (exact, e.g. a
    ``Fraction``), compared exactly."""
    t = dtype.type
    r = t(float(value))
    while (Fraction(float(r)) < value) if up else (Fraction(float(r)) > value):
        r = np.nextafter(r, t(np.inf if up else -np.inf))
    return float(r)


def smallest_normal(dtype: np.dtype) -> float:
    """The smallest positive normal value of ``dtype``."""
    return float(np.finfo(dtype).smallest_normal)


def cast_without_subnormals(A: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``A`` cast to ``dtype``, values below the dtype's normal range (rounding noise of an exact
    zero) set to 0."""
    A = A.astype(dtype)
    A[np.abs(A) < smallest_normal(dtype)] = 0
    return A
