r"""Precision: the two lanes (float64 and float32), their validation, and where each may run.

JAX decides the width of its default dtypes from one process-wide flag, ``jax_enable_x64``.
Its scoped form, ``jax.enable_x64``, is not safe in a process that also runs other JAX code:
constants closed over by a traced function are canonicalized when first traced and cached by
identity, so a trace made inside the scope leaves a constant of the wrong width behind for the
next trace outside it (and the reverse).  A library call must leave the user's process as it
found it, so:

- a lane whose precision matches the process's own flag (float64 with x64 on, float32 with it
  off) runs in this process, changing nothing but the matmul precision, in a scope;
- the other lane runs in a helper process whose flag is set the other way
  (:mod:`verification.lane_worker`).

Our own programs (training) build every array with an explicit dtype, so they need no second
process: :func:`own_program_scope` turns 64-bit mode on for a float64 run only, scoped, and
never touches it for float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

DTYPES: dict[str, np.dtype] = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}
"""The lanes by name, in the default order of a check."""


def check_dtype(value: Any, *, argument: str = "dtype") -> np.dtype:
    """``value`` as a NumPy dtype, which must be float64 or float32; the error names ``argument``.

    Example:
        >>> check_dtype("float32")
        dtype('float32')
    """
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"{argument}: expected 'float64' or 'float32', got {value!r}") from None
    if dtype not in DTYPES.values():
        raise ValueError(f"{argument}: expected 'float64' or 'float32', got {dtype.name}")
    return dtype


def lanes(value: Any) -> tuple[np.dtype, ...]:
    """The lanes of a check: ``None`` means both (float64 first), else the one named.

    Example:
        >>> [d.name for d in lanes(None)]
        ['float64', 'float32']
    """
    return tuple(DTYPES.values()) if value is None else (check_dtype(value),)


def x64_enabled() -> bool:
    """The process's (or the enclosing scope's) ``jax_enable_x64``."""
    import jax

    return bool(jax.config.read("jax_enable_x64"))


def runs_here(dtype: Any) -> bool:
    """Whether a lane of ``dtype`` can trace a user's function in this process unchanged: its
    precision is the one ``jax_enable_x64`` already gives."""
    return (check_dtype(dtype) == np.float64) == x64_enabled()


@contextlib.contextmanager
def highest_matmul_precision() -> Iterator[None]:
    """Products at full precision (no TF32 on a GPU: a wrong gradient must not pass for
    rounding), scoped.  Part of the trace context, so it leaves nothing behind."""
    import jax

    with jax.default_matmul_precision("highest"):
        yield


@contextlib.contextmanager
def own_program_scope(dtype: Any) -> Iterator[None]:
    """Run the project's own programs (every array with an explicit dtype) in ``dtype``.

    float64 needs 64-bit mode: it is turned on for the block when it is off.  float32 never
    changes it.  Products run at the highest matmul precision.
    """
    import jax

    dtype = check_dtype(dtype)
    with contextlib.ExitStack() as stack:
        if dtype == np.float64 and not x64_enabled():
            stack.enter_context(jax.enable_x64(True))
        stack.enter_context(highest_matmul_precision())
        yield


__all__ = ["DTYPES", "check_dtype", "highest_matmul_precision", "lanes", "own_program_scope", "runs_here",
           "x64_enabled"]
