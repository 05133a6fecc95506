r"""The rows of ``reference.norms``: quadratic forms (gradient, Hessian, Hessian-vector product),
the squared and plain 2-norms, the squared Frobenius norm and least squares."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import RowFields, Rule, twins


def quadratic_form(x, A):
    r"""$\mathbf{x}^TA\mathbf{x}$; NumPy or JAX arrays."""
    return x @ A @ x


def squared_norm(x):
    r"""$\|\mathbf{x}\|_2^2 = \mathbf{x}\cdot\mathbf{x}$; NumPy or JAX arrays."""
    return x @ x


def squared_frobenius_norm(W, *, xp):
    r"""$\|W\|_F^2 = \sum_{ij} W_{ij}^2$."""
    return xp.sum(W**2)


def least_squares(w, X, y, *, xp):
    r"""$\|X\mathbf{w} - \mathbf{y}\|_2^2$."""
    return xp.sum((X @ w - y) ** 2)


def vector_and_square(dtype):
    """``(x, A)``: x has n entries, A is n×n."""
    return strategies.sizes().flatmap(
        lambda n: st.tuples(strategies.vectors(dtype=dtype, n=n), strategies.matrices(dtype=dtype, shape=(n, n))))


def long_vector_and_square(dtype):
    """``(x, A)`` with n = :data:`~verification.rules.domains.LARGE`."""
    return domains.seeded(dtype, [(domains.LARGE,), (domains.LARGE, domains.LARGE)], strategies.MAGNITUDE)


def nonzero_vector(dtype):
    """``(x,)``: every |xᵢ| >= 0.1."""
    return strategies.nonzero(dtype=dtype, shape=[(k,) for k in strategies.VECTOR_SIZES]).map(lambda x: (x,))


def matrix(dtype):
    """``(W,)``: one matrix."""
    return domains.matrix_shape().flatmap(lambda mn: strategies.matrices(dtype=dtype, shape=mn)).map(lambda W: (W,))


def least_squares_inputs(dtype):
    """``(w, X, y)``: X is N×n, w has n entries, y has N."""
    return domains.matrix_shape().flatmap(
        lambda Nn: st.tuples(strategies.vectors(dtype=dtype, n=Nn[1]), strategies.matrices(dtype=dtype, shape=Nn),
                             strategies.vectors(dtype=dtype, n=Nn[0])))


_QUADRATIC_FORM: RowFields = dict(source="extension", section="Matrix Cookbook (81)", args=("x", "A"), function=quadratic_form,
                       primal=quadratic_form, inputs=vector_and_square)

RULES: tuple[Rule, ...] = (
    Rule(name="ext_quadratic_form", formula="∂(xᵀAx)/∂x = xᵀ(A + Aᵀ)", derivative=reference.quadratic_form_grad, **_QUADRATIC_FORM),
    Rule(name="ext_quadratic_form_hessian", formula="∂²(xᵀAx)/∂x² = A + Aᵀ", derivative=lambda x, A: reference.quadratic_form_hessian(A),
         form="hessian", references=(reference.quadratic_form_hessian,), **_QUADRATIC_FORM),
    Rule(name="ext_quadratic_form_hvp", formula="∇²(xᵀAx)·v = Av + Aᵀv", derivative=lambda x, A, v: reference.quadratic_form_hvp(A, v),
         form="hvp", references=(reference.quadratic_form_hvp,),
         **dict(_QUADRATIC_FORM, inputs=long_vector_and_square, note=f"n = {domains.LARGE}, no Hessian formed")),
    Rule(name="ext_sq_norm", formula="∂‖x‖₂²/∂x = 2xᵀ", section="Matrix Cookbook (131)", args=("x",), function=squared_norm,
         primal=squared_norm, derivative=reference.sq_norm_grad, inputs=domains.vector, source="extension"),
    Rule(name="ext_l2_norm", formula="∂‖x‖₂/∂x = xᵀ/‖x‖₂", section="Matrix Cookbook (129)", args=("x",),
         function=jnp.linalg.norm, primal=np.linalg.norm, derivative=reference.l2_norm_grad, inputs=nonzero_vector,
         note="undefined at x = 0 (D6): inputs keep every |xᵢ| >= 0.1", source="extension"),
    Rule(name="ext_frobenius_sq", formula="∂‖W‖_F²/∂W = 2W", section="Matrix Cookbook (132)", args=("W",),
         **twins(squared_frobenius_norm), derivative=reference.frobenius_sq_grad, inputs=matrix, source="extension"),
    Rule(name="ext_least_squares", formula="∂‖Xw − y‖²/∂w = 2(Xw − y)ᵀX", section="Matrix Cookbook (84)", args=("w", "X", "y"),
         **twins(least_squares), derivative=reference.least_squares_grad, inputs=least_squares_inputs, source="extension"),
)
