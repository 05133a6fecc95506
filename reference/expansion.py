r"""Scalar expansion (Parr & Howard §4.3, §8.3).

Adding or multiplying a vector $\mathbf{x} \in \mathbb{R}^n$ by a scalar $z$ expands the
scalar to $\vec{1}z$: $\mathbf{x} + z \equiv \mathbf{x} + \vec{1}z$ and
$\mathbf{x}z \equiv \mathbf{x} \otimes \vec{1}z$ (``sexp_definition``).  Both satisfy the
element-wise diagonal condition.  z must not depend on x.  The paper gives only + and ×; the
subtraction and division cases below are an extension (``ext_sexp_sub_div``).
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_scalar, as_vector

__all__ = [
    "scalar_add_jacobian_x", "scalar_add_jacobian_z", "scalar_mul_jacobian_x", "scalar_mul_jacobian_z",
    "scalar_sub_jacobian_x", "scalar_sub_jacobian_z", "scalar_div_jacobian_x", "scalar_div_jacobian_z"
]


def _args(x, z):
    return as_vector("x", x), as_scalar("z", z)


def _nonzero_divisor(z):
    """Decision D6: x / z needs z ≠ 0."""
    if z == 0:
        raise ValueError("ext_sexp_sub_div: z must be nonzero (the rule divides by it), but z == 0")


def scalar_add_jacobian_x(x, z) -> np.ndarray:
    r"""Rule ``sexp_add_dx``: $\partial(\mathbf{x} + z)/\partial\mathbf{x} = I$, shape (n, n)."""
    x, z = _args(x, z)
    return np.eye(x.shape[0], dtype=np.result_type(x, z))


def scalar_add_jacobian_z(x, z) -> np.ndarray:
    r"""Rule ``sexp_add_dz``: $\partial(\mathbf{x} + z)/\partial z = \vec{1}$, shape (n,)."""
    x, z = _args(x, z)
    return np.ones(x.shape, dtype=np.result_type(x, z))


def scalar_mul_jacobian_x(x, z) -> np.ndarray:
    r"""Rule ``sexp_mul_dx``: $\partial(\mathbf{x} z)/\partial\mathbf{x} = \operatorname{diag}(\vec{1}z) = Iz$, shape (n, n)."""
    x, z = _args(x, z)
    return np.eye(x.shape[0], dtype=np.result_type(x, z)) * z


def scalar_mul_jacobian_z(x, z) -> np.ndarray:
    r"""Rule ``sexp_mul_dz``: $\partial(\mathbf{x} z)/\partial z = \mathbf{x}$, shape (n,).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.scalar_mul_jacobian_z(np.array([1.0, 2.0, 3.0]), 2.0))  # x, whatever z
        [1. 2. 3.]
    """
    x, z = _args(x, z)
    return x + np.zeros_like(z)


def scalar_sub_jacobian_x(x, z) -> np.ndarray:
    r"""Rule ``ext_sexp_sub_div`` (x − z by x): $\partial(\mathbf{x} - z)/\partial\mathbf{x} = I$, shape (n, n)."""
    x, z = _args(x, z)
    return np.eye(x.shape[0], dtype=np.result_type(x, z))


def scalar_sub_jacobian_z(x, z) -> np.ndarray:
    r"""Rule ``ext_sexp_sub_div`` (x − z by z): $\partial(\mathbf{x} - \vec{1}z)/\partial z = -\vec{1}$, shape (n,)."""
    x, z = _args(x, z)
    return -np.ones(x.shape, dtype=np.result_type(x, z))


def scalar_div_jacobian_x(x, z) -> np.ndarray:
    r"""Rule ``ext_sexp_sub_div`` (x / z by x): $\partial(\mathbf{x}/z)/\partial\mathbf{x} = I/z$, shape (n, n).

    Raises:
        ValueError: z = 0 (decision D6).
    """
    x, z = _args(x, z)
    _nonzero_divisor(z)
    return np.eye(x.shape[0], dtype=np.result_type(x, z)) / z


def scalar_div_jacobian_z(x, z) -> np.ndarray:
    r"""Rule ``ext_sexp_sub_div`` (x / z by z): $\partial(\mathbf{x}/z)/\partial z = -\mathbf{x}/z^2$, shape (n,).

    Raises:
        ValueError: z = 0 (decision D6).
    """
    x, z = _args(x, z)
    _nonzero_divisor(z)
    return -x / z**2
