"""``rules``: the rule table, for the terminal, or (``--markdown``) as Markdown tables; with
``--latex`` each formula is LaTeX between dollars and each reference function a cross-reference,
as the documentation site's rule page includes it."""

from __future__ import annotations

import argparse
import re
import sys
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


SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿᵀᶻ", "0123456789-+nTz", strict=True))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ᵢⱼₖₗₘₙᵣ", "0123456789+-ijklmnr", strict=True))
SYMBOLS = {"∂": r"\partial", "∇": r"\nabla", "Σ": r"\sum", "·": r"\cdot", "×": r"\times", "⊗": r"\otimes",
           "⊘": r"\oslash", "○": r"\bigcirc", "−": "-", "∈": r"\in", "→": r"\to", "…": r"\dots", "‖": r"\Vert",
           "|": r"\vert", "′": "'", "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta",
           "ε": r"\varepsilon", "η": r"\eta", "λ": r"\lambda", "μ": r"\mu", "σ": r"\sigma", "ŵ": r"\hat{w}"}
r"""Unicode math characters and their LaTeX; ``|`` becomes ``\vert`` so that no LaTeX cell holds a
Markdown column separator."""
ACCENTS = {"\u0302": r"\hat", "\u20d7": r"\vec"}
"""Combining accents (x̂, 1⃗): the LaTeX command that puts them over the character before them."""
OPERATORS = {"diag", "sin", "exp", "log", "ln", "max", "sum", "softmax", "lse", "tanh", "xent", "vjp", "det", "tr"}
"""Words typeset upright, as functions; other words of three or more lower-case letters (and the
short words in ``PROSE``) are prose, typeset as text."""
PROSE = {"as", "of", "on", "at", "by", "to", "or", "if"}
_TOKEN = re.compile(r"(?P<word>[A-Za-z]+(?:-[A-Za-z]+)*)|(?P<instance> {3}\[)|(?P<space> +)|(?P<other>.)", re.S)


def _is_prose(word: str) -> bool:
    return word not in OPERATORS and (word in PROSE or (len(word) >= 3 and word.islower()) or "-" in word)


def latex(formula: str) -> str:
    r"""A rule's formula (Unicode, as the terminal shows it) as LaTeX: ``∂`` to ``\partial``,
    ``xᵢ²`` to ``x_{i}^{2}``, ``√(…)`` to ``\sqrt{…}``, function names upright, words as text, and
    the instance in brackets set apart by a quad.

    >>> print(latex("∂(w⊘x)/∂x = diag(−wᵢ/xᵢ²)   [y one-hot]"))
    \partial (w\oslash x)/\partial x = \operatorname{diag}(-w_{i}/x_{i}^{2})\qquad [y \text{ one-hot}]
    """
    out: list[str] = []
    tokens = list(_TOKEN.finditer(formula))
    i = 0
    while i < len(tokens):
        kind, text = tokens[i].lastgroup, tokens[i].group()
        if kind == "word" and _is_prose(text):
            words = [text]  # a run of prose words, with the spaces around them, is one \text{}
            while i + 2 < len(tokens) and tokens[i + 1].lastgroup == "space" and tokens[i + 2].lastgroup == "word" \
                    and _is_prose(tokens[i + 2].group()):
                words.append(tokens[i + 2].group())
                i += 2
            before = " " if out and out[-1] == " " else ""
            after = " " if i + 1 < len(tokens) and tokens[i + 1].lastgroup == "space" else ""
            out.append(rf"\text{{{before}{' '.join(words)}{after}}}")
        elif kind == "word":
            out.append(rf"\operatorname{{{text}}}" if text in OPERATORS else text)
        elif kind == "instance":
            out.append(r"\qquad [")
        elif kind == "space":  # between two words or numbers a thin space keeps them apart (d/dx c)
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            apart = bool(out and out[-1][-1:].isalnum() and following and following.group()[:1].isalnum()
                         and not (following.lastgroup == "word" and _is_prose(following.group())))
            out.append(r"\," if apart else " ")
        elif text in SUPERSCRIPTS or text in SUBSCRIPTS:
            table, mark = (SUPERSCRIPTS, "^") if text in SUPERSCRIPTS else (SUBSCRIPTS, "_")
            run = table[text]
            while i + 1 < len(tokens) and tokens[i + 1].group() in table:
                i += 1
                run += table[tokens[i].group()]
            out.append(f"{mark}{{{run}}}")
        elif text in ACCENTS and out:
            out[-1] = f"{ACCENTS[text]}{{{out[-1]}}}"
        elif text == "√" and i + 1 < len(tokens) and tokens[i + 1].group() == "(":
            depth, j = 0, i + 1
            while j < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[j].group(), 0)
                if depth == 0:
                    break
                j += 1
            out.append(rf"\sqrt{{{latex(formula[tokens[i + 2].start():tokens[j].start()])}}}")
            i = j
        else:
            symbol = SYMBOLS.get(text, text)
            out.append(symbol + (" " if symbol[:1] == "\\" and symbol[-1:].isalpha() else ""))
        i += 1
    return re.sub(r" +", " ", "".join(out)).strip()


def _reference_cell(rule: Rule, cross_references: bool) -> str:
    if not cross_references:
        return ", ".join(f"`{name}`" for name in reference_names(rule))
    return ", ".join(f"{{py:func}}`{name}`" for name in reference_names(rule))


def markdown(rules: Sequence[Rule] = RULES, *, as_latex: bool = False) -> str:
    """The rule tables: one per source, columns id, formula, section, reference functions,
    oracles.  With ``as_latex`` the formula is LaTeX between dollars (:func:`latex`) and each
    reference function a MyST cross-reference to its documentation, as the documentation site
    renders them."""
    lines: list[str] = []
    for key, members in _grouped(rules):
        if lines:
            lines.append("")
        lines += [f"### {HEADINGS.get(key, key)}", "",
                  "| id | formula | section | reference functions | oracles |",
                  "|---|---|---|---|---|"]
        for rule in members:
            formula = f"${latex(rule.formula)}$" if as_latex else _cell(rule.formula)
            lines.append(f"| `{rule.name}` | {formula} | {rule.section} | {_reference_cell(rule, as_latex)} | {', '.join(rule.oracles)} |")
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
    parser.add_argument("--markdown", action="store_true", help="print the rules as Markdown tables instead")
    parser.add_argument("--latex", action="store_true",
                        help="with --markdown: each formula as LaTeX, each reference function a cross-reference (the docs' rule page)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.latex and not args.markdown:
        print("error: --latex: only with --markdown", file=sys.stderr)
        return 2
    if args.markdown:
        print(markdown(as_latex=args.latex), end="")
    else:
        console().print(rules_table())
    return 0
