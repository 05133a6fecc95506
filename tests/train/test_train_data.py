"""Data to train on (``verification.train.data``): the planted teacher, a file's arrays checked
with the bad one named, and standardized features mapped back to the original units.  The
file formats themselves are exercised through the command line (tests/cli/test_cli_train.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from verification.train import ArgumentError
from verification.train.data import TEACHER_BIAS, check_arrays, planted_teacher, standardize


def test_the_planted_teacher_labels_its_samples():
    teacher = planted_teacher(50, 4, seed=3, dtype=np.float32)
    assert teacher.X.shape == (50, 4) and teacher.X.dtype == np.float32 and teacher.b == TEACHER_BIAS
    np.testing.assert_array_equal(teacher.y, np.maximum(teacher.X @ teacher.w + teacher.b, 0))
    with pytest.raises(ArgumentError, match=r"^samples: expected a positive integer, got 0"):
        planted_teacher(0, 4)


@pytest.mark.parametrize(
    "X, y, argument, problem",
    [
        (np.ones(4), np.ones(4), "X", r"^expected a 2-D matrix"),
        (np.ones((4, 2)), np.full(4, np.nan), "y", r"^contains NaN or inf at index \(0,\)"),
        (np.array([["a", "b"]] * 4), np.ones(4), "X", r"^expected a real numeric array"),
        (np.ones((0, 2)), np.ones(0), "X", r"^needs at least one sample"),
    ],
    ids=["X 1-D", "NaN in y", "text", "no rows"],
)
def test_a_files_bad_array_is_named(X, y, argument, problem):
    with pytest.raises(ArgumentError) as caught:
        check_arrays(X, y)
    assert caught.value.argument == argument
    assert re.search(problem, caught.value.problem), caught.value.problem


def test_standardized_weights_map_back_to_the_original_units():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 3)) * np.array([1.0, 300.0, 2e4]) + np.array([5.0, 0.0, 3e5])
    X[:, 0] = 7.0  # a constant column is only centred
    scaled = standardize(X)
    assert np.allclose(scaled.X.mean(axis=0), 0) and np.allclose(scaled.X[:, 1:].std(axis=0), 1)
    w, b = np.array([0.3, -1.2, 0.8]), 0.25
    w_original, b_original = scaled.original(w, b)
    np.testing.assert_allclose(X @ w_original + b_original, scaled.X @ w + b, rtol=1e-9, atol=1e-9)
