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


@dataclass
class VerificationTiming:
    """How long verifying a set of rules took, end to end, in one process."""

    dtype: str
    examples: int
    rules: int = 0
    points: int = 0
    seconds: float = 0.0
    compilations: int = 0
    failed: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    slowest: list[tuple[str, float]] = field(default_factory=list)

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds else 0.0


def time_verification(rules, *, dtype=np.float64, examples: int = 1000, random_seed: int = 0,
                      progress=None) -> VerificationTiming:
    """Verify ``rules`` as ``python -m verification verify`` does and time it: wall time
    including tracing and compilation (counted in ``compilations``), points checked, failures.
    ``progress(rule)`` is called before each rule."""
    import time

    from verification.oracles import compilation_count

    timing = VerificationTiming(dtype=np.dtype(dtype).name, examples=examples)
    compiled_before, started, per_rule = compilation_count(), time.perf_counter(), []
    for rule in rules:
        if progress is not None:
            progress(rule)
        began = time.perf_counter()
        result = verify_rule(rule, dtype=dtype, examples=examples, random_seed=random_seed)
        per_rule.append((rule.name, time.perf_counter() - began))
        timing.rules += 1
        timing.points += result.examples
        if not result.passed:
            timing.failed.append(rule.name)
            timing.reports.append(result.report)
    timing.seconds = time.perf_counter() - started
    timing.compilations = compilation_count() - compiled_before
    timing.slowest = sorted(per_rule, key=lambda item: -item[1])[:5]
    return timing
