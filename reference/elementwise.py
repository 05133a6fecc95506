r"""Jacobians of element-wise operators (Parr & Howard §4.2, §8.2).

For $\mathbf{y} = \mathbf{f}(\mathbf{w}) \bigcirc \mathbf{g}(\mathbf{x})$ with $\mathbf{w}, \mathbf{x}, \mathbf{y} \in \mathbb{R}^n$:
if each $f_i$ reads only $w_i$ and each $g_i$ only $x_i$ (the element-wise diagonal condition),
every off-diagonal entry vanishes and

$$ \frac{\partial \mathbf{y}}{\partial \mathbf{w}} = \operatorname{diag}\Bigl(\frac{\partial}{\partial w_i}\bigl(f_i(w_i) \bigcirc g_i(x_i)\bigr)\Bigr). $$

The eight rules below take $\mathbf{f}(\mathbf{w}) = \mathbf{w}$ and $\mathbf{g}(\mathbf{x}) = \mathbf{x}$.
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array, as_vector, nonzero, same_length

__all__ = [
    "diagonal_jacobian", "unary_jacobian", "binary_general_jacobian", "add_jacobian_w", "add_jacobian_x",
    "sub_jacobian_w", "sub_jacobian_x", "mul_jacobian_w", "mul_jacobian_x", "div_jacobian_w", "div_jacobian_x"
]


def diagonal_jacobian(partials) -> np.ndarray:
    r"""Rule ``ew_diagonal_condition``: $\operatorname{diag}(\partial y_i/\partial w_i)$.

    Args:
        partials: the diagonal entries $\partial y_i / \partial w_i$, shape (n,).

    Returns:
        shape (n, n).
    """
    return np.diag(as_vector("partials", partials))


def unary_jacobian(derivative) -> np.ndarray:
    r"""Rule ``ew_unary_diag``: for $f$ applied element-wise, $\partial f(\mathbf{x})/\partial \mathbf{x} = \operatorname{diag}(f'(x_1), \dots, f'(x_n))$.

    Args:
        derivative: $f'(x_i)$ for every i, shape (n,).

    Returns:
        shape (n, n).
    """
    return np.diag(as_vector("derivative", derivative))


def binary_general_jacobian(op_partial, f_jacobian) -> np.ndarray:
    r"""Rule ``ew_binary_general_jacobian``: $J_{ij} = \partial/\partial w_j\,(f_i(\mathbf{w}) \bigcirc g_i(\mathbf{x}))$.

    When $f_i$ may read all of $\mathbf{w}$, the chain rule through the operator gives

    $$ \frac{\partial \mathbf{y}}{\partial \mathbf{w}} = \operatorname{diag}\Bigl(\frac{\partial (a \bigcirc c)}{\partial a}\Big|_{a = f_i, c = g_i}\Bigr)\,\frac{\partial \mathbf{f}}{\partial \mathbf{w}}, $$

    which is not diagonal in general.

    Args:
        op_partial: $\partial(a \bigcirc c)/\partial a$ at $(f_i(\mathbf{w}), g_i(\mathbf{x}))$, shape (n,);
            e.g. 1 for +, $g_i$ for ⊗, $1/g_i$ for ⊘.
        f_jacobian: $\partial \mathbf{f}/\partial \mathbf{w}$, shape (n, n).

    Returns:
        shape (n, n).
    """
    op_partial = as_vector("op_partial", op_partial)
    f_jacobian = as_real_array("f_jacobian", f_jacobian, ndim=2)
    if f_jacobian.shape[0] != op_partial.shape[0]:
        raise ValueError(f"f_jacobian must have one row per entry of op_partial: {f_jacobian.shape} vs {op_partial.shape}")
    return op_partial[:, None] * f_jacobian


def _pair(w, x):
    w, x = as_vector("w", w), as_vector("x", x)
    same_length(w=w, x=x)
    return w, x


def _identity(w, x, sign=1.0):
    w, x = _pair(w, x)
    return sign * np.eye(w.shape[0], dtype=np.result_type(w, x))


def add_jacobian_w(w, x) -> np.ndarray:
    r"""Rule ``ew_add_dw``: $\partial(\mathbf{w} + \mathbf{x})/\partial\mathbf{w} = I$, shape (n, n)."""
    return _identity(w, x)


def add_jacobian_x(w, x) -> np.ndarray:
    r"""Rule ``ew_add_dx``: $\partial(\mathbf{w} + \mathbf{x})/\partial\mathbf{x} = I$, shape (n, n)."""
    return _identity(w, x)


def sub_jacobian_w(w, x) -> np.ndarray:
    r"""Rule ``ew_sub_dw``: $\partial(\mathbf{w} - \mathbf{x})/\partial\mathbf{w} = I$, shape (n, n)."""
    return _identity(w, x)


def sub_jacobian_x(w, x) -> np.ndarray:
    r"""Rule ``ew_sub_dx``: $\partial(\mathbf{w} - \mathbf{x})/\partial\mathbf{x} = -I$, shape (n, n)."""
    return _identity(w, x, sign=-1.0)


def mul_jacobian_w(w, x) -> np.ndarray:
    r"""Rule ``ew_mul_dw``: $\partial(\mathbf{w} \otimes \mathbf{x})/\partial\mathbf{w} = \operatorname{diag}(\mathbf{x})$, shape (n, n)."""
    w, x = _pair(w, x)
    return np.diag(x + np.zeros_like(w))


def mul_jacobian_x(w, x) -> np.ndarray:
    r"""Rule ``ew_mul_dx``: $\partial(\mathbf{w} \otimes \mathbf{x})/\partial\mathbf{x} = \operatorname{diag}(\mathbf{w})$, shape (n, n)."""
    w, x = _pair(w, x)
    return np.diag(w + np.zeros_like(x))


def div_jacobian_w(w, x) -> np.ndarray:
    r"""Rule ``ew_div_dw``: $\partial(\mathbf{w} \oslash \mathbf{x})/\partial\mathbf{w} = \operatorname{diag}(1/x_i)$, shape (n, n).

    Raises:
        ValueError: some $x_i = 0$ (decision D6).
    """
    w, x = _pair(w, x)
    nonzero("ew_div_dw", "x", x)
    return np.diag(1 / x + np.zeros_like(w))


def div_jacobian_x(w, x) -> np.ndarray:
    r"""Rule ``ew_div_dx``: $\partial(\mathbf{w} \oslash \mathbf{x})/\partial\mathbf{x} = \operatorname{diag}(-w_i/x_i^2)$, shape (n, n).

    Raises:
        ValueError: some $x_i = 0$ (decision D6).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.div_jacobian_x(np.array([1.0, 2.0]), np.array([1.0, 2.0])))  # diag(−wᵢ/xᵢ²)
        [[-1.   0. ]
         [ 0.  -0.5]]
    """
    w, x = _pair(w, x)
    nonzero("ew_div_dx", "x", x)
    return np.diag(-w / x**2)
