"""``rules``: the rule table, for the terminal or (``--markdown``) for the README."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from verification.cli.console import add_folding_column, console, plural, table
from verification.rules import RULES, SOURCES, Rule

HEADINGS = {"paper": "From the paper", "extension": "Extensions"}
"""The heading of each ``rule.source``; the tables follow the order of ``SOURCES``."""


def reference_names(rule: Rule) -> list[str]:
    """The public reference functions a row declares (``rule.references``), as ``reference.name``."""
    return [f"reference.{fn.__name__}" for fn in rule.references]


def _grouped(rules: Sequence[Rule]) -> list[tuple[str, list[Rule]]]:
    unknown = {rule.source for rule in rules} - set(SOURCES)
    if unknown:
        raise ValueError(f"rule source {sorted(unknown)} is none of {list(SOURCES)}")
    groups = [(key, [rule for rule in rules if rule.source == key]) for key in SOURCES]
    return [(key, members) for key, members in groups if members]


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a ``|`` would end the cell."""
    return text.replace("|", r"\|")


def markdown(rules: Sequence[Rule] = RULES) -> str:
    """The README's rule tables: one per source, columns id, formula, section, reference
    functions, oracles."""
    lines: list[str] = []
    for key, members in _grouped(rules):
        if lines:
            lines.append("")
        lines += [f"### {HEADINGS.get(key, key)}", "",
                  "| id | formula | section | reference functions | oracles |",
                  "|---|---|---|---|---|"]
        for rule in members:
            references = ", ".join(f"`{name}`" for name in reference_names(rule))
            lines.append(f"| `{rule.name}` | {_cell(rule.formula)} | {rule.section} | {references} | {', '.join(rule.oracles)} |")
    return "\n".join(lines) + "\n"


def rules_table(rules: Sequence[Rule] = RULES) -> Table:
    """The rule table for a terminal: each rule's id with its formula and section below, its
    reference functions, and its oracles (one a line)."""
    title = ", ".join(f"{HEADINGS.get(key, key).lower()}: {len(members)}" for key, members in _grouped(rules))
    rows = table(f"{plural(len(rules), 'rule')} ({title})")
    add_folding_column(rows, "rule", min_width=max((len(rule.name) for rule in rules), default=4))
    add_folding_column(rows, "reference functions")
    add_folding_column(rows, "oracles")
    for rule in rules:
        rows.add_row(Group(Text(rule.name, style="bold", no_wrap=True), Text(rule.formula), Text(rule.section, style="dim")),
                     "\n".join(fn.__name__ for fn in rule.references), "\n".join(rule.oracles))
    return rows


def register(subparsers) -> None:
    parser = subparsers.add_parser("rules", help="list the rule table",
                                   description="List every rule: id, formula, paper section, reference functions, oracles.")
    parser.add_argument("--markdown", action="store_true", help="print the README's Markdown tables instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        print(markdown(), end="")
    else:
        console().print(rules_table())
    return 0
