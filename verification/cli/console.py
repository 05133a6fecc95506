"""What the command line prints: tables that stay readable at 80 columns, and errors.

A table has two kinds of column.  A *folding* column (a formula, a list of names) wraps its
words and folds a word longer than the column; a *whole* column (a number, a rule id) is
never split, so ``1.4e-14`` can never come out as ``1.4e-`` over ``14``.  When a table is
wider than the console, only the folding columns give up width.

Output that is not a terminal (a pipe, a file) gets the width of ``$COLUMNS``, or 80 when it
is unset, as for any other command line tool.
"""

from __future__ import annotations

import argparse
import math
import sys

from rich import box
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

USAGE_ERROR = 2
"""Exit status for bad usage or input, as argparse uses."""

INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as a shell reports it."""


def plural(count: int, noun: str) -> str:
    """``1 rule``, ``2 rules``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A console on stdout (or stderr); ``width`` None means the terminal's, else ``$COLUMNS`` or 80."""
    return Console(stderr=stderr, width=width)


def table(title: str | None = None) -> Table:
    """An empty table, compact enough for 80 columns; add its columns with the functions below."""
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                 title_justify="left")


def add_folding_column(table: Table, header: str, **options) -> None:
    """A column of text that may wrap between words and fold a word too long for it.

    A ``min_width`` option is kept even when the table is too wide (rich re-measures every
    column at its minimum after shrinking), so an identifier of that length stays whole.
    """
    table.add_column(header, overflow="fold", **options)


def add_whole_column(table: Table, header: str, *, justify: JustifyMethod = "left", **options) -> None:
    """A column whose cells are never split (numbers, identifiers); its header may wrap."""
    table.add_column(header, no_wrap=True, justify=justify, **options)


def add_number_column(table: Table, header: str, **options) -> None:
    """A right-aligned :func:`add_whole_column`."""
    add_whole_column(table, header, justify="right", **options)


def print_error(message: str, *, hint: str | None = None) -> int:
    """Print ``error: message`` (and an optional hint) to stderr; return the usage-error status 2."""
    err = Console(stderr=True, soft_wrap=True)
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err.print(escape(hint), highlight=False)
    return USAGE_ERROR


def print_interrupted(hint: str | None = None) -> int:
    """Say that the run was interrupted (no traceback), on stderr; return 130."""
    print("interrupted" + (f": {hint}" if hint else ""), file=sys.stderr)
    return INTERRUPTED


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1, or an error argparse reports as a usage error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def number(text: str) -> float:
    """An argparse type: any number ``float`` reads (``inf`` and ``nan`` included), or a usage error.

    For an option whose value the library checks (``--learning-rate``): this only reads it.
    """
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0, or an error argparse reports as a usage error."""
    value = number(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value
