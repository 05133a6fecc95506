"""The JAX oracles: ``jax.jacfwd``, ``jax.jacrev`` and ``jax.grad`` of a rule's function.

For each rule one function is compiled with ``jax.jit`` that returns the primal value and
every applicable oracle together; it is built once per rule and cached, and recompiles only
for a new shape or dtype (the strategies draw shapes from a small pool).

The boundary casts and checks the arguments: integers become the lane's float dtype (so
``jax.grad``'s integer-input error never reaches a user), NaN/inf and non-numeric input raise
an error that names the argument.  Float64 runs inside a scoped ``jax.enable_x64(True)``,
float32 inside ``jax.enable_x64(False)``, both with the matmul precision pinned to
``highest`` (TF32 on a GPU must not pass for a wrong gradient).  A user's global JAX
configuration is never changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import jax
import numpy as np

from reference.checks import as_real_array
from verification.rules import Rule

DTYPES = {"float64": np.float64, "float32": np.float32}


@contextlib.contextmanager
def lane(dtype) -> Iterator[None]:
    """Run JAX in the precision of ``dtype`` (float64 or float32), scoped to the block."""
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype: expected float64 or float32, got {dtype}")
    with jax.enable_x64(dtype == np.float64), jax.default_matmul_precision("highest"):
        yield


def compiled(rule: Rule):
    """One jitted function of the rule's arguments returning ``{"value", "jacfwd", "jacrev"[, "grad"]}``.

    Each derivative is a tuple with one entry per ``rule.wrt`` argument.  Cached on what is
    traced (the function, ``wrt``, the static arguments), so rows that differ only in their
    hand-written reference share one compilation.
    """
    key = (rule.function, rule.wrt, rule.static, rule.scalar_output)
    if key not in _COMPILED:
        _COMPILED[key] = _build(*key)
    return _COMPILED[key]


_COMPILED: dict[tuple, Callable] = {}


def compilation_count() -> int:
    """How many XLA compilations the oracles have made in this process (one per rule and signature)."""
    return sum(jitted._cache_size() for jitted in _COMPILED.values())


def _build(function, wrt, static, scalar_output):
    def evaluate(*args):
        out = {
            "value": function(*args),
            "jacfwd": jax.jacfwd(function, argnums=wrt)(*args),
            "jacrev": jax.jacrev(function, argnums=wrt)(*args),
        }
        if scalar_output:
            out["grad"] = jax.grad(function, argnums=wrt)(*args)
        return out

    return jax.jit(evaluate, static_argnums=static)


def prepare(rule: Rule, args, dtype) -> tuple:
    """Check every array argument (naming it in errors) and cast it to ``dtype``."""
    if len(args) != len(rule.args):
        raise TypeError(f"{rule.name}: expected {len(rule.args)} arguments {rule.args}, got {len(args)}")
    return tuple(
        arg if i in rule.static else as_real_array(name, arg).astype(dtype, copy=False)
        for i, (name, arg) in enumerate(zip(rule.args, args, strict=True))
    )


def evaluate(rule: Rule, *args, dtype=np.float64) -> dict[str, np.ndarray | tuple[np.ndarray, ...]]:
    """The primal value and every oracle of ``rule`` at ``args``, as NumPy arrays in ``dtype``."""
    args = prepare(rule, args, dtype)
    with lane(dtype):
        out = compiled(rule)(*args)
    return jax.tree.map(np.asarray, out)
