"""The built-in rules through the public checker: one point (``check_example``) or many (``verify_rule``).

A row of ``RULES`` is checked exactly as a user's derivative is: its fields are the
arguments of :func:`verification.check_derivative` and :func:`verification.verify_derivative`.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import jax
import numpy as np

from verification.check import OracleStats, check_derivative, verify_derivative
from verification.compare import Comparison
from verification.oracles import compilation_count
from verification.precision import check_dtype
from verification.rules import Rule, get_rule


def check_example(rule: Rule, *args, dtype=np.float64) -> list[Comparison]:
    """Every comparison for ``rule`` at ``args`` in one lane; only the primal one if the primal disagrees."""
    result = check_derivative(rule.function, rule.derivative, *args, dtype=dtype, **rule.check_arguments())
    return list(result.comparisons)


@dataclass
class RuleResult:
    """The outcome of verifying one rule over many examples in one lane."""

    rule: Rule
    dtype: str
    points: int = 0
    oracles: dict[str, OracleStats] = field(default_factory=dict)
    failure: Comparison | None = None
    report: str = ""
    compilations: int = 0

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def examples(self) -> int:
        """The points checked (the older name of :attr:`points`)."""
        return self.points

    def to_json(self) -> dict:
        return {
            "name": self.rule.name,
            "formula": self.rule.formula,
            "dtype": self.dtype,
            "examples": self.points,
            "passed": self.passed,
            "oracles": {name: vars(stats) for name, stats in self.oracles.items()},
        }


def verify_rule(rule: Rule, *, dtype=np.float64, points: int = 50, seed: int = 0,
                examples: int | None = None) -> RuleResult:
    """Check ``rule`` on ``points`` hypothesis-drawn points of its domain, in one lane
    (``examples`` is the older name of ``points``).

    On a failure hypothesis shrinks to a minimal failing point: ``result.failure`` is its
    first failing comparison and ``result.report`` the full report.
    """
    dtype, compiled_before = check_dtype(dtype), compilation_count()
    outcome = verify_derivative(rule.function, rule.derivative, rule.inputs, points=points if examples is None else examples,
                                dtype=dtype, seed=seed, **rule.check_arguments())
    result = RuleResult(rule=rule, dtype=dtype.name, points=outcome.points.get(dtype.name, 0),
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


def _verify_named(name: str, dtype: str, points: int, seed: int) -> tuple:
    """:func:`verify_rule` of the rule called ``name``, as picklable parts (for a worker process)."""
    result = verify_rule(get_rule(name), dtype=np.dtype(dtype), points=points, seed=seed)
    return result.points, result.oracles, result.failure, result.report, result.compilations


def _serve_lane(dtype: str) -> None:
    """A worker process of :func:`verify_rules` serves one lane: its own ``jax_enable_x64`` is set
    to it once, before anything is traced (this is our own process, never a user's), so the
    lane runs natively and needs no helper process of its own."""
    jax.config.update("jax_enable_x64", dtype == "float64")


def verify_rules(rules, *, dtype=np.float64, points: int = 50, seed: int = 0, jobs: int = 1,
                 progress=None, examples: int | None = None) -> list[RuleResult]:
    """:func:`verify_rule` for each of ``rules``, in ``jobs`` worker processes (each rule is
    independent: its own draws, its own compilations; each worker serves one lane).  ``dtype`` is
    one lane or a sequence of lanes; the results come back lane by lane, each in the order of
    ``rules``.  ``progress(rule)`` is called as each (rule, lane) finishes."""
    points = points if examples is None else examples
    rules = list(rules)
    lanes = [check_dtype(d) for d in dtype] if isinstance(dtype, list | tuple) else [check_dtype(dtype)]
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs: expected an int >= 1, got {jobs!r}")
    tasks = [(rule, lane) for lane in lanes for rule in rules]
    if jobs == 1 or len(tasks) == 1:
        results = []
        for rule, lane in tasks:
            results.append(verify_rule(rule, dtype=lane, points=points, seed=seed))
            if progress is not None:
                progress(rule)
        return results
    results_by_task: dict[tuple[str, str], RuleResult] = {}
    context = multiprocessing.get_context("spawn")
    pools = {lane.name: ProcessPoolExecutor(max_workers=max(1, jobs // len(lanes)), mp_context=context,
                                            initializer=_serve_lane, initargs=(lane.name,)) for lane in lanes}
    try:
        futures: dict[Future, tuple[Rule, np.dtype]] = {
            pools[lane.name].submit(_verify_named, rule.name, lane.name, points, seed): (rule, lane)
            for rule, lane in tasks}
        for future in as_completed(futures):
            rule, lane = futures[future]
            count, oracles, failure, report, compilations = future.result()
            results_by_task[rule.name, lane.name] = RuleResult(rule=rule, dtype=lane.name, points=count,
                                                               oracles=oracles, failure=failure, report=report,
                                                               compilations=compilations)
            if progress is not None:
                progress(rule)
    finally:
        for pool in pools.values():
            pool.shutdown(cancel_futures=True)
    return [results_by_task[rule.name, lane.name] for rule, lane in tasks]


def time_verification(rules, *, dtype=np.float64, examples: int = 1000, seed: int = 0, jobs: int = 1,
                      progress=None) -> VerificationTiming:
    """Verify ``rules`` as ``python -m verification verify`` does and time it: wall time
    including tracing and compilation, points checked, failures.  ``progress(rule)`` is called
    as each rule finishes."""
    timing = VerificationTiming(dtype=np.dtype(dtype).name, examples=examples)
    started = time.perf_counter()
    results = verify_rules(rules, dtype=dtype, points=examples, seed=seed, jobs=jobs, progress=progress)
    timing.seconds = time.perf_counter() - started
    for result in results:
        timing.compilations += result.compilations
        timing.rules += 1
        timing.points += result.points
        if not result.passed:
            timing.failed.append(result.rule.name)
            timing.reports.append(result.report)
    return timing
