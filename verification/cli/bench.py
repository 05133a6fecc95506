"""``bench``: time the NumPy and jitted training loops, print the table, check the targets.

Parse, call ``verification.train.bench.run_benchmark``, print.  ``--all-cores`` gives JAX one
CPU device per core before it starts; without it JAX keeps its default configuration, as a
library user has it.  ``--readme`` writes the tables into the README between the markers of
that configuration.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Group

from verification.cli.console import (
    add_folding_column,
    add_number_column,
    add_whole_column,
    console,
    print_error,
    table,
)

QUICK = {"sizes": ((1_000, 10), (20_000, 20)), "models": 8, "rounds": 2, "steps": 500, "probe_bytes": 64 * 2**20}
"""``--quick``: small sizes, few models, rounds and steps, a small bandwidth probe (well under 30 s)."""


def size(text: str) -> tuple[int, int]:
    try:
        samples, features = (int(float(part)) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SAMPLESxFEATURES such as 1e6x100, got {text!r}") from None
    if samples < 1 or features < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return samples, features


def register(subparsers) -> None:
    from verification.cli.console import positive_int

    bench = subparsers.add_parser(
        "bench",
        help="time the NumPy and jitted training loops against the memory roofline",
        description="Milliseconds per step of the NumPy reference loop, the jitted loop (hand and autodiff), "
        "a vmap sweep of K models against a NumPy loop over them, and whole verification.train calls against "
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
    bench.add_argument("--readme", type=Path, metavar="PATH", help="write the Markdown tables into this README, between "
                       "the lines <!-- bench: default --> and <!-- /bench: default --> (or all-cores)")
    bench.set_defaults(func=run_bench)


def run_bench(args) -> int:
    """``python -m verification bench``: see ``register``."""
    from verification.train import bench as library
    from verification.train import use_all_cores
    from verification.train.checkpoint import check_writable

    out, err = console(), console(stderr=True)
    try:
        if args.json is not None:
            check_writable("json", args.json, (".json",))
        if args.readme is not None and not args.readme.is_file():
            raise ValueError(f"readme: no such file {args.readme}")
    except ValueError as error:
        return print_error(f"--{error}")
    if args.all_cores:
        use_all_cores()
    settings = dict(QUICK) if args.quick else {"sizes": library.FULL_SIZES, "models": library.MODELS, "rounds": 5,
                                                "steps": None, "probe_bytes": 256 * 2**20}
    for name in ("sizes", "models", "rounds", "steps"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    report = library.run_benchmark(
        settings.pop("sizes"), **settings, log=lambda m: err.print(m, style="dim", highlight=False, markup=False)
    )
    models = settings["models"]
    if args.markdown:
        out.print(library.markdown(report, models), markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(format_report(report, models))
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_dict(), indent=2))
    if args.readme is not None:
        try:
            library.write_readme(args.readme, report, models)
        except ValueError as error:
            return print_error(f"--{error}")
    return 0


def format_report(report, models: int):
    """The benchmark as two tables that stay readable at 80 columns: times, then targets."""
    from verification.train.bench import configuration, speedup_over_numpy, targets

    times = table(f"{report.machine}\n{configuration(report)}; {report.bandwidth_text}\nms per step, median of the rounds")
    add_whole_column(times, "N × n")
    add_folding_column(times, "method")
    for name in ("dev", "steps", "ms/step", "vs NumPy", "× roof", "compile s"):
        add_number_column(times, name)
    for row in report.rows:
        speedup = speedup_over_numpy(report, row, models)
        roof = row.ms_per_step / report.roofline_ms(row.samples, row.features)
        times.add_row(
            f"{row.samples:.0e} × {row.features}".replace("e+0", "e"),
            f"{row.method} [dim]({row.kernel}{'; ' + row.note if row.note else ''})[/]",
            str(row.devices),
            f"{row.steps:,}",
            f"{row.ms_per_step:.4g}",
            "" if speedup != speedup else f"{speedup:.2f}×",
            f"{roof:.2f}",
            "" if row.compile_s is None else f"{row.compile_s:.2f}",
        )
    goals = table("targets")
    add_folding_column(goals, "target")
    add_whole_column(goals, "met")
    add_folding_column(goals, "measured")
    for target in targets(report, models):
        goals.add_row(target.name, "[green]yes[/]" if target.met else "[red]no[/]", target.detail)
    return Group(times, goals)
