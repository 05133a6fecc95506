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
    compilations: int = 0

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
    from verification.oracles import compilation_count

    dtype, compiled_before = np.dtype(dtype), compilation_count()
    outcome = verify_derivative(rule.function, rule.derivative, rule.inputs, examples=examples, dtype=dtype,
                                seed=random_seed, **rule.check_arguments())
    result = RuleResult(rule=rule, dtype=dtype.name, examples=outcome.examples.get(dtype.name, 0),
                        oracles=outcome.stats.get(dtype.name, {}), compilations=compilation_count() - compiled_before)
    if outcome.failure is not None:
        result.failure = outcome.failure.failures[0] if outcome.failure.failures else None
        result.report = str(outcome.failure)
    return result


@dataclass
class VerificationTiming:
    """How long verifying a set of rules took, end to end, in as many worker processes as asked."""

    dtype: str
    examples: int
    rules: int = 0
    points: int = 0
    seconds: float = 0.0
    compilations: int = 0
    failed: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds else 0.0


def _verify_named(name: str, dtype: str, examples: int, random_seed: int) -> tuple:
    """:func:`verify_rule` of the rule called ``name``, as picklable parts (for a worker process)."""
    from verification.rules import get_rule

    result = verify_rule(get_rule(name), dtype=np.dtype(dtype), examples=examples, random_seed=random_seed)
    return result.examples, result.oracles, result.failure, result.report, result.compilations


def verify_rules(rules, *, dtype=np.float64, examples: int = 50, random_seed: int = 0, jobs: int = 1,
                 progress=None) -> list[RuleResult]:
    """:func:`verify_rule` for each of ``rules``, in ``jobs`` worker processes (each rule is
    independent: its own draws, its own compilations).  ``dtype`` is one lane or a sequence of
    lanes; the results come back lane by lane, each in the order of ``rules``.  ``progress(rule)``
    is called as each (rule, lane) finishes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    rules = list(rules)
    lanes = [np.dtype(d) for d in dtype] if isinstance(dtype, list | tuple) else [np.dtype(dtype)]
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: expected an int >= 1, got {jobs!r}")
    tasks = [(rule, lane) for lane in lanes for rule in rules]
    if jobs == 1 or len(tasks) == 1:
        results = []
        for rule, lane in tasks:
            results.append(verify_rule(rule, dtype=lane, examples=examples, random_seed=random_seed))
            if progress is not None:
                progress(rule)
        return results
    results: dict[tuple[str, str], RuleResult] = {}
    # one pool for every lane: workers start once, and take the tasks in order, so each switches
    # lane (and clears JAX's caches) about once
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_verify_named, rule.name, lane.name, examples, random_seed): (rule, lane)
                   for rule, lane in tasks}
        for future in as_completed(futures):
            rule, lane = futures[future]
            count, oracles, failure, report, compilations = future.result()
            results[rule.name, lane.name] = RuleResult(rule=rule, dtype=lane.name, examples=count, oracles=oracles,
                                                       failure=failure, report=report, compilations=compilations)
            if progress is not None:
                progress(rule)
    return [results[rule.name, lane.name] for rule, lane in tasks]


def time_verification(rules, *, dtype=np.float64, examples: int = 1000, random_seed: int = 0, jobs: int = 1,
                      progress=None) -> VerificationTiming:
    """Verify ``rules`` as ``python -m verification verify`` does and time it: wall time
    including tracing and compilation, points checked, failures.  ``progress(rule)`` is called
    as each rule finishes."""
    import time

    timing = VerificationTiming(dtype=np.dtype(dtype).name, examples=examples)
    started = time.perf_counter()
    results = verify_rules(rules, dtype=dtype, examples=examples, random_seed=random_seed, jobs=jobs, progress=progress)
    timing.seconds = time.perf_counter() - started
    for result in results:
        timing.compilations += result.compilations
        timing.rules += 1
        timing.points += result.examples
        if not result.passed:
            timing.failed.append(result.rule.name)
            timing.reports.append(result.report)
    return timing
