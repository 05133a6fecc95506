"""``verify`` and the bare command: check the rules (and, bare, a short training run), report."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Group
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from verification.cli.console import add_folding_column, add_number_column, add_whole_column, console, plural, positive_int, table
from verification.compare import format_comparison
from verification.precision import DTYPES
from verification.rules import RULES, RULES_BY_NAME
from verification.verify import RuleResult, verify_rules

DEFAULT_EXAMPLES = 50
DEFAULT_DTYPE = "float64"
DEFAULT_SEED = 0
DEFAULT_JOBS = os.cpu_count() or 1

OPTIONS = ("rule", "examples", "dtype", "seed", "json", "jobs")
"""The options of ``verify``, which the bare command also takes."""


def add_options(parser: argparse.ArgumentParser, *, dest_prefix: str = "") -> None:
    """The options of ``verify``.  Every default is None, so that the caller can tell an option
    given before the subcommand from one given after it; :func:`with_defaults` fills them in."""
    parser.add_argument("--rule", dest=f"{dest_prefix}rule", action="append", metavar="NAME",
                        help="verify only this rule (repeatable); `rules` lists the names")
    parser.add_argument("--examples", dest=f"{dest_prefix}examples", type=positive_int, metavar="N",
                        help=f"points to check per rule (default {DEFAULT_EXAMPLES})")
    parser.add_argument("--dtype", dest=f"{dest_prefix}dtype", choices=tuple(DTYPES),
                        help=f"precision lane (default {DEFAULT_DTYPE})")
    parser.add_argument("--seed", dest=f"{dest_prefix}seed", type=int, metavar="SEED", help=f"hypothesis seed (default {DEFAULT_SEED})")
    parser.add_argument("--jobs", dest=f"{dest_prefix}jobs", type=positive_int, metavar="N",
                        help=f"verify rules in N worker processes (default: one per core, {DEFAULT_JOBS} here)")
    parser.add_argument("--json", dest=f"{dest_prefix}json", metavar="PATH",
                        help="also write the results as JSON to PATH, or to stdout with - (then nothing else goes to stdout)")


def with_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Fill in the defaults of the options that were not given."""
    defaults = {"rule": None, "examples": DEFAULT_EXAMPLES, "dtype": DEFAULT_DTYPE, "seed": DEFAULT_SEED, "json": None,
                "jobs": DEFAULT_JOBS}
    for name, default in defaults.items():
        if getattr(args, name, None) is None:
            setattr(args, name, default)
    return args


def check_json_path(path: str | None) -> str | None:
    """Why ``--json PATH`` cannot be written (checked before any work), or None."""
    if path is None or path == "-":
        return None
    target = Path(path)
    if target.is_dir():
        return f"--json: {path} is a directory"
    if not target.parent.is_dir():
        return f"--json: the directory {target.parent} does not exist"
    return None


def results_table(results: Sequence[RuleResult], *, dtype: str, examples: int) -> Table:
    """One row per rule: the rule (its id, then its formula and oracles below it), the number of
    examples checked, the largest absolute and relative errors over the derivative oracles, and
    pass or FAIL."""
    rows = table(f"{plural(len(results), 'rule')} against JAX, {dtype}, {plural(examples, 'example')} each")
    # The only column that folds: it takes what the numbers leave, and at least a whole id.
    add_folding_column(rows, "rule", min_width=max((len(r.rule.name) for r in results), default=4))
    add_number_column(rows, "examples")
    add_number_column(rows, "max abs\nerror")
    add_number_column(rows, "max rel\nerror")
    add_whole_column(rows, "result")
    for r in results:
        derivative_stats = [s for name, s in r.oracles.items() if name != "value"]
        rows.add_row(
            Group(Text(r.rule.name, style="bold", no_wrap=True), Text(r.rule.formula),
                  Text(f"against {', '.join(r.rule.oracles)}", style="dim")),
            str(r.examples),
            f"{max((s.max_abs_err for s in derivative_stats), default=0):.2g}",
            f"{max((s.max_rel_err for s in derivative_stats), default=0):.2g}",
            Text("pass", style="green") if r.passed else Text("FAIL", style="bold red"),
        )
    return rows


def verify_selected(args: argparse.Namespace, out) -> tuple[list[RuleResult], float]:
    """Verify the rules named by ``args.rule`` (every rule when None), with a progress bar on ``out``."""
    rules = RULES if not args.rule else [RULES_BY_NAME[name] for name in args.rule]
    started = time.perf_counter()
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("verifying", total=len(rules))
        results = verify_rules(rules, dtype=DTYPES[args.dtype], points=args.examples, seed=args.seed,
                               jobs=min(args.jobs, len(rules)),
                               progress=lambda rule: progress.update(task, description=f"verified {rule.name}", advance=1))
    return results, time.perf_counter() - started


def report(results: Sequence[RuleResult], elapsed: float, args: argparse.Namespace, out) -> None:
    """The table, every failure's full report, and a one-line summary."""
    out.print(results_table(results, dtype=args.dtype, examples=args.examples))
    for r in results:
        if r.failure is not None:
            # soft_wrap: the report's columns are aligned; the terminal wraps it, not rich.
            out.print(format_comparison(r.failure), markup=False, highlight=False, soft_wrap=True)
    n_failed = sum(not r.passed for r in results)
    out.print(f"{len(results) - n_failed} passed, {n_failed} failed in {elapsed:.1f} s", highlight=False)


def write_json(document: dict, path: str) -> None:
    text = json.dumps(document, indent=2, default=_plain) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")


def _plain(value):
    """NumPy scalars (in the training summary) as Python numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def run_verify(args: argparse.Namespace) -> int:
    """``verify``: exit 0 when every rule passed, 1 otherwise."""
    out = console(stderr=args.json == "-")
    results, elapsed = verify_selected(args, out)
    report(results, elapsed, args, out)
    passed = all(r.passed for r in results)
    if args.json:
        write_json({"passed": passed, "dtype": args.dtype, "examples": args.examples,
                    "rules": [r.to_json() for r in results]}, args.json)
    return 0 if passed else 1


def run_main_job(args: argparse.Namespace) -> int:
    """The bare command: verify the rules, then check that hand and autodiff training agree."""
    from verification.train import agreement_summary

    out = console(stderr=args.json == "-")
    results, elapsed = verify_selected(args, out)
    report(results, elapsed, args, out)
    summary = agreement_summary()
    verdict = "agree" if summary["agree"] else "DISAGREE"
    out.print(
        f"training, {summary['steps']} steps, float64: hand-derived and jax.grad trajectories {verdict} "
        f"(max loss difference {summary['max_loss_diff']:.2g}, max parameter difference "
        f"{summary['max_param_diff']:.2g}, tolerance {summary['tolerance']:.2g}); final loss {summary['final_loss']:.4g}",
        highlight=False,
    )
    passed = all(r.passed for r in results) and bool(summary["agree"])
    if args.json:
        write_json({"passed": passed, "dtype": args.dtype, "examples": args.examples,
                    "rules": [r.to_json() for r in results], "training": summary}, args.json)
    return 0 if passed else 1
