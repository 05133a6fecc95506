"""``python -m verification bench-harness``: how long the harness takes to verify every rule,
and (with ``--tests``) how long the test suite takes under a hypothesis profile."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from verification.cli.console import (
    add_folding_column,
    add_number_column,
    console,
    plural,
    positive_int,
    print_error,
    table,
)
from verification.oracles import DTYPES

MARKERS = ("<!-- bench: harness -->", "<!-- /bench: harness -->")


def register(subparsers) -> None:
    bench = subparsers.add_parser(
        "bench-harness", help="time the verification of every rule (and, with --tests, the test suite)",
        description="Verify every rule in one lane with many examples and time it end to end (tracing and "
        "compilation included, their count reported); optionally time the test suite under a hypothesis profile.")
    bench.add_argument("--examples", type=positive_int, default=1000, help="points per rule (default 1000)")
    bench.add_argument("--dtype", choices=tuple(DTYPES), default="float64", help="lane (default float64)")
    bench.add_argument("--rule", action="append", metavar="NAME", help="only this rule (repeatable; default: all)")
    bench.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                       help="worker processes, as for verify (default: one per core)")
    bench.add_argument("--tests", metavar="PROFILE", choices=("dev", "ci", "thorough"),
                       help="also time `pytest --hypothesis-profile PROFILE` from the source checkout")
    bench.add_argument("--readme", type=Path, metavar="PATH",
                       help=f"write the table into this README between {MARKERS[0]} and {MARKERS[1]}")
    bench.set_defaults(func=run)


def _tests_dir() -> Path | None:
    tests = Path(__file__).resolve().parents[2] / "tests"
    return tests if tests.is_dir() else None


def run(args: argparse.Namespace) -> int:
    from verification.rules import RULES, RULES_BY_NAME
    from verification.verify import time_verification

    unknown = [name for name in args.rule or () if name not in RULES_BY_NAME]
    if unknown:
        return print_error(f"--rule: unknown rule {', '.join(map(repr, unknown))} (`rules` lists them)")
    rules = [RULES_BY_NAME[name] for name in args.rule] if args.rule else RULES

    if args.readme is not None:
        if not args.readme.is_file():
            return print_error(f"--readme: {args.readme} is not a file")
        if not all(marker in args.readme.read_text(encoding="utf-8") for marker in MARKERS):
            return print_error(f"--readme: {args.readme} lacks the markers {MARKERS[0]} and {MARKERS[1]}")
    if args.tests and _tests_dir() is None:
        return print_error("--tests: the test suite is not here (it ships with the source checkout, not the package)")
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("verifying", total=len(rules))

        def progress(rule):
            bar.update(task, description=f"verified {rule.name}", advance=1)

        timing = time_verification(rules, dtype=DTYPES[args.dtype], examples=args.examples,
                                   jobs=min(args.jobs, len(rules)), progress=progress)
    rows = [(f"verify, {plural(timing.rules, 'rule')} × {args.examples}, {plural(args.jobs, 'job')}", f"{timing.seconds:.1f}",
             f"{timing.points:,}", f"{timing.points_per_second:,.0f}", str(timing.compilations),
             "passed" if not timing.failed else f"{len(timing.failed)} failed")]
    status = 0 if not timing.failed else 1
    if args.tests:
        started = time.perf_counter()
        suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                "-rfE", "--hypothesis-profile", args.tests, str(_tests_dir())],
                               capture_output=True, text=True)
        seconds = time.perf_counter() - started
        counts = re.findall(r"(\d+ (?:failed|passed|errors?))", (suite.stdout.strip().splitlines() or [""])[-1])
        summary = ", ".join(counts) or "see pytest's output"
        failed = [line for line in suite.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        rows.append((f"pytest, profile {args.tests}", f"{seconds:.0f}", "", "", "", summary))
        status = status or (0 if suite.returncode == 0 else 1)
        timing.reports += failed
    headers = ("run", "wall s", "points", "points/s", "compiles", "result")
    out = console()
    report = table(f"harness speed, {np.dtype(DTYPES[args.dtype]).name} lane")
    add_folding_column(report, headers[0])
    for header in headers[1:5]:
        add_number_column(report, header)
    add_folding_column(report, headers[5])
    for row in rows:
        report.add_row(*row)
    out.print(report)
    if timing.reports:
        err = console(stderr=True)
        for report in timing.reports:
            err.print(report, markup=False, highlight=False)
    if timing.failed:
        print_error(f"failed: {', '.join(timing.failed)}")
    if args.readme is not None:
        lines = ["| " + " | ".join(headers) + " |", "|:---|---:|---:|---:|---:|:---|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        text = args.readme.read_text(encoding="utf-8")
        head, rest = text.split(MARKERS[0], 1)
        _, tail = rest.split(MARKERS[1], 1)
        args.readme.write_text(head + MARKERS[0] + "\n" + "\n".join(lines) + "\n" + MARKERS[1] + tail, encoding="utf-8")
    return status
