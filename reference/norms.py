r"""Gradients of quadratic forms, norms and the least-squares loss.

The Matrix Cookbook gives these in denominator layout (columns); here a scalar's gradient with
respect to a vector or matrix has that argument's shape (decision D1), so the row
$2\mathbf{x}^T$ is stored as the vector $2\mathbf{x}$.
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array, as_vector

__all__ = [
    "quadratic_form_grad", "quadratic_form_hessian", "quadratic_form_hvp", "sq_norm_grad", "l2_norm_grad",
    "frobenius_sq_grad", "least_squares_grad"
]


def _square(A):
    A = as_real_array("A", A, ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A: expected a square matrix, got shape {A.shape}")
    return A


def quadratic_form_grad(x, A) -> np.ndarray:
    r"""Rule ``ext_quadratic_form`` (gradient): $\partial(\mathbf{x}^TA\mathbf{x})/\partial\mathbf{x} = \mathbf{x}^T(A + A^T)$.

    $2\mathbf{x}^TA$ when A is symmetric.  Source: Matrix Cookbook eq. (81), $(A + A^T)\mathbf{x}$
    in denominator layout.

    Args:
        x: shape (n,).
        A: shape (n, n), any square matrix.

    Returns:
        shape (n,).
    """
    x, A = as_vector("x", x), _square(A)
    if A.shape[0] != x.shape[0]:
        raise ValueError(f"A must be n×n for x of length n: x has {x.shape[0]} entries, A has shape {A.shape}")
    return x @ (A + A.T)


def quadratic_form_hessian(A) -> np.ndarray:
    r"""Rule ``ext_quadratic_form`` (Hessian): $\partial^2(\mathbf{x}^TA\mathbf{x})/\partial\mathbf{x}^2 = A + A^T$, whatever $\mathbf{x}$.

    Symmetric even when A is not.  Source: Matrix Cookbook eq. (81), differentiated once more.

    Args:
        A: shape (n, n).

    Returns:
        shape (n, n).
    """
    A = _square(A)
    return A + A.T


def quadratic_form_hvp(A, v) -> np.ndarray:
    r"""Rule ``ext_quadratic_form`` (Hessian-vector product): $(A + A^T)\mathbf{v} = A\mathbf{v} + A^T\mathbf{v}$.

    Two matrix-vector products, without forming $A + A^T$.

    Args:
        A: shape (n, n).
        v: direction, shape (n,).

    Returns:
        shape (n,).
    """
    A, v = _square(A), as_vector("v", v)
    if A.shape[0] != v.shape[0]:
        raise ValueError(f"A must be n×n for v of length n: v has {v.shape[0]} entries, A has shape {A.shape}")
    return A @ v + v @ A


def sq_norm_grad(x) -> np.ndarray:
    r"""Rule ``ext_sq_norm``: $\partial\|\mathbf{x}\|_2^2/\partial\mathbf{x} = 2\mathbf{x}^T$.

    Source: Matrix Cookbook eq. (131).

    Args:
        x: shape (n,).

    Returns:
        shape (n,).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.sq_norm_grad(np.array([1.0, -2.0])))  # 2xᵀ
        [ 2. -4.]
    """
    return 2 * as_vector("x", x)


def l2_norm_grad(x) -> np.ndarray:
    r"""Rule ``ext_l2_norm``: $\partial\|\mathbf{x}\|_2/\partial\mathbf{x} = \mathbf{x}^T/\|\mathbf{x}\|_2$.

    The unit vector along $\mathbf{x}$; computed as $\mathbf{u}/\|\mathbf{u}\|_2$ with
    $\mathbf{u} = \mathbf{x}/\max_i|x_i|$, so neither tiny nor huge entries under- or overflow
    in the squares.  Source: Matrix Cookbook eq. (129) with $\mathbf{a} = \mathbf{0}$.

    Args:
        x: shape (n,), not all zero.

    Returns:
        shape (n,).

    Raises:
        ValueError: $\mathbf{x} = \mathbf{0}$, where the norm has no derivative (decision D6).
    """
    x = as_vector("x", x)
    largest = np.abs(x).max(initial=0)
    if largest == 0:
        raise ValueError("ext_l2_norm: x must be nonzero (‖x‖ has no derivative at x = 0), but every entry of x is 0")
    u = x / largest
    return u / np.sqrt(u @ u)


def frobenius_sq_grad(W) -> np.ndarray:
    r"""Rule ``ext_frobenius_sq``: $\partial\|W\|_F^2/\partial W = 2W$, the weight-decay gradient.

    Source: Matrix Cookbook eq. (132).

    Args:
        W: shape (m, n).

    Returns:
        shape (m, n).
    """
    return 2 * as_real_array("W", W, ndim=2)


def least_squares_grad(w, X, y) -> np.ndarray:
    r"""Rule ``ext_least_squares``: $\partial\|X\mathbf{w} - \mathbf{y}\|_2^2/\partial\mathbf{w} = 2(X\mathbf{w} - \mathbf{y})^TX$.

    Stored flat, this is $2X^T(X\mathbf{w} - \mathbf{y})$.  Source: Matrix Cookbook eq. (84),
    $\partial_\mathbf{s}(\mathbf{x} - A\mathbf{s})^TW(\mathbf{x} - A\mathbf{s}) = -2A^TW(\mathbf{x} - A\mathbf{s})$,
    with $W = I$, $A = X$, $\mathbf{s} = \mathbf{w}$, $\mathbf{x} = \mathbf{y}$.

    Args:
        w: weights, shape (n,).
        X: samples as rows, shape (N, n).
        y: targets, shape (N,).

    Returns:
        shape (n,).
    """
    w, X, y = as_vector("w", w), as_real_array("X", X, ndim=2), as_vector("y", y)
    if X.shape[1] != w.shape[0]:
        raise ValueError(f"X must have one column per weight: X has {X.shape[1]} columns, w has {w.shape[0]} entries")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows: X has {X.shape[0]}, y has {y.shape[0]}")
    return 2 * ((X @ w - y) @ X)
