"""A user's function that JAX cannot trace: the line where it failed and the fix, not JAX's traceback.

The first thing many users try is an ``f`` written with NumPy.  Traced by JAX, it ends in
``TracerArrayConversionError`` deep inside JAX.  The checker traces ``f`` once (for its output
structure) inside :func:`explained_trace_errors`, which turns JAX's tracer errors into a
``TypeError`` naming ``f``, the line of the user's code, and what to write instead.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import traceback
from collections.abc import Iterator
from types import TracebackType

import jax

_FIXES: tuple[tuple[type[BaseException], str], ...] = (
    (jax.errors.TracerArrayConversionError,
     "NumPy was called on a traced value: write this line with jax.numpy (jnp) instead of numpy (np)"),
    (jax.errors.TracerBoolConversionError,
     "a Python `if` (or `and`/`or`/`bool()`) reads a traced value: use jnp.where or jax.lax.cond"),
    (jax.errors.TracerIntegerConversionError,
     "a traced value is used as a Python int (an index or a size): keep it an array, or make the "
     "argument static (static=)"),
    (jax.errors.ConcretizationTypeError,
     "a concrete Python value was needed from a traced one (float(), .item(), a shape from data): "
     "keep it an array, or make the argument static (static=)"),
)

_LIBRARY_DIRS = tuple(os.path.dirname(module.__file__ or "") for module in (jax, contextlib))


def _user_frame(tb: TracebackType | None) -> traceback.FrameSummary | None:
    """The innermost frame of the traceback outside JAX, NumPy, the standard library and this package."""
    package = os.path.dirname(os.path.dirname(__file__))
    frames = [frame for frame in traceback.extract_tb(tb)
              if not frame.filename.startswith(_LIBRARY_DIRS) and not frame.filename.startswith(package)
              and f"{os.sep}numpy{os.sep}" not in frame.filename and not frame.filename.startswith("<frozen")]
    return frames[-1] if frames else None


_FORWARD_MODE = "can't apply forward-mode autodiff (jvp) to a custom_vjp function"


@contextlib.contextmanager
def explained_trace_errors(what: str = "f") -> Iterator[None]:
    """Re-raise JAX's tracer errors inside the block as a ``TypeError`` that names ``what``, the
    user's line, and the fix."""
    try:
        yield
    except tuple(error for error, _ in _FIXES) as error:
        fix = next(text for kind, text in _FIXES if isinstance(error, kind))
        frame = _user_frame(error.__traceback__)
        where = ""
        if frame is not None:
            code = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
            where = f" at {frame.filename}:{frame.lineno}, in {frame.name}: `{code}`"
        raise TypeError(f"{what}: JAX cannot trace it{where}: {fix}") from None
    except TypeError as error:
        if _FORWARD_MODE not in str(error):
            raise
        raise TypeError(f"{what}: it calls a jax.custom_vjp function, which JAX differentiates in reverse mode "
                        "only, and this form needs forward mode (jax.jacfwd, jax.jvp): check it with form='vjp', "
                        "or its custom rule with check_custom_rule") from None


__all__ = ["explained_trace_errors"]
