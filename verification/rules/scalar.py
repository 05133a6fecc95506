"""The rows of ``reference.scalar``: the paper's scalar rules (§2), partial derivatives and the
gradient (§3).  Rules about any f and g are checked with f = sin and g = x²."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import Rule, twins


def constant_plus(x, c):
    r"""$0\cdot x + c$: a constant that still has x as an argument."""
    return 0 * x + c


def power(x, n):
    """$x^n$ for an integer n >= 0."""
    return x**n


def three_x_squared_y(x, y):
    """The paper's §3 example $3x^2y$."""
    return 3 * x**2 * y


def three_x_squared_y_at(p):
    r"""$3x^2y$ at $\mathbf{p} = [x, y]$."""
    return three_x_squared_y(p[0], p[1])


def two_scalars(dtype):
    """``(x, y)``: two scalars."""
    return st.tuples(strategies.scalars(dtype=dtype), strategies.scalars(dtype=dtype))


def scalar_and_power(dtype):
    """``(x, n)``: a scalar and an integer power from a few (each compiles once)."""
    return st.tuples(strategies.scalars(dtype=dtype), st.sampled_from((0, 1, 2, 3, 5)))


RULES: tuple[Rule, ...] = (
    Rule(name="scalar_constant", formula="d/dx c = 0", section="§2", args=("x", "c"),
         function=constant_plus, primal=constant_plus, derivative=lambda x, c: reference.constant_rule(x),
         inputs=two_scalars, references=(reference.constant_rule,)),
    Rule(name="scalar_const_multiple", formula="d/dx (c·f) = c·df/dx   [f = sin]", section="§2", args=("x", "c"),
         **twins(lambda x, c, *, xp: c * xp.sin(x)), derivative=lambda x, c: reference.const_multiple_rule(c, np.cos(x)),
         inputs=two_scalars, references=(reference.const_multiple_rule,)),
    Rule(name="scalar_power", formula="d/dx xⁿ = n·xⁿ⁻¹", section="§2", args=("x", "n"),
         function=power, primal=power, derivative=reference.power_rule, static=(1,), inputs=scalar_and_power,
         note="n is an integer >= 0"),
    Rule(name="scalar_sum", formula="d/dx (f + g) = df/dx + dg/dx   [f = sin, g = x²]", section="§2", args=("x",),
         **twins(lambda x, *, xp: xp.sin(x) + x**2), derivative=lambda x: reference.sum_rule(np.cos(x), 2 * x),
         inputs=domains.scalar, references=(reference.sum_rule,)),
    Rule(name="scalar_difference", formula="d/dx (f − g) = df/dx − dg/dx   [f = sin, g = x²]", section="§2", args=("x",),
         **twins(lambda x, *, xp: xp.sin(x) - x**2), derivative=lambda x: reference.difference_rule(np.cos(x), 2 * x),
         inputs=domains.scalar, references=(reference.difference_rule,)),
    Rule(name="scalar_product", formula="d/dx (f·g) = f·dg/dx + df/dx·g   [f = sin, g = x²]", section="§2", args=("x",),
         **twins(lambda x, *, xp: xp.sin(x) * x**2),
         derivative=lambda x: reference.product_rule(np.sin(x), np.cos(x), x**2, 2 * x),
         inputs=domains.scalar, references=(reference.product_rule,)),
    Rule(name="scalar_chain", formula="d/dx f(g(x)) = df/du·du/dx   [sin(x²)]", section="§2", args=("x",),
         **twins(lambda x, *, xp: xp.sin(x**2)), derivative=lambda x: reference.single_variable_chain(np.cos(x**2), 2 * x),
         inputs=domains.scalar, references=(reference.single_variable_chain,)),
    Rule(name="partial_derivative", formula="∂(3x²y)/∂x = 6yx, ∂(3x²y)/∂y = 3x²", section="§3", args=("x", "y"),
         function=three_x_squared_y, primal=three_x_squared_y,
         derivative=lambda x, y: (reference.const_multiple_rule(3 * y, reference.power_rule(x, 2)),
                                  reference.const_multiple_rule(3 * x**2, 1.0)),
         wrt=(0, 1), inputs=two_scalars, references=(reference.const_multiple_rule, reference.power_rule),
         note="the other variable is held constant, so each partial is a constant-multiple rule"),
    Rule(name="gradient_row", formula="∇f = [∂f/∂x₁ … ∂f/∂xₙ]   [f = 3x²y]", section="§3", args=("p",),
         function=three_x_squared_y_at, primal=three_x_squared_y_at,
         derivative=lambda p: reference.gradient([lambda p: 6 * p[1] * p[0], lambda p: 3 * p[0] ** 2], p),
         inputs=lambda dtype: domains.vector(dtype, n=2), references=(reference.gradient,)),
)
