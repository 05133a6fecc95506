"""The JAX side: hand-written derivatives checked against ``jax.jacfwd``, ``jax.jacrev``,
``jax.grad``, ``jax.jvp``, ``jax.vjp`` and ``jax.hessian``.

Check your own derivative with :func:`check_derivative` (one point), :func:`assert_derivative`
(the same, raising) or :func:`verify_derivative` (many hypothesis-drawn points); the built-in
rules (``RULES``) go through the same code.  Importing this package changes no global JAX
configuration: each check runs inside a scoped precision :func:`lane`.

The names below are imported on first use, so that importing the package (as the pytest plugin
does when pytest starts) does not import JAX.  ``train`` is the subpackage
:mod:`verification.train`; its function :func:`verification.train.train` trains.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "DerivativeCheck": "verification.check",
    "VerifyResult": "verification.check",
    "assert_derivative": "verification.check",
    "check_derivative": "verification.check",
    "verify_derivative": "verification.check",
    "Comparison": "verification.compare",
    "compare": "verification.compare",
    "format_comparison": "verification.compare",
    "lane": "verification.oracles",
    "RULES": "verification.rules",
    "SPECIAL_POINTS": "verification.rules",
    "Rule": "verification.rules",
    "get_rule": "verification.rules",
    "use_all_cores": "verification.train",
    "RuleResult": "verification.verify",
    "check_example": "verification.verify",
    "verify_rule": "verification.verify",
}
"""Where each public name lives."""

__all__ = [
    "Comparison",
    "DerivativeCheck",
    "RULES",
    "Rule",
    "RuleResult",
    "SPECIAL_POINTS",
    "VerifyResult",
    "assert_derivative",
    "check_derivative",
    "check_example",
    "compare",
    "format_comparison",
    "get_rule",
    "lane",
    "train",
    "use_all_cores",
    "verify_derivative",
    "verify_rule",
]


def __getattr__(name: str) -> Any:
    if name == "train":
        return importlib.import_module("verification.train")  # the import binds it here too
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'verification' has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:  # what a type checker and an editor see: the names, eagerly
    from verification import train
    from verification.check import DerivativeCheck, VerifyResult, assert_derivative, check_derivative, verify_derivative
    from verification.compare import Comparison, compare, format_comparison
    from verification.oracles import lane
    from verification.rules import RULES, SPECIAL_POINTS, Rule, get_rule
    from verification.train import use_all_cores
    from verification.verify import RuleResult, check_example, verify_rule
