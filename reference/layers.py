r"""Jacobians of the matrix-vector product and the backward pass of an affine layer.

A layer with weight matrix $W$ maps $\mathbf{x} \in \mathbb{R}^n$ to $W\mathbf{x} \in \mathbb{R}^m$;
over a batch of N samples as rows, $Y = XW + \mathbf{1}\mathbf{b}^T$.  None of this is in the paper,
which uses one vector of weights; the rules are the Matrix Cookbook's (denominator layout there,
transposed here to numerator layout, decision D1).
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array, as_vector

__all__ = ["matvec_jacobian_x", "matvec_jacobian_W", "affine_layer_grads"]


def _matvec_args(W, x):
    W, x = as_real_array("W", W, ndim=2), as_vector("x", x)
    if W.shape[1] != x.shape[0]:
        raise ValueError(f"W must have one column per entry of x: W has shape {W.shape}, x has {x.shape[0]} entries")
    return W, x


def matvec_jacobian_x(W, x) -> np.ndarray:
    r"""Rule ``ext_matvec_dx``: $\partial(W\mathbf{x})/\partial\mathbf{x} = W$.

    Each row $\mathbf{w}_i^T$ of W gives $\partial(\mathbf{w}_i^T\mathbf{x})/\partial\mathbf{x} = \mathbf{w}_i^T$
    (Matrix Cookbook eq. (69), transposed to numerator layout).

    Args:
        W: shape (m, n).
        x: shape (n,).

    Returns:
        shape (m, n).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.matvec_jacobian_x(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0])))  # W
        [[1. 2.]
         [3. 4.]]
    """
    W, x = _matvec_args(W, x)
    return W + np.zeros_like(x)


def matvec_jacobian_W(W, x) -> np.ndarray:
    r"""Rule ``ext_matvec_dW_tensor``: $\partial(W\mathbf{x})_i/\partial W_{jk} = \delta_{ij}\,x_k$.

    A 3-tensor: output index i, then W's indices (j, k).  Source: Matrix Cookbook eq. (74),
    $\partial(XA)_{ij}/\partial X_{mn} = \delta_{im}A_{nj}$ with $A = \mathbf{x}$.

    Args:
        W: shape (m, n).
        x: shape (n,).

    Returns:
        shape (m, m, n).
    """
    W, x = _matvec_args(W, x)
    eye = np.eye(W.shape[0], dtype=np.result_type(W, x))
    return eye[:, :, None] * x[None, None, :]


def affine_layer_grads(X, W, b, dY) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Rule ``ext_affine_layer_scalar_loss``: the backward pass of $Y = XW + \mathbf{1}\mathbf{b}^T$.

    For any scalar loss $L(Y)$ with upstream gradient $\texttt{dY} = \partial L/\partial Y$
    (gradient layout, Y's shape):

    $$ \frac{\partial L}{\partial X} = \texttt{dY}\,W^T, \qquad
       \frac{\partial L}{\partial W} = X^T\,\texttt{dY}, \qquad
       \frac{\partial L}{\partial \mathbf{b}} = \texttt{dY}^T\mathbf{1} $$

    The W term is Matrix Cookbook eq. (70), $\partial(\mathbf{a}^TX\mathbf{b})/\partial X = \mathbf{a}\mathbf{b}^T$,
    summed over the samples.  This is the vector-Jacobian product of $Y$ with cotangent dY.

    Args:
        X: the layer's inputs, one sample per row, shape (N, n).
        W: weights, shape (n, m).
        b: bias, shape (m,).
        dY: upstream gradient $\partial L/\partial Y$, shape (N, m).

    Returns:
        (dL/dX, dL/dW, dL/db) with the shapes of X, W and b.
    """
    X, W = as_real_array("X", X, ndim=2), as_real_array("W", W, ndim=2)
    b, dY = as_vector("b", b), as_real_array("dY", dY, ndim=2)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"W must have one row per column of X: X has shape {X.shape}, W has shape {W.shape}")
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b must have one entry per column of W: W has shape {W.shape}, b has {b.shape[0]} entries")
    if dY.shape != (X.shape[0], W.shape[1]):
        raise ValueError(f"dY must have the shape of Y = XW + b, {(X.shape[0], W.shape[1])}, got {dY.shape}")
    dtype = np.result_type(X, W, b, dY)
    return (dY @ W.T).astype(dtype, copy=False), (X.T @ dY).astype(dtype, copy=False), dY.sum(axis=0).astype(dtype, copy=False)
