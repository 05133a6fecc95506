"""``bench``: time the NumPy and jitted training loops, print the table, check the targets.

Parse, call :func:`verification.bench.measure.run_benchmark`, print the
:class:`~verification.bench.report.Report`.  ``--all-cores`` gives JAX one CPU device per core
before it starts; without it JAX keeps its default configuration, as a library user has it.
``--write-docs`` writes the tables into the docs page's generated block of that configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from rich.console import Group

from verification.bench.measure import FULL, QUICK, all_cores, run_benchmark
from verification.bench.report import DOCS, Report, block_name, check_block, figures, markdown, targets, write_block
from verification.cli.console import (
    add_folding_column,
    add_number_column,
    add_whole_column,
    console,
    positive_int,
    print_error,
    table,
)
from verification.train import use_all_cores
from verification.train.checkpoint import check_writable
from verification.train.errors import ArgumentError

OPTIONS = {"path": "--write-docs", "json": "--json"}
"""The library's argument names and the option that sets each."""


def size(text: str) -> tuple[int, int]:
    try:
        samples, features = (int(float(part)) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SAMPLESxFEATURES such as 1e6x100, got {text!r}") from None
    if samples < 1 or features < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return samples, features


def register(subparsers) -> None:
    bench = subparsers.add_parser(
        "bench",
        help="time the NumPy and jitted training loops against the memory roofline",
        description="Milliseconds per step of the NumPy reference loop, the jitted loop (hand and autodiff), "
        "a vmap sweep of K models against a NumPy loop over them, and whole verification.train.train calls against "
        "reference.train, side by side on float32 planted-teacher data, interleaved; medians of the rounds.",
    )
    bench.add_argument("--quick", action="store_true", help="small sizes, 8 models, 2 rounds (under 30 s)")
    bench.add_argument("--sizes", type=size, nargs="+", metavar="NxD", help="sizes to run, e.g. 1e3x10 1e7x100 (default 1e3x10 1e5x100 1e6x100)")
    bench.add_argument("--models", type=positive_int, help="K for the vmap sweep (default 64)")
    bench.add_argument("--rounds", type=positive_int, help="interleaved timing rounds; the median is kept (default 5)")
    bench.add_argument("--all-cores", action="store_true", help="one CPU device per core (verification.use_all_cores()), "
                       "and the data-parallel rows on all of them; default: JAX's default configuration")
    bench.add_argument("--steps", type=positive_int, help="steps of a timed run (default: about 10 GB of X read, 5 to 10,000)")
    bench.add_argument("--json", type=Path, metavar="PATH", help="also write the measurements as JSON")
    bench.add_argument("--markdown", action="store_true", help="print Markdown tables instead")
    bench.add_argument("--write-docs", "--readme", type=Path, nargs="?", const=DOCS, metavar="PATH", dest="write_docs",
                       help=f"write the Markdown tables into this docs page (default {DOCS}), between the lines "
                       "<!-- generated: training --> and <!-- end generated: training --> (training-all-cores with --all-cores)")
    bench.set_defaults(func=run_bench)


def run_bench(args) -> int:
    """``python -m verification bench``: see ``register``."""
    out, err = console(), console(stderr=True)
    if args.all_cores:
        use_all_cores()
    try:
        if args.json is not None:
            check_writable("json", args.json, (".json",))
        if args.write_docs is not None:
            check_block(args.write_docs, block_name(all_cores()))
    except ArgumentError as error:
        return print_error(error.naming(OPTIONS.get(error.argument, error.argument)))
    chosen = {name: getattr(args, name) for name in ("sizes", "models", "rounds", "steps") if getattr(args, name) is not None}
    settings = dataclasses.replace(QUICK if args.quick else FULL, **chosen)
    report = run_benchmark(settings, log=lambda m: err.print(m, style="dim", highlight=False, markup=False))
    if args.markdown:
        out.print(markdown(report), markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_dict(), indent=2))
    if args.write_docs is not None:
        write_block(args.write_docs, report.block, markdown(report))
    return 0


def format_report(report: Report) -> Group:
    """The benchmark as two tables that stay readable at 80 columns: times, then targets."""
    times = table(f"{report.machine}\n{report.configuration}; {report.bandwidth_text}\nms per step, median of the rounds")
    add_whole_column(times, "N × n")
    add_folding_column(times, "method")
    for name in ("dev", "steps", "ms/step", "vs NumPy", "× roof", "compile s"):
        add_number_column(times, name)
    for row in report.rows:
        shown = figures(report, row)
        times.add_row(
            f"{row.samples:.0e} × {row.features}".replace("e+0", "e"),
            f"{row.label} [dim]({row.kernel}{'; ' + row.note if row.note else ''})[/]",
            str(row.devices),
            f"{row.steps:,}",
            shown.ms_per_step,
            shown.speedup,
            shown.times_roofline,
            shown.compile_s,
        )
    goals = table("targets")
    add_folding_column(goals, "target")
    add_whole_column(goals, "met")
    add_folding_column(goals, "measured")
    for target in targets(report):
        goals.add_row(target.name, "[green]yes[/]" if target.met else "[red]no[/]", target.detail)
    return Group(times, goals)
