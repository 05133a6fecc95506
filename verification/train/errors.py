"""What training says when it cannot go on, or should not: one message per condition.

Each bad argument raises :class:`ArgumentError`, which carries the name of the argument
(``.argument``) apart from what is wrong with it (``.problem``), so a caller that spells the
argument otherwise (the command line's ``--learning-rate``) names it its own way without
taking the message apart.  :func:`check_learning_rate` is where the library checks a learning
rate it is handed; the command line only reads the number and leaves the checking to it.  A dead neuron at the end of a run is a :class:`DeadNeuronWarning`,
pointing at the caller's line.  A diverged run raises ``reference.training.TrainingDiverged``.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import numpy as np

from reference import checks

DYING_FRACTION = 0.01
"""Below this fraction of active samples the neuron is called dying: the gradient sums over
so few samples that training has all but stopped."""

LIBRARY_REMEDY = (
    "standardize the features (verification.train.data.standardize) or lower the learning rate to stable_learning_rate(X)"
)
"""What a Python caller can do about a dead neuron."""


class ArgumentError(ValueError):
    """A bad value of one argument; ``str(error)`` is ``"argument: problem"``.

    Attributes:
        argument: the name of the argument, as the library spells it.
        problem: what is wrong with it.
    """

    def __init__(self, argument: str, problem: str):
        self.argument, self.problem = argument, problem
        super().__init__(self.naming(argument))

    def naming(self, name: str) -> str:
        """The message with the argument called ``name`` (an option, say)."""
        return f"{name}: {self.problem}"


def check_learning_rate(learning_rate) -> float:
    """``learning_rate`` as a float, checked by ``reference.checks.check_learning_rate`` (a finite real number > 0).

    Raises:
        TypeError: not a real number (named ``learning_rate``).
        ArgumentError: not finite or not > 0, argument ``learning_rate``, problem as the
            reference words it.
    """
    try:
        return checks.check_learning_rate(learning_rate)
    except ValueError as error:  # its message is "learning_rate: problem", as every check's
        raise ArgumentError("learning_rate", str(error).removeprefix("learning_rate: ")) from None


def dead_neuron_message(active_fraction: float, remedy: str = LIBRARY_REMEDY) -> str:
    """Why a neuron with ``active_fraction`` of its samples active cannot train, then ``remedy``."""
    if active_fraction == 0:
        state = "dead: no sample has"
    else:
        state = f"dying: only {active_fraction:.2%} of the samples have"
    return f"the neuron is {state} w·x + b > 0 at the end, so the gradient is (nearly) 0 and more steps cannot help; {remedy}"


class DeadNeuronWarning(UserWarning):
    """Training ended with no active sample (dead) or fewer than ``DYING_FRACTION`` (dying)."""

    def __init__(self, active_fraction: float):
        self.active_fraction = active_fraction
        super().__init__(dead_neuron_message(active_fraction))


PACKAGE = str(Path(__file__).parent)


def caller_stacklevel() -> int:
    """The ``stacklevel`` of ``warnings.warn`` that names the first frame outside this package:
    the user's line, however many of the package's functions lie between.  (Python 3.12's
    ``skip_file_prefixes`` does this; this package supports 3.11.)"""
    here = inspect.currentframe()
    assert here is not None and here.f_back is not None  # CPython has frames
    frame, level = here.f_back, 1  # level 1: the function that calls warnings.warn
    while frame.f_back is not None and frame.f_code.co_filename.startswith(PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_dead(active_fraction: float | np.ndarray | None) -> None:
    """Warn with :class:`DeadNeuronWarning`, at the caller's line, when ``active_fraction`` is below ``DYING_FRACTION``."""
    if active_fraction is not None and float(active_fraction) < DYING_FRACTION:
        warnings.warn(DeadNeuronWarning(float(active_fraction)), stacklevel=caller_stacklevel())
