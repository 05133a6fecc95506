r"""Derivatives of matrix functions: log-determinant, inverse and trace of a product.

Scalars by matrices have the matrix's shape; the matrix inverse by its matrix is a 4-tensor
with the output's indices first (decision D1).  The Matrix Cookbook's equation numbers are for
its version of 15 November 2012.
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array

__all__ = ["logdet_grad", "inverse_jacobian", "trace_product_grad"]


def _invertible(rule, A):
    """A as a square, numerically invertible matrix and its inverse, or a ValueError naming A."""
    A = as_real_array("A", A, ndim=2)
    if A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"A: expected a non-empty square matrix, got shape {A.shape}")
    condition = np.linalg.cond(A)
    limit = 1 / np.finfo(A.dtype).eps
    if not condition < limit:  # also catches inf and NaN from an exactly singular A
        raise ValueError(
            f"{rule}: A must be invertible, but it is singular to {A.dtype} precision "
            f"(condition number {condition:.3g} >= 1/eps = {limit:.3g})"
        )
    return A, np.linalg.inv(A)


def logdet_grad(A) -> np.ndarray:
    r"""Rule ``ext_logdet_grad``: $\partial\log|\det A|/\partial A = A^{-T}$.

    On a positive definite A this is the gradient of $\log\det A$.  Source: Matrix Cookbook
    eq. (57), $\partial\ln|\det X|/\partial X = (X^{-1})^T$.

    Args:
        A: shape (n, n), invertible.

    Returns:
        shape (n, n).

    Raises:
        ValueError: A is singular or numerically singular (condition number >= 1/eps of its dtype).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.logdet_grad(np.diag([2.0, 4.0])))  # A⁻ᵀ
        [[0.5  0.  ]
         [0.   0.25]]
    """
    return _invertible("ext_logdet_grad", A)[1].T


def inverse_jacobian(A) -> np.ndarray:
    r"""Rule ``ext_inverse_jacobian``: $\partial(A^{-1})_{ij}/\partial A_{kl} = -(A^{-1})_{ik}(A^{-1})_{lj}$.

    The 4-tensor form of $d(A^{-1}) = -A^{-1}(dA)A^{-1}$.  Source: Matrix Cookbook eq. (59).

    Args:
        A: shape (n, n), invertible.

    Returns:
        shape (n, n, n, n): indices (i, j) of $A^{-1}$, then (k, l) of A.

    Raises:
        ValueError: A is singular or numerically singular (condition number >= 1/eps of its dtype).
    """
    inverse = _invertible("ext_inverse_jacobian", A)[1]
    return -np.einsum("ik,lj->ijkl", inverse, inverse)


def trace_product_grad(A, B) -> np.ndarray:
    r"""Rule ``ext_trace_product_grad``: $\partial\operatorname{tr}(AB)/\partial A = B^T$.

    From $\operatorname{tr}(AB) = \sum_{ij} A_{ij}B_{ji}$.  Source: Matrix Cookbook eq. (100),
    $\partial\operatorname{Tr}(XA)/\partial X = A^T$.

    Args:
        A: shape (m, n).
        B: shape (n, m).

    Returns:
        shape (m, n).
    """
    A, B = as_real_array("A", A, ndim=2), as_real_array("B", B, ndim=2)
    if B.shape != A.shape[::-1]:
        raise ValueError(f"B must have the transposed shape of A for AB to be square: A has shape {A.shape}, B has {B.shape}")
    return B.T + np.zeros_like(A)
