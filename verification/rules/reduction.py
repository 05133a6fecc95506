"""The rows of ``reference.reduction``: sums and the dot product (§4.4)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import reference
from verification.rules import domains
from verification.rules.jacobian import three_outputs, three_outputs_jacobian
from verification.rules.rule import Rule, per_argument, twins


def sum_of_three_outputs(x, *, xp):
    r"""$\operatorname{sum}(\mathbf{f}(\mathbf{x}))$ with f from :func:`verification.rules.jacobian.three_outputs`."""
    return xp.sum(three_outputs(x, xp=xp))


def sum_of_scaled(x, z, *, xp):
    r"""$\operatorname{sum}(\mathbf{x}z)$."""
    return xp.sum(x * z)


RULES: tuple[Rule, ...] = (
    Rule(name="sum_general", formula="∂sum(f(x))/∂x = 1⃗ᵀ·∂f/∂x   [f = (x·x, Σsin xᵢ, x₁xₙ)]", section="§4.4", args=("x",),
         **twins(sum_of_three_outputs), derivative=lambda x: reference.sum_grad(three_outputs_jacobian(x)),
         inputs=domains.vector, references=(reference.sum_grad, reference.jacobian_from_gradients)),
    Rule(name="sum_dx", formula="∂sum(x)/∂x = 1⃗ᵀ", section="§4.4", args=("x",), function=jnp.sum, primal=np.sum,
         derivative=reference.sum_grad_x, inputs=domains.vector),
    *per_argument(dict(name="sum_xz_dx", formula="∂sum(x·z)/∂x = z·1⃗ᵀ", derivative=reference.sum_scaled_grad_x),
                  dict(name="sum_xz_dz", formula="∂sum(x·z)/∂z = sum(x)", derivative=reference.sum_scaled_grad_z),
                  section="§4.4", args=("x", "z"), **twins(sum_of_scaled), inputs=domains.vector_and_scalar),
    *per_argument(dict(name="dot_dw", formula="∂(w·x)/∂w = 1⃗ᵀdiag(x) = xᵀ", section="§4.4, §5", derivative=reference.dot_grad_w),
                  dict(name="dot_dx", formula="∂(w·x)/∂x = 1⃗ᵀdiag(w) = wᵀ", section="§4.4", derivative=reference.dot_grad_x),
                  args=("w", "x"), function=jnp.dot, primal=reference.dot, inputs=domains.vector_pairs),
)
