r"""The chain rules (Parr & Howard §4.5, §8.5).

The vector chain rule is the general form; the single-variable and total-derivative rules are
its special cases (``chain_rules_hierarchy``):

$$ \frac{\partial}{\partial \mathbf{x}}\mathbf{f}(\mathbf{g}(\mathbf{x})) = \frac{\partial \mathbf{f}}{\partial \mathbf{g}}\frac{\partial \mathbf{g}}{\partial \mathbf{x}} $$

with shapes (m×k)(k×n) = m×n, m = |f|, k = |g|, n = |x|.  The order of the factors matters
once they are matrices; for scalars forward ($\frac{du}{dx}\frac{dy}{du}$) and reverse
($\frac{dy}{du}\frac{du}{dx}$) order agree (``chain_forward_vs_reverse``).
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array, as_vector

__all__ = [
    "single_variable_chain", "total_derivative", "total_derivative_aliased", "vector_chain",
    "vector_chain_diagonal"
]


def single_variable_chain(dy_du, du_dx) -> np.ndarray:
    r"""Rules ``chain_single_variable``/``scalar_chain``: $\frac{dy}{dx} = \frac{dy}{du}\frac{du}{dx}$, u = g(x).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.single_variable_chain(3.0, 2.0))  # dy/du · du/dx
        6.0
    """
    return as_real_array("dy_du", dy_du) * as_real_array("du_dx", du_dx)


def total_derivative(df_dx, df_du, du_dx) -> np.ndarray:
    r"""Rule ``chain_total_derivative`` (§4.5/TD):

    $$ \frac{\partial f(x, u_1, \dots, u_n)}{\partial x} = \frac{\partial f}{\partial x} + \sum_{i=1}^{n} \frac{\partial f}{\partial u_i}\frac{\partial u_i}{\partial x} $$

    Args:
        df_dx: the direct partial $\partial f/\partial x$ (u held fixed), shape ().
        df_du: $\partial f/\partial u_i$, shape (n,).
        du_dx: the total derivatives $du_i/dx$, shape (n,).

    Returns:
        shape ().
    """
    df_dx = as_real_array("df_dx", df_dx, ndim=0)
    df_du, du_dx = as_vector("df_du", df_du), as_vector("du_dx", du_dx)
    if df_du.shape != du_dx.shape:
        raise ValueError(f"df_du and du_dx must have the same length: {df_du.shape[0]} vs {du_dx.shape[0]}")
    return np.asarray(df_dx + df_du @ du_dx)


def total_derivative_aliased(df_du, du_dx) -> np.ndarray:
    r"""Rule ``chain_total_derivative_aliased`` (§8.5): alias $u_{n+1} = x$, then

    $$ \frac{\partial f(u_1, \dots, u_{n+1})}{\partial x} = \sum_{i=1}^{n+1}\frac{\partial f}{\partial u_i}\frac{\partial u_i}{\partial x} = \frac{\partial f}{\partial \mathbf{u}}\frac{\partial \mathbf{u}}{\partial x}. $$

    The caller must include the alias as the last entry ($\partial u_{n+1}/\partial x = 1$);
    leaving it out silently drops the direct path (the paper's $y = x + x^2$ pitfall).

    Args:
        df_du: shape (n+1,).
        du_dx: shape (n+1,), last entry 1.

    Returns:
        shape ().
    """
    return total_derivative(np.zeros(()), df_du, du_dx)


def vector_chain(df_dg, dg_dx) -> np.ndarray:
    r"""Rules ``chain_vector`` and ``chain_vector_scalar_x``: $\frac{\partial \mathbf{f}}{\partial \mathbf{g}}\frac{\partial \mathbf{g}}{\partial \mathbf{x}}$.

    Args:
        df_dg: shape (m, k), or (k,) when f is a scalar.
        dg_dx: shape (k, n), or (k,) when x is a scalar.

    Returns:
        shape f.shape + x.shape: (m, n), (m,), (n,) or ().
    """
    df_dg = as_real_array("df_dg", df_dg)
    dg_dx = as_real_array("dg_dx", dg_dx)
    if df_dg.ndim not in (1, 2) or dg_dx.ndim not in (1, 2):
        raise ValueError(f"df_dg and dg_dx must be 1-D or 2-D: got shapes {df_dg.shape} and {dg_dx.shape}")
    if df_dg.shape[-1] != dg_dx.shape[0]:
        raise ValueError(f"df_dg has {df_dg.shape[-1]} columns but dg_dx has {dg_dx.shape[0]} rows (k = |g| must agree)")
    return np.asarray(df_dg @ dg_dx)


def vector_chain_diagonal(df_dg, dg_dx) -> np.ndarray:
    r"""Rule ``chain_vector_diagonal``: if $f_i$ reads only $g_i$ and $g_i$ only $x_i$,

    $$ \frac{\partial \mathbf{f}}{\partial \mathbf{x}} = \operatorname{diag}\Bigl(\frac{\partial f_i}{\partial g_i}\frac{\partial g_i}{\partial x_i}\Bigr). $$

    Args:
        df_dg: the diagonal $\partial f_i/\partial g_i$, shape (n,).
        dg_dx: the diagonal $\partial g_i/\partial x_i$, shape (n,).

    Returns:
        shape (n, n).
    """
    df_dg, dg_dx = as_vector("df_dg", df_dg), as_vector("dg_dx", dg_dx)
    if df_dg.shape != dg_dx.shape:
        raise ValueError(f"df_dg and dg_dx must have the same length: {df_dg.shape[0]} vs {dg_dx.shape[0]}")
    return np.diag(df_dg * dg_dx)
