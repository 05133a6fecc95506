r"""Vector sum reduction and the dot product (Parr & Howard §4.4, §5, §8.4).

For $y = \operatorname{sum}(\mathbf{f}(\mathbf{x})) = \sum_i f_i(\mathbf{x})$:

$$ \frac{\partial y}{\partial \mathbf{x}} = \Bigl[\sum_i \frac{\partial f_i}{\partial x_1}, \dots, \sum_i \frac{\partial f_i}{\partial x_n}\Bigr] = \vec{1}^T \frac{\partial \mathbf{f}}{\partial \mathbf{x}}. $$

The dot product is a sum reduction of an element-wise product (``dot_as_sum``):
$\mathbf{w}\cdot\mathbf{x} = \operatorname{sum}(\mathbf{w} \otimes \mathbf{x})$.
Gradients (1×n rows in the paper) are stored with shape (n,) (decision D1).
"""

from __future__ import annotations

import numpy as np

from reference import elementwise
from reference.checks import as_real_array, as_scalar, as_vector, same_length

__all__ = ["sum_grad", "sum_grad_x", "sum_scaled_grad_x", "sum_scaled_grad_z", "dot", "dot_grad_w", "dot_grad_x"]


def sum_grad(f_jacobian) -> np.ndarray:
    r"""Rule ``sum_general``: $\partial\,\operatorname{sum}(\mathbf{f}(\mathbf{x}))/\partial\mathbf{x} = \vec{1}^T\,\partial\mathbf{f}/\partial\mathbf{x}$.

    Args:
        f_jacobian: $\partial\mathbf{f}/\partial\mathbf{x}$, shape (m, n).

    Returns:
        the column sums, shape (n,).
    """
    return as_real_array("f_jacobian", f_jacobian, ndim=2).sum(axis=0)


def sum_grad_x(x) -> np.ndarray:
    r"""Rule ``sum_dx``: $\partial\,\operatorname{sum}(\mathbf{x})/\partial\mathbf{x} = \vec{1}^T$, shape (n,)."""
    return np.ones_like(as_vector("x", x))


def sum_scaled_grad_x(x, z) -> np.ndarray:
    r"""Rule ``sum_xz_dx``: $\partial\,\operatorname{sum}(\mathbf{x}z)/\partial\mathbf{x} = z\vec{1}^T$, shape (n,)."""
    x, z = as_vector("x", x), as_scalar("z", z)
    return np.ones_like(x) * z


def sum_scaled_grad_z(x, z) -> np.ndarray:
    r"""Rule ``sum_xz_dz``: $\partial\,\operatorname{sum}(\mathbf{x}z)/\partial z = \operatorname{sum}(\mathbf{x})$, shape ()."""
    x, z = as_vector("x", x), as_scalar("z", z)
    return np.asarray(x.sum() + np.zeros_like(z))


def dot(w, x) -> np.ndarray:
    r"""$\mathbf{w}\cdot\mathbf{x} = \sum_i w_i x_i$, shape ()."""
    w, x = as_vector("w", w), as_vector("x", x)
    same_length(w=w, x=x)
    return np.asarray(w @ x)


def dot_grad_w(w, x) -> np.ndarray:
    r"""Rule ``dot_dw``: with $\mathbf{u} = \mathbf{w} \otimes \mathbf{x}$,

    $$ \frac{\partial (\mathbf{w}\cdot\mathbf{x})}{\partial \mathbf{w}} = \frac{\partial\,\operatorname{sum}(\mathbf{u})}{\partial \mathbf{u}}\frac{\partial \mathbf{u}}{\partial \mathbf{w}} = \vec{1}^T \operatorname{diag}(\mathbf{x}) = \mathbf{x}^T. $$

    Written as that product on purpose (O(n²)); it equals ``x``.  Shape (n,).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.dot_grad_w(np.array([1.0, 2.0]), np.array([3.0, 4.0])))  # xᵀ
        [3. 4.]
    """
    return sum_grad(elementwise.mul_jacobian_w(w, x))


def dot_grad_x(w, x) -> np.ndarray:
    r"""Rule ``dot_dx``: $\partial(\mathbf{w}\cdot\mathbf{x})/\partial\mathbf{x} = \vec{1}^T \operatorname{diag}(\mathbf{w}) = \mathbf{w}^T$, shape (n,)."""
    return sum_grad(elementwise.mul_jacobian_x(w, x))
