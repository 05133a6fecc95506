"""The JAX side: hand-written derivatives checked against ``jax.jacfwd``, ``jax.jacrev``,
``jax.grad``, ``jax.jvp``, ``jax.vjp`` and ``jax.hessian``.

Check your own derivative with :func:`check_derivative` (one point), :func:`assert_derivative`
(the same, raising) or :func:`verify_derivative` (many hypothesis-drawn points); the built-in
rules (``RULES``) go through the same code.  Importing this package changes no global JAX
configuration: each check runs inside a scoped precision :func:`lane`.
"""

from verification.check import (
    DerivativeCheck,
    VerifyResult,
    assert_derivative,
    check_derivative,
    verify_derivative,
)
from verification.compare import Comparison, compare, format_comparison
from verification.oracles import lane
from verification.rules import RULES, SPECIAL_POINTS, Rule, get_rule
from verification.train import train, use_all_cores
from verification.verify import RuleResult, check_example, verify_rule

__all__ = [
    "RULES",
    "SPECIAL_POINTS",
    "Comparison",
    "DerivativeCheck",
    "Rule",
    "RuleResult",
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
