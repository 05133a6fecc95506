"""A ``jax.custom_vjp`` or ``jax.custom_jvp`` rule, checked against JAX's derivative of the function
it decorates, never against itself.

The hand side of such a check is JAX's derivative *through the rule* (the ``bwd`` of a
``custom_vjp`` in the vjp form, the rule of a ``custom_jvp`` in the jvp form), with its primal
output; the oracles differentiate the undecorated function (``f.fun``), or a ``reference`` the
user passes where the undecorated function is not differentiable by JAX (the reason a custom
rule is often written: ``lax.stop_gradient``, a non-differentiable primitive).  Only the
top-level ``f`` must carry the rule: functions it calls may carry their own (``jax.nn.relu`` is a
``custom_jvp``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax


def unwrap(f: Any) -> Any:
    """``f`` without ``jax.jit`` (which changes no derivative) around it."""
    while not isinstance(f, jax.custom_vjp | jax.custom_jvp) and getattr(f, "__wrapped__", None) is not None:
        f = f.__wrapped__
    return f


def rule_form(f: Any) -> str:
    """``"vjp"`` for a ``jax.custom_vjp``, ``"jvp"`` for a ``jax.custom_jvp``; else a ``TypeError``
    naming ``f``."""
    rule = unwrap(f)
    if isinstance(rule, jax.custom_vjp):
        return "vjp"
    if isinstance(rule, jax.custom_jvp):
        return "jvp"
    raise TypeError(f"f: expected a function decorated with jax.custom_vjp or jax.custom_jvp, got "
                    f"{type(f).__name__} (check a plain function's derivative with check_derivative)")


def undecorated(f: Any, reference: Callable | None) -> Callable:
    """The function the oracles differentiate: ``reference``, else the one ``f`` decorates."""
    rule = unwrap(f)
    if reference is None:
        return rule.fun
    if not callable(reference):
        raise TypeError(f"reference: expected a callable or None, got {type(reference).__name__}")
    ref = unwrap(reference)
    if ref is rule or (isinstance(ref, jax.custom_vjp | jax.custom_jvp) and ref.fun is rule.fun):
        raise ValueError("reference: it is the custom rule itself; JAX's derivative of it is the rule, so the "
                         "check would prove nothing. Pass the undecorated function (the default) or a "
                         "differentiable equivalent")
    return reference


def not_differentiable_note(form: str) -> str:
    return (f"JAX's {form} of the undecorated function is 0 at this point while the rule's is not: if the "
            "function calls lax.stop_gradient or a primitive JAX cannot differentiate, pass reference= a "
            "differentiable function with the same value")


__all__ = ["not_differentiable_note", "rule_form", "undecorated", "unwrap"]
