"""The built-in rules through the public checker: one point (``check_example``) or many (``verify_rule``).

A row of ``RULES`` is checked exactly as a user's derivative is: its fields are the
arguments of :func:`verification.check_derivative` and :func:`verification.verify_derivative`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from verification.check import OracleStats, check_derivative, verify_derivative
from verification.compare import Comparison
from verification.rules import Rule


def check_example(rule: Rule, *args, dtype=np.float64) -> list[Comparison]:
    """Every comparison for ``rule`` at ``args`` in one lane; only the primal one if the primal disagrees."""
    result = check_derivative(rule.function, rule.derivative, *args, dtype=dtype, **rule.check_arguments())
    return list(result.comparisons)


@dataclass
class RuleResult:
    """The outcome of verifying one rule over many examples in one lane."""

    rule: Rule
    dtype: str
    examples: int = 0
    oracles: dict[str, OracleStats] = field(default_factory=dict)
    failure: Comparison | None = None
    report: str = ""

    @property
    def passed(self) -> bool:
        return self.failure is None

    def to_json(self) -> dict:
        return {
            "name": self.rule.name,
            "formula": self.rule.formula,
            "dtype": self.dtype,
            "examples": self.examples,
            "passed": self.passed,
            "oracles": {name: vars(stats) for name, stats in self.oracles.items()},
        }


def verify_rule(rule: Rule, *, dtype=np.float64, examples: int = 50, random_seed: int = 0) -> RuleResult:
    """Check ``rule`` on ``examples`` hypothesis-drawn points of its domain, in one lane.

    On a failure hypothesis shrinks to a minimal failing point: ``result.failure`` is its
    first failing comparison and ``result.report`` the full report.
    """
    dtype = np.dtype(dtype)
    outcome = verify_derivative(rule.function, rule.derivative, rule.inputs, examples=examples, dtype=dtype,
                                seed=random_seed, **rule.check_arguments())
    result = RuleResult(rule=rule, dtype=dtype.name, examples=outcome.examples.get(dtype.name, 0),
                        oracles=outcome.stats.get(dtype.name, {}))
    if outcome.failure is not None:
        result.failure = outcome.failure.failures[0] if outcome.failure.failures else None
        result.report = str(outcome.failure)
    return result
