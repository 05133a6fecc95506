"""What a check is asked to do, validated once, and its arguments prepared for a lane.

Every keyword of the public entry points is checked here, and an error names the keyword.
Arguments may be JAX pytrees: each leaf is checked and named by its key path
(``args[0]['W']``).  The leaves of a differentiated argument become the lane's float dtype
(integers included, as JAX differentiates only floats); the other arguments keep integer and
boolean leaves as they are (labels, indices, masks) and only their float leaves take the lane's
dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from reference.checks import as_real_array
from verification.check.trees import path_text
from verification.oracles import FORMS

KINK_POLICIES: tuple[str, ...] = ("jax", "either", "fail")


@dataclass(frozen=True)
class CheckSpec:
    """The validated description of one derivative check.

    ``derivative`` is the hand derivative (a NumPy callable), or None when the hand side is JAX's
    derivative of ``rule``, a function with a ``jax.custom_vjp``/``jax.custom_jvp`` rule, while
    ``f`` is the function the oracles differentiate.
    """

    f: Callable
    derivative: Callable | None
    wrt: tuple[int, ...]
    wrt_is_tuple: bool
    form: str
    primal: Callable | None
    static: tuple[int, ...]
    names: tuple[str, ...] | None
    kinks: str
    rtol: float | None
    atol: float | None
    seed: int
    name: str
    entrywise: bool = False
    rule: Callable | None = None

    def arg_name(self, i: int) -> str:
        return self.names[i] if self.names and i < len(self.names) else f"args[{i}]"

    def wrt_name(self, k: int) -> str:
        return self.arg_name(self.wrt[k])


def make_spec(f: Any, derivative: Any, *, wrt: Any, form: Any, primal: Any, static: Any, names: Any, kinks: Any,
              rtol: Any, atol: Any, seed: Any, name: Any, entrywise: Any = False, rule: Any = None) -> CheckSpec:
    """Validate the keywords of a check (each error names its keyword)."""
    if not callable(f):
        raise TypeError(f"f: expected a callable written with jax.numpy, got {type(f).__name__}")
    if rule is None and not callable(derivative):
        raise TypeError(f"derivative: expected a callable, got {type(derivative).__name__}")
    if primal is not None and not callable(primal):
        raise TypeError(f"primal: expected a callable or None, got {type(primal).__name__}")
    if form not in FORMS:
        raise ValueError(f"form: expected one of {FORMS}, got {form!r}")
    if kinks not in KINK_POLICIES:
        raise ValueError(f"kinks: expected one of {KINK_POLICIES}, got {kinks!r}")
    wrt_is_tuple = isinstance(wrt, tuple | list)
    wrt_tuple = tuple(wrt) if wrt_is_tuple else (wrt,)
    if not wrt_tuple or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in wrt_tuple):
        raise TypeError(f"wrt: expected a non-negative argument index or a tuple of them, got {wrt!r}")
    if len(set(wrt_tuple)) != len(wrt_tuple):
        raise ValueError(f"wrt: repeated argument index in {wrt!r}")
    if form in ("hessian", "hvp") and wrt_is_tuple:
        raise ValueError(f"wrt: form {form!r} takes one argument index, got {wrt!r}")
    for label, value in (("rtol", rtol), ("atol", atol)):
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{label}: expected a finite number >= 0 or None, got {value!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed: expected an int, got {seed!r}")
    if not isinstance(entrywise, bool):
        raise TypeError(f"entrywise: expected True or False, got {entrywise!r}")
    static = tuple(static)
    if set(static) & set(wrt_tuple):
        raise ValueError(f"static: argument(s) {sorted(set(static) & set(wrt_tuple))} cannot be static and in wrt")
    label = name or getattr(rule or f, "__name__", None) or type(rule or f).__name__
    return CheckSpec(f, derivative, wrt_tuple, wrt_is_tuple, form, primal, static,
                     tuple(names) if names is not None else None, kinks, rtol, atol, seed, str(label),
                     entrywise, rule)


def prepare(spec: CheckSpec, args: Sequence[Any], dtype: np.dtype) -> tuple:
    """Check every argument's leaves (naming each in errors) and cast them for the lane ``dtype``."""
    if spec.names is not None and len(args) != len(spec.names):
        raise TypeError(f"{spec.name}: expected {len(spec.names)} arguments {spec.names}, got {len(args)}")
    for i in spec.wrt:
        if i >= len(args):
            raise ValueError(f"wrt: argument index {i} is out of range for {len(args)} argument(s)")
    return tuple(arg if i in spec.static else _prepare_tree(spec.arg_name(i), arg, dtype, differentiated=i in spec.wrt)
                 for i, arg in enumerate(args))


def _prepare_tree(name: str, tree: Any, dtype: np.dtype, *, differentiated: bool) -> Any:
    if isinstance(tree, np.ndarray | float | int) and not isinstance(tree, bool):  # one leaf: the common case, quickly
        return _prepare_leaf(name, tree, dtype, differentiated=differentiated)
    pairs, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=lambda x: isinstance(x, np.ndarray | np.generic))
    if not pairs and differentiated:
        raise ValueError(f"{name}: has no array leaves to differentiate")
    leaves = [_prepare_leaf(name + path_text(path), leaf, dtype, differentiated=differentiated) for path, leaf in pairs]
    return jax.tree_util.tree_unflatten(treedef, leaves)


def _prepare_leaf(name: str, leaf: Any, dtype: np.dtype, *, differentiated: bool) -> np.ndarray:
    if callable(leaf) and not hasattr(leaf, "__array__"):
        raise TypeError(f"{name}: a leaf that is a function ({getattr(leaf, '__name__', type(leaf).__name__)}), "
                        "not an array: pass the argument as static=, or mark the field static "
                        "(equinox: eqx.field(static=True); flax: struct.field(pytree_node=False))")
    if not differentiated:
        try:
            kind = np.asarray(leaf).dtype.kind
        except (TypeError, ValueError):
            kind = "O"
        if kind in "iub":  # labels, indices and masks keep their dtype
            return np.asarray(leaf)
        if kind not in "f":
            hint = " (pass the argument as static= if it is not an array)" if kind in "OUS" else ""
            raise TypeError(f"{name}: expected a real numeric array, got dtype {np.asarray(leaf).dtype}{hint}")
    return as_real_array(name, leaf).astype(dtype, copy=False)


__all__ = ["KINK_POLICIES", "CheckSpec", "make_spec", "prepare"]
