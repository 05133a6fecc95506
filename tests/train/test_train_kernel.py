"""The compiled loop (``verification.train.kernel``): one result type per mode, and one program
per shape, dtype and number of steps."""

from __future__ import annotations

import numpy as np
import pytest

from reference.training import augmented_gram
from verification.train import ArgumentError, compile_count, train
from verification.train.data import planted_teacher
from verification.train.kernel import GRADIENTS, RESULTS, Mode, block_terms, gradient_mode

F64 = np.float64


@pytest.mark.parametrize("features_first", [False, True], ids=["rows", "features"])
@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.name)
def test_each_mode_gives_its_result_type(mode, features_first):
    teacher = planted_teacher(6, 3, seed=1, noise=0.2, dtype=np.float32)
    X = teacher.X.T if features_first else teacher.X
    terms = block_terms(np.ones(3, np.float32), np.float32(0.5), X, teacher.y, None, n=6, mode=mode, features_first=features_first)
    assert type(terms) is RESULTS[mode]


@pytest.mark.parametrize("features_first", [False, True], ids=["rows", "features"])
def test_the_gram_mode_sums_the_augmented_gram_of_the_unmasked_rows(features_first):
    """Rows with mask 0 (padding) count for nothing; the pieces are X̂ᵀX̂ of the others, up to
    the float32 rounding of 6-term sums: (6 + 2)·eps times the largest sum of magnitudes."""
    teacher = planted_teacher(6, 3, seed=2, dtype=np.float32)
    mask = np.array([1, 1, 0, 1, 0, 1], dtype=np.float32)
    X = teacher.X.T if features_first else teacher.X
    gram = block_terms(np.ones(3, np.float32), np.float32(0), X, teacher.y, mask, n=6, mode=Mode.GRAM, features_first=features_first)
    expected = augmented_gram(teacher.X[mask == 1].astype(F64))
    tolerance = 8 * np.finfo(np.float32).eps * augmented_gram(np.abs(teacher.X).astype(F64)).max()
    np.testing.assert_allclose(gram.products, expected[:-1, :-1], rtol=0, atol=tolerance)
    np.testing.assert_allclose(gram.sums, expected[:-1, -1], rtol=0, atol=tolerance)
    assert gram.count == 4


def test_a_gradient_is_named_by_its_mode_or_its_name():
    assert gradient_mode("autodiff") is Mode.AUTODIFF and gradient_mode(Mode.HAND) is Mode.HAND
    assert GRADIENTS == (Mode.HAND, Mode.AUTODIFF)
    with pytest.raises(ArgumentError, match=r"^gradient: expected one of \('hand', 'autodiff'\), got 'both'"):
        gradient_mode("both")
    assert gradient_mode("both", (Mode.HAND, Mode.BOTH)) is Mode.BOTH


def test_compiled_once_per_shape_and_dtype():
    teacher = planted_teacher(24, 2, seed=0)
    other = planted_teacher(24, 2, seed=9, noise=0.5)
    first = train(teacher.X, teacher.y, steps=6, learning_rate=0.1)
    before = compile_count()
    # new data, learning rate, start point and seed, same shapes: the same program
    train(other.X, other.y, steps=6, learning_rate=0.03, w0=np.ones(2), b0=0.5)
    train(other.X, other.y, steps=6, learning_rate=0.2, seed=4)
    assert compile_count() == before
    # float64 is another program, compiled once too; so is another number of steps
    train(teacher.X, teacher.y, steps=6, learning_rate=0.1, dtype=F64)
    train(other.X, other.y, steps=6, learning_rate=0.2, dtype=F64)
    assert compile_count() == before + 1
    train(other.X, other.y, steps=7, learning_rate=0.2, dtype=F64)
    assert compile_count() == before + 2
    assert first.losses.shape == (6,)
