"""``python -m verification``: verify every rule, list the table, train, benchmark.

This module only parses arguments, prints, and sets the exit status; the work is done by
``verification.verify`` (and ``verification.training`` / ``verification.bench``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

import reference
from verification.cli import train as train_cli
from verification.compare import format_comparison
from verification.oracles import DTYPES
from verification.rules import RULES, RULES_BY_NAME, Rule
from verification.verify import RuleResult, verify_rule

DEFAULT_EXAMPLES = 50


def _console(stderr: bool = False) -> Console:
    """A console that is wide enough for the formulas when the output is not a terminal."""
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=160)


def reference_functions(rule: Rule) -> list[str]:
    """The public ``reference`` functions a rule's hand-written derivative calls."""
    names, seen, stack = [], set(), [rule.reference]
    while stack:
        fn = stack.pop()
        code = getattr(fn, "__code__", None)
        if fn in seen or code is None:
            name = getattr(fn, "__name__", "")
            if name in reference.__all__ and name not in names:
                names.append(name)
            continue
        seen.add(fn)
        if fn.__name__ in reference.__all__ and fn.__module__.startswith("reference"):
            names.append(fn.__name__)
            continue
        names += [n for n in code.co_names if n in reference.__all__ and n not in names]
        stack += [v for n in code.co_names if callable(v := fn.__globals__.get(n)) and n.startswith("_")]
    return names


def _verify(args) -> int:
    rules = RULES if not args.rule else [RULES_BY_NAME[name] for name in args.rule]
    console = _console(stderr=args.json == "-")
    started = time.perf_counter()
    results: list[RuleResult] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("verifying", total=len(rules))
        for rule in rules:
            progress.update(task, description=f"verifying {rule.name}")
            results.append(verify_rule(rule, dtype=DTYPES[args.dtype], examples=args.examples, random_seed=args.seed))
            progress.advance(task)
    elapsed = time.perf_counter() - started
    passed = all(r.passed for r in results)

    table = Table(title=f"{len(results)} rules × oracles, {args.dtype}, {args.examples} examples each")
    for column in ("rule", "formula", "oracles", "examples", "max abs err", "max rel err", "result"):
        table.add_column(column, overflow="fold", no_wrap=column == "rule")
    for r in results:
        derivative_stats = [s for name, s in r.oracles.items() if name != "value"]
        table.add_row(
            r.rule.name, Text(r.rule.formula), ", ".join(r.rule.oracles), str(r.examples),
            f"{max((s.max_abs_err for s in derivative_stats), default=0):.2g}",
            f"{max((s.max_rel_err for s in derivative_stats), default=0):.2g}",
            "[green]pass[/]" if r.passed else "[red]FAIL[/]",
        )
    console.print(table)
    for r in results:
        if r.failure is not None:
            console.print(format_comparison(r.failure), markup=False, highlight=False)
    n_failed = sum(not r.passed for r in results)
    console.print(f"{len(results) - n_failed} passed, {n_failed} failed in {elapsed:.1f} s", highlight=False)

    if args.json:
        document = {"passed": passed, "dtype": args.dtype, "examples": args.examples,
                    "rules": [r.to_json() for r in results]}
        text = json.dumps(document, indent=2)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    return 0 if passed else 1


def _rules(args) -> int:
    table = Table(title=f"{len(RULES)} rules")
    for column in ("rule", "section", "formula", "reference", "oracles"):
        table.add_column(column, overflow="fold")
    for rule in RULES:
        table.add_row(rule.name, rule.section, Text(rule.formula),
                      ", ".join(f"reference.{n}" for n in reference_functions(rule)), ", ".join(rule.oracles))
    _console().print(table)
    return 0


def _main_job(args) -> int:
    """The bare command: verify every rule, then check that hand and autodiff training agree."""
    status = _verify(args)
    from verification.training import agreement_summary

    summary = agreement_summary()
    console = _console()
    verdict = "agree" if summary["agree"] else "DISAGREE"
    console.print(
        f"training, {summary['steps']} steps, float64: hand-derived and jax.grad trajectories {verdict} "
        f"(max loss difference {summary['max_loss_diff']:.2g}, max parameter difference "
        f"{summary['max_param_diff']:.2g}, tolerance {summary['tolerance']:.2g}); final loss {summary['final_loss']:.4g}",
        highlight=False,
    )
    return status if summary["agree"] else 1


def _add_verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rule", action="append", metavar="NAME",
                        help="verify only this rule (repeatable); see `rules` for the names")
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES,
                        help=f"hypothesis examples per rule (default {DEFAULT_EXAMPLES})")
    parser.add_argument("--dtype", choices=tuple(DTYPES), default="float64", help="precision lane (default float64)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH, or to stdout with -")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m verification",
        description="Verify every matrix-calculus rule of Parr & Howard against jax.jacfwd, jax.jacrev and jax.grad. "
        "With no subcommand: verify all rules and check a short training run.",
    )
    _add_verify_options(parser)
    parser.set_defaults(func=_main_job)
    sub = parser.add_subparsers(title="subcommands", metavar="COMMAND")
    verify = sub.add_parser("verify", help="verify all rules (or --rule NAME) and print a report")
    _add_verify_options(verify)
    verify.set_defaults(func=_verify)
    sub.add_parser("rules", help="list the rule table").set_defaults(func=_rules)
    train_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "examples", 1) < 1:
        parser.error(f"--examples must be at least 1, got {args.examples}")
    unknown = [name for name in getattr(args, "rule", None) or [] if name not in RULES_BY_NAME]
    if unknown:
        parser.error(f"unknown rule {', '.join(map(repr, unknown))}; run `python -m verification rules` for the names")
    return args.func(args)
