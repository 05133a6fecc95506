"""``python -m verification bench-harness``: what the checker costs.

How long the harness takes to verify every rule (and, with ``--tests``, the test suite under a
hypothesis profile); what one check costs a user against ``jax.test_util.check_grads``, at a
large input, and inside a pytest test (:mod:`verification.bench.checker`, each in a fresh
process); with ``--false-alarms N``, the false-alarm corpus over N draws per case and lane
(:mod:`verification.corpus`).  ``--write-docs`` writes the tables into the benchmark page's
blocks ``harness`` and ``false-alarms``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from rich.progress import Progress

from verification.bench import checker
from verification.bench.report import check_block, write_block
from verification.cli.console import (
    add_folding_column,
    add_number_column,
    console,
    plural,
    positive_int,
    print_error,
    table,
)
from verification.precision import DTYPES
from verification.rules import RULES, RULES_BY_NAME
from verification.train.errors import ArgumentError
from verification.verify import time_verification

DOCS = Path("docs/benchmarks.md")
"""The benchmark page, relative to the source checkout."""
CALL_COST_TARGET = 1.0
"""A warm check with the default lanes costs at most this many times check_grads."""
LARGE_INPUT_TARGET = 50.0
"""A large-input vjp check costs at most this many jitted vjps, and this many input-sized arrays of memory."""
DEFAULT_LANES_TARGET = 3.0
"""A hypothesis test of assert_derivative with the default lanes: at most this many times check_grads."""
PER_LANE_TARGET = 0.8
"""The plugin's per-lane pattern: at most this many times check_grads."""


def register(subparsers) -> None:
    bench = subparsers.add_parser(
        "bench-harness", help="time the harness and what a check costs against check_grads",
        description="Verify every rule in one lane with many examples and time it end to end (tracing and "
        "compilation included, their count reported); measure what one check costs a user against "
        "jax.test_util.check_grads; optionally time the test suite and run the false-alarm corpus.")
    bench.add_argument("--examples", type=positive_int, default=1000, help="points per rule (default 1000)")
    bench.add_argument("--dtype", choices=tuple(DTYPES), default="float64", help="lane (default float64)")
    bench.add_argument("--rule", action="append", metavar="NAME", help="only this rule (repeatable; default: all)")
    bench.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                       help="worker processes, as for verify (default: one per core)")
    bench.add_argument("--tests", metavar="PROFILE", choices=("dev", "ci", "thorough"),
                       help="also time `pytest --hypothesis-profile PROFILE` from the source checkout")
    bench.add_argument("--skip-checker", action="store_true",
                       help="skip the cost of a check against check_grads (a few minutes)")
    bench.add_argument("--false-alarms", type=positive_int, metavar="DRAWS",
                       help="also run the false-alarm corpus, DRAWS random draws per case and lane")
    bench.add_argument("--write-docs", "--readme", dest="write_docs", type=Path, nargs="?", const=DOCS,
                       metavar="PATH", help=f"write the tables into this page's blocks (default {DOCS})")
    bench.set_defaults(func=run)


def _tests_dir() -> Path | None:
    tests = Path(__file__).resolve().parents[2] / "tests"
    return tests if tests.is_dir() else None


def _check_paths(args: argparse.Namespace) -> str | None:
    """The first usage error, found before any work."""
    unknown = [name for name in args.rule or () if name not in RULES_BY_NAME]
    if unknown:
        return f"--rule: unknown rule {', '.join(map(repr, unknown))} (`rules` lists them)"
    if args.write_docs is not None:
        try:
            check_block(args.write_docs, "harness")
            if args.false_alarms:
                check_block(args.write_docs, "false-alarms")
        except ArgumentError as error:
            return f"--write-docs: {error.problem}"
    if args.tests and _tests_dir() is None:
        return "--tests: the test suite is not here (it ships with the source checkout, not the package)"
    return None


def run(args: argparse.Namespace) -> int:
    problem = _check_paths(args)
    if problem:
        return print_error(problem)
    rules = [RULES_BY_NAME[name] for name in args.rule] if args.rule else RULES
    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("verifying", total=len(rules))
        timing = time_verification(rules, dtype=DTYPES[args.dtype], examples=args.examples,
                                   jobs=min(args.jobs, len(rules)),
                                   progress=lambda rule: bar.update(task, description=f"verified {rule.name}", advance=1))
    speed: list[tuple[str, ...]] = [(f"verify, {plural(timing.rules, 'rule')} × {args.examples}, {plural(args.jobs, 'job')}",
              f"{timing.seconds:.1f}", f"{timing.points:,}", f"{timing.points_per_second:,.0f}", str(timing.compilations),
              "passed" if not timing.failed else f"{len(timing.failed)} failed")]
    status = 0 if not timing.failed else 1
    if args.tests:
        row, failed = _time_test_suite(args.tests)
        speed.append(row)
        status = status or (1 if failed else 0)
        timing.reports += failed
    blocks = {"harness": _markdown(SPEED_HEADERS, speed)}
    out = console()
    out.print(_table(f"harness speed, {args.dtype} lane", SPEED_HEADERS, speed))
    if not args.skip_checker:
        cost = cost_rows(checker.call_costs(), checker.large_input(), checker.pytest_patterns())
        out.print(_table("what a check costs", COST_HEADERS, cost))
        blocks["harness"] += "\n\n" + _markdown(COST_HEADERS, cost)  # a missed target is reported, not an error
    if args.false_alarms:
        from verification.corpus.runner import run_corpus  # the corpus imports every case: only when asked

        corpus = run_corpus(args.false_alarms)
        blocks["false-alarms"] = corpus.markdown()
        out.print(corpus.markdown(), markup=False, highlight=False)
        if corpus.false_alarms or corpus.missed:
            status = 1
            timing.reports.append(corpus.failures())
            timing.failed.append(f"the false-alarm corpus ({corpus.false_alarms} false alarms, "
                                 f"{corpus.missed} planted mistakes missed)")
    if timing.reports:
        err = console(stderr=True)
        for report in timing.reports:
            err.print(report, markup=False, highlight=False)
    if timing.failed:
        print_error(f"failed: {', '.join(timing.failed)}")
    if args.write_docs is not None:
        for name, text in blocks.items():
            write_block(args.write_docs, name, text)
    return status


def _time_test_suite(profile: str) -> tuple[tuple[str, ...], list[str]]:
    started = time.perf_counter()
    suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "-rfE", "--hypothesis-profile", profile, str(_tests_dir())],
                           capture_output=True, text=True)
    seconds = time.perf_counter() - started
    counts = re.findall(r"(\d+ (?:failed|passed|errors?))", (suite.stdout.strip().splitlines() or [""])[-1])
    failed = [line for line in suite.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    failed += [] if suite.returncode == 0 or failed else [f"pytest exited with status {suite.returncode}"]
    return (f"pytest, profile {profile}", f"{seconds:.0f}", "", "", "", ", ".join(counts) or "see pytest's output"), failed


SPEED_HEADERS = ("run", "wall s", "points", "points/s", "compiles", "result")
COST_HEADERS = ("measurement", "ours", "baseline", "ratio", "target", "met")


def cost_rows(calls: list[checker.CallCost], large: checker.LargeInput,
              patterns: list[checker.PytestPattern]) -> list[tuple[str, ...]]:
    """The cost measurements as table rows, each judged against its target."""
    def met(ok: bool) -> str:
        return "yes" if ok else "no"

    rows: list[tuple[str, ...]] = [(f"check_derivative, default lanes: {c.name} (cold {c.cold:.1f} s)", f"{c.warm * 1e3:.1f} ms",
             f"{c.check_grads * 1e3:.1f} ms", f"{c.ratio:.2f}", f"≤ {CALL_COST_TARGET:g}", met(c.ratio <= CALL_COST_TARGET))
            for c in calls]
    rows.append((f"vjp check at 10⁶ entries, {large.lane}, against one jitted jax.vjp", f"{large.check:.2f} s",
                 f"{large.vjp * 1e3:.1f} ms", f"{large.ratio:.0f}", f"≤ {LARGE_INPUT_TARGET:g}",
                 met(large.ratio <= LARGE_INPUT_TARGET)))
    rows.append(("  peak memory growth, in arrays of the input's size", f"{large.arrays:.0f}", "", "",
                 f"≤ {LARGE_INPUT_TARGET:g}", met(large.arrays <= LARGE_INPUT_TARGET)))
    rows.append(("  a wrong derivative at that size (one entry × 1.001) is caught", "yes" if large.caught else "no",
                 "", "", "caught", met(large.caught)))
    for p, target in zip(patterns, (DEFAULT_LANES_TARGET, PER_LANE_TARGET), strict=True):
        rows.append((f"pytest, {checker.EXAMPLES} hypothesis examples: {p.pattern}", f"{p.seconds:.1f} s",
                     f"{p.check_grads:.1f} s", f"{p.ratio:.2f}", f"≤ {target:g}", met(p.ratio <= target)))
    return rows


def _table(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]):
    report = table(title)
    add_folding_column(report, headers[0])
    for header in headers[1:-1]:
        add_number_column(report, header)
    add_folding_column(report, headers[-1])
    for row in rows:
        report.add_row(*row)
    return report


def _markdown(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|:---|" + "---:|" * (len(headers) - 2) + ":---|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
