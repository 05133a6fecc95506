"""Placeholder: the ``train`` and ``bench`` subcommands (issue 3) register here."""


def register(subparsers) -> None:
    """Add the ``train`` and ``bench`` subcommands to the CLI's subparsers."""
