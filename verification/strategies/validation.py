"""The strategies' argument checks, run when a strategy is built: each returns the checked value
or raises ``hypothesis.errors.InvalidArgument`` whose message starts with the argument's name."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from verification.precision import check_dtype

__all__ = ["checked_count", "checked_lane", "checked_pool", "checked_real", "checked_shape", "checked_shape_pool", "is_shape",
           "size_strategy"]


def checked_lane(dtype: Any, *, argument: str = "dtype") -> np.dtype:
    """``dtype`` as float64 or float32, checked by ``verification.precision.check_dtype`` (its
    message, raised as ``InvalidArgument``)."""
    try:
        return check_dtype(dtype, argument=argument)
    except (TypeError, ValueError) as error:
        raise InvalidArgument(str(error)) from error


def checked_real(name: str, value: Any, *, low: float = -math.inf, low_open: bool = False) -> float:
    """``value`` as a finite float, at least ``low`` (strictly above it if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidArgument(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidArgument(f"{name}: expected a finite number, got {value}")
    if value < low or (low_open and value == low):
        raise InvalidArgument(f"{name}: expected a number {'>' if low_open else '>='} {low:g}, got {value:g}")
    return value


def checked_count(name: str, value: Any, *, low: int) -> int:
    """``value`` as an int of at least ``low`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidArgument(f"{name}: expected an integer, got {value!r}")
    if value < low:
        raise InvalidArgument(f"{name}: expected an integer >= {low}, got {value}")
    return int(value)


def checked_pool(name: str, pool: Any, *, low: int = 1) -> tuple[int, ...]:
    """``pool`` as a non-empty tuple of sizes, each at least ``low``."""
    if isinstance(pool, int | np.integer) or not isinstance(pool, Sequence) or len(pool) == 0:
        raise InvalidArgument(f"{name}: expected a non-empty sequence of sizes, got {pool!r}")
    return tuple(checked_count(name, k, low=low) for k in pool)


def size_strategy(name: str, n: Any, pool: tuple[int, ...], *, low: int = 1) -> st.SearchStrategy[int]:
    """A strategy of sizes: ``n`` itself (checked), or drawn from ``pool`` when ``n`` is None."""
    return st.sampled_from(pool) if n is None else st.just(checked_count(name, n, low=low))


def is_shape(value: Any) -> TypeGuard[tuple[int, ...]]:
    """Whether ``value`` is a tuple of integers (bools excluded), i.e. one shape, not a pool."""
    return isinstance(value, tuple) and all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in value)


def checked_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` (a tuple of integers) with every size non-negative, as Python ints."""
    if any(k < 0 for k in shape):
        raise InvalidArgument(f"shape: expected non-negative sizes, got {shape}")
    return tuple(int(k) for k in shape)


def checked_shape_pool(shape: Any) -> list[tuple[int, ...]]:
    """``shape``, a non-empty sequence of shapes (a pool), as a list of checked shapes."""
    if isinstance(shape, Sequence) and not isinstance(shape, str) and shape and all(is_shape(s) for s in shape):
        return [checked_shape(s) for s in shape]
    raise InvalidArgument(f"shape: expected a tuple of sizes, a non-empty sequence of such tuples, or a strategy; got {shape!r}")
