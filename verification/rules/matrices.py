"""The rows of ``reference.matrices``: the log-determinant, the inverse and the trace of a product."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import Rule, twins

INVERTIBLE = "A invertible: inputs have condition number <= 100"


def log_abs_det(A, *, xp):
    r"""$\log|\det A|$."""
    return xp.linalg.slogdet(A)[1]


def trace_of_product(A, B, *, xp):
    r"""$\operatorname{tr}(AB)$."""
    return xp.trace(A @ B)


def invertible(dtype):
    """``(A,)``: a square matrix of condition number <= 100."""
    return strategies.well_conditioned_matrices(dtype=dtype).map(lambda A: (A,))


def product_pair(dtype):
    """``(A, B)``: A is m×n and B is n×m, so AB is square."""
    return domains.matrix_shape().flatmap(
        lambda mn: st.tuples(strategies.matrices(dtype=dtype, shape=mn), strategies.matrices(dtype=dtype, shape=mn[::-1])))


RULES: tuple[Rule, ...] = (
    Rule(name="ext_logdet_grad", formula="∂log|det A|/∂A = A⁻ᵀ", section="Matrix Cookbook (57)", source="extension",
         args=("A",), **twins(log_abs_det), derivative=reference.logdet_grad, inputs=invertible, note=INVERTIBLE),
    Rule(name="ext_inverse_jacobian", formula="∂(A⁻¹)ᵢⱼ/∂Aₖₗ = −(A⁻¹)ᵢₖ(A⁻¹)ₗⱼ", section="Matrix Cookbook (59)",
         source="extension", args=("A",), function=jnp.linalg.inv, primal=np.linalg.inv, derivative=reference.inverse_jacobian,
         inputs=invertible, note=INVERTIBLE),
    Rule(name="ext_trace_product_grad", formula="∂tr(AB)/∂A = Bᵀ", section="Matrix Cookbook (100)", source="extension",
         args=("A", "B"), **twins(trace_of_product), derivative=reference.trace_product_grad, inputs=product_pair),
)
