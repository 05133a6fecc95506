"""The oracles compile once per rule and signature (shape, dtype, static arguments), never per example."""

import dataclasses

import numpy as np

from verification import verify_derivative
from verification.oracles import compilation_count
from verification.rules import get_rule
from verification.strategies import BATCH_SIZES, VECTOR_SIZES


def fresh(name):
    """A copy of the rule with its own function object, so it gets its own compilation cache."""
    rule = get_rule(name)
    function = rule.function
    return dataclasses.replace(rule, function=lambda *args: function(*args))


def verify(rule, *, dtype=np.float64, seed=0):
    """The rule on 64 drawn points in one lane, as ``verify_rule`` checks it."""
    return verify_derivative(rule.function, rule.derivative, rule.inputs, points=64, dtype=dtype, seed=seed,
                             **rule.check_arguments())


def test_compiles_once_per_shape_and_dtype_not_per_example():
    rule = fresh("mse_grad_w")
    before = compilation_count()
    for dtype in (np.float64, np.float32):
        for seed in (0, 1):
            result = verify(rule, dtype=dtype, seed=seed)
            assert result.passed and result.points[np.dtype(dtype).name] == 64
    # at most one compilation per (n, N) from the pools, per dtype: 256 examples, <= 8 compiles
    assert 1 <= compilation_count() - before <= len(VECTOR_SIZES) * len(BATCH_SIZES) * 2


def test_static_arguments_compile_once_per_value():
    rule = fresh("scalar_power")
    before = compilation_count()
    assert verify(rule).passed
    assert compilation_count() - before <= 5  # n ∈ {0, 1, 2, 3, 5}, scalar x, one dtype
