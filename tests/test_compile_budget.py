"""The oracles compile once per rule and signature (shape, dtype, static arguments), never per example."""

import dataclasses

import numpy as np

from verification.oracles import compilation_count
from verification.rules import get_rule
from verification.strategies import BATCH_SIZES, VECTOR_SIZES
from verification.verify import verify_rule


def _fresh(name):
    """A copy of the rule with its own function object, so it gets its own compilation cache."""
    rule = get_rule(name)
    function = rule.function
    return dataclasses.replace(rule, function=lambda *args: function(*args))


def test_compiles_once_per_shape_and_dtype_not_per_example():
    rule = _fresh("mse_grad_w")
    before = compilation_count()
    for dtype in (np.float64, np.float32):
        for seed in (0, 1):
            result = verify_rule(rule, dtype=dtype, points=64, seed=seed)
            assert result.passed and result.examples == 64
    # at most one compilation per (n, N) from the pools, per dtype: 256 examples, <= 8 compiles
    assert 1 <= compilation_count() - before <= len(VECTOR_SIZES) * len(BATCH_SIZES) * 2


def test_static_arguments_compile_once_per_value():
    rule = _fresh("scalar_power")
    before = compilation_count()
    assert verify_rule(rule, examples=64).passed
    assert compilation_count() - before <= 5  # n ∈ {0, 1, 2, 3, 5}, scalar x, one dtype
