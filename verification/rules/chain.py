r"""The rows of ``reference.chain``: the single-variable, total-derivative and vector chain rules
(§4.5), and the element-wise unary case they reduce to.

Each rule holds for any f and g; the instances here are written once over an array module
``xp`` (``numpy`` or ``jax.numpy``).
"""

from __future__ import annotations

from functools import partial

import jax.numpy as jnp
import numpy as np

import reference
from verification.rules import domains
from verification.rules.jacobian import three_outputs, three_outputs_jacobian
from verification.rules.rule import Rule, twins


def exp_of_sin(x, *, xp):
    r"""$y = e^{\sin x}$: u = sin x, y = e^u."""
    return xp.exp(xp.sin(x))


def direct_and_indirect(x, *, xp):
    r"""The total-derivative instance: $f(x, u_1, u_2) = x u_1 + \sin u_2$ with $u_1 = x^2$, $u_2 = x u_1$.

    x reaches f directly and through both u's; $y = x^3 + \sin x^3$.
    """
    u1 = x**2
    u2 = x * u1
    return x * u1 + xp.sin(u2)


def direct_and_indirect_partials(x):
    r"""For :func:`direct_and_indirect`: $\partial f/\partial x = u_1$, $\partial f/\partial\mathbf{u} = [x, \cos u_2]$
    and $\partial\mathbf{u}/\partial x = [2x, 3x^2]$."""
    return x**2, np.stack([x, np.cos(x**3)]), np.stack([2 * x, 3 * x**2])


def direct_and_indirect_aliased(x):
    r"""The derivative of :func:`direct_and_indirect` by the §8.5 form: the direct path as $u_3 = x$."""
    df_dx, df_du, du_dx = direct_and_indirect_partials(x)
    return reference.total_derivative_aliased(np.append(df_du, df_dx), np.append(du_dx, 1 + 0 * x))


def log_square_and_sine(x, *, xp):
    r"""The paper's §4.5 vector example: $\mathbf{y} = [\ln(x^2), \sin(3x)]$ for a scalar x, with $\mathbf{g} = [x^2, 3x]$."""
    return xp.stack([xp.log(x**2), xp.sin(3 * x)])


def outer_of_three(g, *, xp):
    r"""$\mathbf{f}: \mathbb{R}^3 \to \mathbb{R}^2$, $\mathbf{f}(\mathbf{g}) = [g_1 g_2,\ \sin g_3 + g_1]$."""
    return xp.stack([g[0] * g[1], xp.sin(g[2]) + g[0]])


def outer_of_three_jacobian(g):
    r"""The Jacobian of :func:`outer_of_three` by hand: $[[g_2, g_1, 0], [1, 0, \cos g_3]]$."""
    return np.array([[g[1], g[0], 0], [1, 0, np.cos(g[2])]], dtype=g.dtype)


def composed(x, *, xp):
    r"""$\mathbf{f}(\mathbf{g}(\mathbf{x}))$ with f from :func:`outer_of_three` and g from
    :func:`verification.rules.jacobian.three_outputs`."""
    return outer_of_three(three_outputs(x, xp=xp), xp=xp)


def sin_of_square(x, *, xp):
    r"""$f_i(g_i) = \sin g_i$ with $g_i = x_i^2$, element-wise."""
    return xp.sin(x**2)


RULES: tuple[Rule, ...] = (
    Rule(name="chain_single_variable", formula="dy/dx = dy/du·du/dx   [y = e^u, u = sin x]", section="§4.5/SV", args=("x",),
         **twins(exp_of_sin), derivative=lambda x: reference.single_variable_chain(np.exp(np.sin(x)), np.cos(x)),
         inputs=domains.scalar, references=(reference.single_variable_chain,)),
    Rule(name="chain_total_derivative", formula="∂f(x,u₁…uₙ)/∂x = ∂f/∂x + Σ ∂f/∂uᵢ·∂uᵢ/∂x   [f = x·u₁ + sin u₂, u₁ = x², u₂ = x·u₁]",
         section="§4.5/TD", args=("x",), **twins(direct_and_indirect),
         derivative=lambda x: reference.total_derivative(*direct_and_indirect_partials(x)),
         inputs=partial(domains.scalar, max_magnitude=2.0), references=(reference.total_derivative,),
         note="x in [-2, 2]: keeps sin(x³) well conditioned"),
    Rule(name="chain_total_derivative_aliased", formula="∂f(u₁…uₙ₊₁)/∂x = (∂f/∂u)(∂u/∂x) with uₙ₊₁ = x   [as above]",
         section="§4.5/TD, §8.5", args=("x",), **twins(direct_and_indirect), derivative=direct_and_indirect_aliased,
         inputs=partial(domains.scalar, max_magnitude=2.0), references=(reference.total_derivative_aliased,),
         note="the alias uₙ₊₁ = x carries the direct path"),
    Rule(name="chain_vector_scalar_x", formula="∂f(g(x))/∂x = (∂f/∂g)(∂g/∂x)   [f = (ln g₁, sin g₂), g = (x², 3x)]",
         section="§4.5/V", args=("x",), **twins(log_square_and_sine),
         derivative=lambda x: reference.vector_chain(np.diag(np.stack([1 / x**2, np.cos(3 * x)])), np.stack([2 * x, 3 + 0 * x])),
         inputs=partial(domains.scalar, min_magnitude=0.1, allow_zero=False), references=(reference.vector_chain,),
         note="domain x ≠ 0 (ln x²); inputs keep |x| >= 0.1"),
    Rule(name="chain_vector", formula="∂f(g(x))/∂x = (∂f/∂g)(∂g/∂x), (m×k)(k×n)   [f: R³→R², g: Rⁿ→R³]",
         section="§4.5/V", args=("x",), **twins(composed),
         derivative=lambda x: reference.vector_chain(outer_of_three_jacobian(three_outputs(x, xp=np)), three_outputs_jacobian(x)),
         inputs=domains.vector, references=(reference.vector_chain, reference.jacobian_from_gradients)),
    Rule(name="chain_vector_diagonal", formula="∂f(g(x))/∂x = diag(∂fᵢ/∂gᵢ·∂gᵢ/∂xᵢ)   [fᵢ = sin gᵢ, gᵢ = xᵢ²]",
         section="§4.5/V", args=("x",), **twins(sin_of_square),
         derivative=lambda x: reference.vector_chain_diagonal(np.cos(x**2), 2 * x),
         inputs=partial(domains.vector, max_magnitude=2.0), references=(reference.vector_chain_diagonal,),
         note="x in [-2, 2]: keeps sin(x²) well conditioned"),
    Rule(name="ew_unary_diag", formula="∂f(x)/∂x = diag(f′(xᵢ))   [f = tanh]", section="§4.5/V, §5", args=("x",),
         function=jnp.tanh, primal=np.tanh, derivative=lambda x: reference.unary_jacobian(1 - np.tanh(x) ** 2),
         inputs=domains.vector, references=(reference.unary_jacobian,)),
)
