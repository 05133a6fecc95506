"""The JAX side: every reference rule checked against ``jax.jacfwd``, ``jax.jacrev`` and ``jax.grad``.

Importing this package changes no global JAX configuration: float64 checks run inside a
scoped ``jax.enable_x64`` context.
"""

from verification.compare import Comparison, compare, format_comparison
from verification.oracles import evaluate
from verification.rules import RULES, SPECIAL_POINTS, Rule, get_rule
from verification.train import train, use_all_cores
from verification.verify import RuleResult, check_example, verify_rule

__all__ = [
    "RULES",
    "SPECIAL_POINTS",
    "Comparison",
    "Rule",
    "RuleResult",
    "check_example",
    "compare",
    "evaluate",
    "format_comparison",
    "get_rule",
    "train",
    "use_all_cores",
    "verify_rule",
]
