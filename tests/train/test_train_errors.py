"""What training says (``verification.train.errors``): an argument named apart from its problem,
and a dead-neuron warning that names a function that exists and points at the caller's line."""

from __future__ import annotations

import importlib
import re
import warnings

import numpy as np
import pytest

import verification.train
from verification.train import ArgumentError, DeadNeuronWarning, Session, Trainer
from verification.train.data import planted_teacher
from verification.train.errors import LIBRARY_REMEDY, check_learning_rate, dead_neuron_message


def test_an_argument_error_names_its_argument_apart():
    error = ArgumentError("learning_rate", "must be a finite number > 0, got 0")
    assert isinstance(error, ValueError)
    assert str(error) == "learning_rate: must be a finite number > 0, got 0"
    assert error.naming("--learning-rate") == "--learning-rate: must be a finite number > 0, got 0"


BAD_RATES = [(0.0, "got 0.0"), (-0.5, "got -0.5"), (float("inf"), "got inf"), (float("nan"), "got nan")]


@pytest.mark.parametrize("rate, got", BAD_RATES, ids=lambda v: str(v))
def test_a_bad_learning_rate_is_an_argument_error_at_every_entry(rate, got):
    """One check: the same error, naming ``learning_rate`` apart, from the check itself, from
    ``train``, a ``Session`` (before it places the data) and a ``Trainer``'s ``run`` and ``check``."""
    problem = f"must be a finite number > 0, {got}"
    trainer = Trainer.from_data(TEACHER.X, TEACHER.y)
    w0, b0 = np.ones(3), 0.1
    entries = {
        "check": lambda: check_learning_rate(rate),
        "train": lambda: verification.train.train(TEACHER.X, TEACHER.y, steps=2, learning_rate=rate),
        "Session": lambda: Session(TEACHER.X[:, :0], TEACHER.y, learning_rate=rate),  # refused next: X has no feature
        "Trainer.run": lambda: trainer.run(w0, b0, 2, learning_rate=rate),
        "Trainer.check": lambda: trainer.check(w0, b0, 2, learning_rate=rate),
    }
    for entry, call in entries.items():
        with pytest.raises(ArgumentError) as caught:
            call()
        assert (caught.value.argument, caught.value.problem) == ("learning_rate", problem), entry


@pytest.mark.parametrize("rate", ["0.1", True, None])
def test_a_learning_rate_that_is_not_a_number_is_a_type_error(rate):
    with pytest.raises(TypeError, match="^learning_rate: expected a real number"):
        check_learning_rate(rate)
    assert check_learning_rate(np.float32(0.25)) == 0.25


def test_the_dead_neuron_message_says_dead_or_dying():
    assert dead_neuron_message(0.0).startswith("the neuron is dead: no sample has w·x + b > 0 at the end")
    assert dead_neuron_message(0.005, "lower it").startswith("the neuron is dying: only 0.50% of the samples have w·x + b > 0")
    assert dead_neuron_message(0.005, "lower it").endswith("; lower it")


def test_the_remedy_names_functions_that_exist():
    """Every dotted name in the library's remedy resolves, and the one that standardizes does."""
    named = re.findall(r"\b(verification(?:\.\w+)+)", LIBRARY_REMEDY)
    assert named, LIBRARY_REMEDY
    for dotted in named:
        module, _, name = dotted.rpartition(".")
        function = getattr(importlib.import_module(module), name)
        X = np.array([[1.0, 200.0], [3.0, 400.0], [5.0, 900.0]])
        assert np.allclose(function(X).X.std(axis=0), 1.0)
    assert "stable_learning_rate(X)" in LIBRARY_REMEDY and callable(verification.train.stable_learning_rate)


DEAD = dict(w0=np.array([1.0, 0.0, 0.0]), b0=-100.0)  # every z_i < 0: dead from the start
TEACHER = planted_teacher(20, 3, seed=0)


def one_program():
    return verification.train.train(TEACHER.X, TEACHER.y, steps=2, learning_rate=0.1, **DEAD)


def in_chunks():
    return verification.train.train(TEACHER.X, TEACHER.y, steps=2, learning_rate=0.1, callback=lambda progress: None, **DEAD)


def a_session():
    session = Session(TEACHER.X, TEACHER.y, learning_rate=0.1, **DEAD)
    return session.run(2)


@pytest.mark.parametrize("caller", [one_program, in_chunks, a_session], ids=lambda f: f.__name__)
def test_the_warning_points_at_the_callers_line(caller):
    """Not at a line inside the package, however many of its functions lie between."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeadNeuronWarning)
        caller()
    assert [w.category for w in caught] == [DeadNeuronWarning]
    last_line = caller.__code__.co_firstlineno + (2 if caller is a_session else 1)
    assert (caught[0].filename, caught[0].lineno) == (__file__, last_line)


def test_a_live_neuron_does_not_warn():
    teacher = planted_teacher(20, 3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeadNeuronWarning)
        assert verification.train.train(teacher.X, teacher.y, steps=2, learning_rate=0.1).active_fraction > 0.5


def test_a_dying_neuron_warns_with_its_fraction():
    """One sample of 200 active (0.5 % < 1 %): dying, not dead."""
    X = np.zeros((200, 1))
    X[0, 0] = 1.0
    with pytest.warns(DeadNeuronWarning, match=r"dying: only 0\.50% of the samples have") as caught:
        verification.train.train(X, np.zeros(200), steps=1, learning_rate=1e-9, w0=[1.0], b0=-0.5)
    assert caught[0].message.active_fraction == pytest.approx(0.005)
