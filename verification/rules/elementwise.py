r"""The rows of ``reference.elementwise``: element-wise binary operators (§4.2).

The general rule is checked on an f whose every $f_i$ reads all of $\mathbf{w}$, so the diagonal
condition does not hold; the diagonal rule on one where it does.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import RowFields, Rule, SpecialPoint, per_argument, twins


def scaled_by_sum_times_sin(w, x, *, xp):
    r"""$\mathbf{y} = \mathbf{f}(\mathbf{w}) \otimes \sin(\mathbf{x})$ with $\mathbf{f}(\mathbf{w}) = \mathbf{w}\,\operatorname{sum}(\mathbf{w})$."""
    return w * xp.sum(w) * xp.sin(x)


def sin_times_exp(w, x, *, xp):
    r"""$\mathbf{y} = \sin(\mathbf{w}) \otimes \exp(\mathbf{x})$: $f_i$ reads only $w_i$, $g_i$ only $x_i$."""
    return xp.sin(w) * xp.exp(x)


def vector_and_divisor(dtype):
    """``(w, x)``: two vectors of one length, every |xᵢ| >= 0.1."""
    return strategies.vector_pairs(dtype=dtype, second_nonzero=True)


_BINARY: RowFields = dict(section="§4.2", args=("w", "x"), inputs=domains.vector_pairs)
_DIVISION: RowFields = dict(_BINARY, inputs=vector_and_divisor, note="domain xᵢ ≠ 0 (D6); inputs keep |xᵢ| >= 0.1")

RULES: tuple[Rule, ...] = (
    Rule(name="ew_binary_general_jacobian", formula="∂(f(w)○g(x))/∂w = diag(∂○/∂f)·∂f/∂w   [f = w·sum(w), ○ = ⊗, g = sin]",
         **_BINARY, **twins(scaled_by_sum_times_sin),
         derivative=lambda w, x: reference.binary_general_jacobian(np.sin(x), np.sum(w) * np.eye(w.shape[0], dtype=w.dtype) + w[:, None]),
         references=(reference.binary_general_jacobian,)),
    Rule(name="ew_diagonal_condition", formula="∂(f(w)○g(x))/∂w = diag(∂(fᵢ(wᵢ)○gᵢ(xᵢ))/∂wᵢ)   [sin(w)⊗exp(x)]",
         **_BINARY, **twins(sin_times_exp), derivative=lambda w, x: reference.diagonal_jacobian(np.cos(w) * np.exp(x)),
         references=(reference.diagonal_jacobian,)),
    *per_argument(dict(name="ew_add_dw", formula="∂(w+x)/∂w = I", derivative=reference.add_jacobian_w),
                  dict(name="ew_add_dx", formula="∂(w+x)/∂x = I", derivative=reference.add_jacobian_x),
                  function=jnp.add, primal=np.add, **_BINARY),
    *per_argument(dict(name="ew_sub_dw", formula="∂(w−x)/∂w = I", derivative=reference.sub_jacobian_w),
                  dict(name="ew_sub_dx", formula="∂(w−x)/∂x = −I", derivative=reference.sub_jacobian_x),
                  function=jnp.subtract, primal=np.subtract, **_BINARY),
    *per_argument(dict(name="ew_mul_dw", formula="∂(w⊗x)/∂w = diag(x)", derivative=reference.mul_jacobian_w),
                  dict(name="ew_mul_dx", formula="∂(w⊗x)/∂x = diag(w)", derivative=reference.mul_jacobian_x),
                  function=jnp.multiply, primal=np.multiply, **_BINARY),
    *per_argument(dict(name="ew_div_dw", formula="∂(w⊘x)/∂w = diag(1/xᵢ)", derivative=reference.div_jacobian_w),
                  dict(name="ew_div_dx", formula="∂(w⊘x)/∂x = diag(−wᵢ/xᵢ²)", derivative=reference.div_jacobian_x),
                  function=jnp.divide, primal=np.divide, **_DIVISION),
)

SPECIAL_POINTS: tuple[SpecialPoint, ...] = (
    SpecialPoint("ew_div_dx", (np.array([3.0, -1.0]), np.array([1e-3, -2.0])), "a divisor near 0 (the gradient is large)"),
)
