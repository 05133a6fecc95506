"""The command line, ``python -m verification`` or ``matrix-calculus``.

Each subcommand parses its arguments, calls the library and prints; ``main`` turns the
outcome into the exit status (see ``EPILOG``).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from verification.cli import harness as harness_command
from verification.cli import rules as rules_command
from verification.cli import train as train_command
from verification.cli import verify as verify_command
from verification.cli.console import INTERRUPTED, USAGE_ERROR, print_interrupted
from verification.rules import RULES_BY_NAME

DISTRIBUTION = "matrix-calculus-verified"

EPILOG = """\
exit status:
  0    every rule and check passed (or the command did what it was asked)
  1    a rule or a check failed, or training diverged
  2    bad usage or input (the message on stderr names the option)
  130  interrupted (Ctrl-C)

Errors and warnings go to stderr; with --json - stdout carries only the JSON.
"""

_BEFORE = "before_"
"""Prefix of the destinations of the verify options given before any subcommand."""


def _prog() -> str:
    """The name the user typed: ``matrix-calculus``, or ``python -m verification``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m verification" if name in ("", "__main__.py", "-c") else name


def _version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or _prog(),
        description="Verify every matrix-calculus rule (Parr & Howard's, then the extensions)\n"
        "against JAX's automatic differentiation. With no subcommand: verify every rule,\n"
        "then check that hand-derived and jax.grad training runs agree.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    verify_command.add_options(parser, dest_prefix=_BEFORE)
    sub = parser.add_subparsers(title="subcommands", metavar="COMMAND", dest="command")
    verify = sub.add_parser("verify", help="verify all rules (or --rule NAME) and print a report",
                            description="Verify the rules against JAX and print a report.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify_command.add_options(verify)
    verify.set_defaults(func=verify_command.run_verify, command_parser=verify)
    rules_command.register(sub)
    train_command.register(sub)
    harness_command.register(sub)
    return parser


def _merge_options_before_subcommand(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Options given before the subcommand count as if given after it, for ``verify`` and the
    bare command; any other subcommand rejects them rather than ignore them."""
    before = {name: getattr(args, _BEFORE + name) for name in verify_command.OPTIONS}
    given = {name: value for name, value in before.items() if value is not None}
    if args.command not in (None, "verify"):
        if given:
            flags = ", ".join(f"--{name}" for name in given)
            parser.error(f"{flags} before the subcommand applies to verify and to the bare command, not to {args.command}")
        return
    for name, value in given.items():
        after = getattr(args, name, None)
        if name == "rule":
            args.rule = value + (after or [])
        elif after is not None and after != value:
            parser.error(f"--{name} given twice, as {value} and as {after}")
        else:
            setattr(args, name, value)
    verify_command.with_defaults(args)


def _unknown_rules(names: list[str]) -> str | None:
    """The error for rule names not in the table, with the close names, or None."""
    unknown = [name for name in names if name not in RULES_BY_NAME]
    if not unknown:
        return None
    parts = []
    for name in unknown:
        close = [known for known in RULES_BY_NAME if known.startswith(name)]
        close += [m for m in difflib.get_close_matches(name, RULES_BY_NAME, n=4) if m not in close]
        parts.append(f"unknown rule {name!r}" + (f"; did you mean {', '.join(close[:4])}?" if close else ""))
    return "; ".join(parts) + f" (`{_prog()} rules` lists them all)"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (see ``EPILOG``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            args.func = verify_command.run_main_job
        _merge_options_before_subcommand(parser, args)
        if args.command in (None, "verify"):
            command_parser = getattr(args, "command_parser", parser)
            if message := _unknown_rules(args.rule or []):
                command_parser.error(message)
            if message := verify_command.check_json_path(args.json):
                command_parser.error(message)
        return args.func(args)
    except SystemExit as stop:  # argparse: --help and --version (0), usage errors (2)
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        return USAGE_ERROR
    except KeyboardInterrupt:
        print_interrupted()
        return INTERRUPTED
