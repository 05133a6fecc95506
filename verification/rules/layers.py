r"""The rows of ``reference.layers``: matrix-vector products and the affine layer
$Y = XW + \mathbf{1}\mathbf{b}^T$, alone and under a softmax cross-entropy loss."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import reference
from verification import strategies
from verification.rules import domains
from verification.rules.rule import RowFields, Rule
from verification.rules.softmax import softmax_cross_entropy

LAYER_SHAPES = ((1, 3, 2), (5, 2, 3))
"""(samples N, inputs n, outputs m) of an affine layer."""


def affine_layer(X, W, b):
    r"""$Y = XW + \mathbf{1}\mathbf{b}^T$: N samples as rows of X (N, n), W (n, m), b (m,); NumPy or JAX arrays."""
    return X @ W + b[None, :]


def affine_cross_entropy(X, W, b, T):
    r"""$L = \sum_r -\sum_j T_{rj}\log\operatorname{softmax}(XW + \mathbf{b})_{rj}$: a classifier's loss on one affine layer."""
    return softmax_cross_entropy(affine_layer(X, W, b), T)


def affine_cross_entropy_numpy(X, W, b, T):
    """:func:`affine_cross_entropy` in NumPy, one sample at a time through ``reference.softmax_cross_entropy``."""
    return np.sum([reference.softmax_cross_entropy(y, t) for y, t in zip(X @ W + b, T, strict=True)])


def affine_cross_entropy_grads(X, W, b, T):
    """The backward pass: dY row by row from the cross-entropy rule, then the layer's rule."""
    dY = np.stack([reference.softmax_cross_entropy_grad(y, t) for y, t in zip(X @ W + b, T, strict=True)])
    return reference.affine_layer_grads(X, W, b, dY)


def matrix_and_vector(dtype):
    """``(W, x)``: W is m×n, x has n entries."""
    return domains.matrix_shape().flatmap(
        lambda mn: st.tuples(strategies.matrices(dtype=dtype, shape=mn), strategies.vectors(dtype=dtype, n=mn[1])))


def layer_inputs(dtype):
    """``(X, W, b)``: N samples of n features, W is n×m, b has m entries."""
    return st.sampled_from(LAYER_SHAPES).flatmap(
        lambda Nnm: st.tuples(strategies.matrices(dtype=dtype, shape=Nnm[:2]), strategies.matrices(dtype=dtype, shape=Nnm[1:]),
                              strategies.vectors(dtype=dtype, n=Nnm[2])))


def layer_inputs_with_labels(dtype):
    """``(X, W, b, T)``: the layer as above and per sample a label vector of m nonnegative weights
    summing to 1 (m >= 2: with one class the softmax is constant)."""
    def layer(Nnm):
        rows, n, classes = Nnm
        weights = strategies.matrices(dtype=dtype, shape=(rows, classes), min_magnitude=0.1, allow_zero=False)
        return st.tuples(strategies.matrices(dtype=dtype, shape=(rows, n)), strategies.matrices(dtype=dtype, shape=(n, classes)),
                         strategies.vectors(dtype=dtype, n=classes), weights.map(lambda T: np.abs(T) / np.abs(T).sum(1, keepdims=True)))
    return st.sampled_from(LAYER_SHAPES).flatmap(layer)


_MATVEC: RowFields = dict(args=("W", "x"), function=jnp.matmul, primal=np.matmul, inputs=matrix_and_vector, source="extension")

RULES: tuple[Rule, ...] = (
    Rule(name="ext_matvec_dx", formula="∂(Wx)/∂x = W", section="Matrix Cookbook (69)", derivative=reference.matvec_jacobian_x,
         wrt=1, **_MATVEC),
    Rule(name="ext_matvec_dW_tensor", formula="∂(Wx)ᵢ/∂Wⱼₖ = δᵢⱼxₖ, shape (m, m, n)", section="Matrix Cookbook (74)",
         derivative=reference.matvec_jacobian_W, wrt=0, **_MATVEC),
    Rule(name="ext_affine_layer_grads", formula="Y = XW + b: vjp(dY) = (dY·Wᵀ, Xᵀ·dY, 1ᵀdY)", section="Matrix Cookbook (70)",
         source="extension", args=("X", "W", "b"), function=affine_layer, primal=affine_layer,
         derivative=reference.affine_layer_grads, wrt=(0, 1, 2), form="vjp", inputs=layer_inputs,
         note="the backward pass: a vector-Jacobian product with the upstream gradient dY as cotangent"),
    Rule(name="ext_affine_layer_scalar_loss", formula="L = Σᵣ xent(XW + b, T)ᵣ: ∂L/∂(X, W, b) = backward pass of dY = softmax(Y) − T",
         section="Matrix Cookbook (70)", source="extension", args=("X", "W", "b", "T"), function=affine_cross_entropy,
         primal=affine_cross_entropy_numpy, derivative=affine_cross_entropy_grads, wrt=(0, 1, 2),
         inputs=layer_inputs_with_labels, references=(reference.affine_layer_grads, reference.softmax_cross_entropy_grad),
         note="labels T: one probability vector per sample"),
)
