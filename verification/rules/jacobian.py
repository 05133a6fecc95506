r"""The rows of ``reference.jacobian`` (§4.1, the §4 example), and the instance
$\mathbf{f}: \mathbb{R}^n \to \mathbb{R}^3$ the reduction and chain rows reuse.

A rule such as "the Jacobian stacks the gradients" holds for any f; to check it we pick one.
Each instance is written once over an array module ``xp`` (``numpy`` or ``jax.numpy``), so the
NumPy primal and the function JAX differentiates are the same code.
"""

from __future__ import annotations

import numpy as np

import reference
from verification.rules import domains
from verification.rules.rule import Rule, twins


def three_outputs(x, *, xp):
    r"""$\mathbf{f}: \mathbb{R}^n \to \mathbb{R}^3$, $\mathbf{f}(\mathbf{x}) = [\mathbf{x}\cdot\mathbf{x},\ \sum_i \sin x_i,\ x_1 x_n]$."""
    return xp.stack([x @ x, xp.sum(xp.sin(x)), x[0] * x[-1]])


def three_outputs_jacobian(x):
    r"""The Jacobian of :func:`three_outputs` by hand, row by row: $[2\mathbf{x}^T;\ \cos\mathbf{x}^T;\ x_n\mathbf{e}_1^T + x_1\mathbf{e}_n^T]$."""
    first_last = np.zeros_like(x)
    first_last[0] += x[-1]
    first_last[-1] += x[0]
    return reference.jacobian_from_gradients([lambda x: 2 * x, np.cos, lambda x: first_last], x)


def paper_example_2x2(p, *, xp):
    r"""The paper's §4 example: $[f(x, y), g(x, y)] = [3x^2y,\ 2x + y^8]$ with $\mathbf{p} = [x, y]$."""
    x, y = p[0], p[1]
    return xp.stack([3 * x**2 * y, 2 * x + y**8])


def identity(x):
    r"""$\mathbf{x} \mapsto \mathbf{x}$."""
    return x


RULES: tuple[Rule, ...] = (
    Rule(name="jacobian_numerator_layout", formula="∂y/∂x = [∇f₁; …; ∇fₘ], J[i,j] = ∂fᵢ/∂xⱼ   [f = (x·x, Σsin xᵢ, x₁xₙ)]",
         section="§4.1", args=("x",), **twins(three_outputs), derivative=three_outputs_jacobian, inputs=domains.vector,
         references=(reference.jacobian_from_gradients,)),
    Rule(name="jacobian_example_2x2", formula="∂(3x²y, 2x+y⁸)/∂(x,y) = [[6yx, 3x²], [2, 8y⁷]]", section="§4", args=("p",),
         **twins(paper_example_2x2),
         derivative=lambda p: reference.jacobian_from_gradients(
             [lambda p: np.stack([6 * p[1] * p[0], 3 * p[0] ** 2]), lambda p: np.stack([2 + 0 * p[0], 8 * p[1] ** 7])], p),
         inputs=lambda dtype: domains.vector(dtype, n=2), references=(reference.jacobian_from_gradients,)),
    Rule(name="jacobian_identity", formula="∂x/∂x = I", section="§4.1", args=("x",), function=identity, primal=identity,
         derivative=reference.identity_jacobian, inputs=domains.vector),
)
