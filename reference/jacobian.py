r"""The Jacobian in numerator layout (Parr & Howard §4.1).

For $\mathbf{y} = \mathbf{f}(\mathbf{x})$ with $\mathbf{f} = [f_1, \dots, f_m]$:

$$ \frac{\partial \mathbf{y}}{\partial \mathbf{x}} =
   \begin{bmatrix} \nabla f_1(\mathbf{x}) \\ \vdots \\ \nabla f_m(\mathbf{x}) \end{bmatrix},
   \qquad J_{ij} = \frac{\partial f_i}{\partial x_j}. $$

Generalised (decision D1): the derivative of an output of shape S by an input of shape T has
shape S + T, which is what ``jax.jacfwd`` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reference.checks import as_real_array

__all__ = ["jacobian_from_gradients", "identity_jacobian", "finite_difference_jacobian"]


def jacobian_from_gradients(gradients: Sequence[Callable[[np.ndarray], np.ndarray]], x) -> np.ndarray:
    r"""Rule ``jacobian_numerator_layout``: stack the gradients $\nabla f_i(\mathbf{x})$ as rows.

    Args:
        gradients: m callables; ``gradients[i](x)`` is $\nabla f_i$ at x, shape (n,).
        x: the point, shape (n,).

    Returns:
        shape (m, n).
    """
    x = as_real_array("x", x, ndim=1)
    rows = [np.asarray(gradient(x)) for gradient in gradients]
    for i, row in enumerate(rows):
        if row.shape != x.shape:
            raise ValueError(f"gradients[{i}]: returned shape {row.shape}, expected {x.shape} (one entry per x_j)")
    return np.stack(rows).astype(x.dtype, copy=False)


def identity_jacobian(x) -> np.ndarray:
    r"""Rule ``jacobian_identity``: $\partial\mathbf{x}/\partial\mathbf{x} = I$, shape (n, n).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.identity_jacobian(np.array([5.0, 7.0])))
        [[1. 0.]
         [0. 1.]]
    """
    x = as_real_array("x", x, ndim=1)
    return np.eye(x.shape[0], dtype=x.dtype)


def finite_difference_jacobian(f: Callable[[np.ndarray], np.ndarray], x, *, step: float | None = None) -> np.ndarray:
    r"""Central finite differences in float64: $J_{\cdot j} \approx \frac{f(x + h e_j) - f(x - h e_j)}{2h}$.

    The step for entry j is $h_j = \epsilon^{1/3}\max(1, |x_j|)$, which balances truncation
    error $O(h^2)$ against rounding error $O(\epsilon/h)$.  The result is an estimate: expect
    about $\epsilon^{2/3} \approx 4\times10^{-11}$ relative error for smooth f, and nonsense
    across a kink (a ReLU at 0), where no derivative exists.

    Args:
        f: any NumPy function of x.
        x: the point, any shape.
        step: overrides the relative step $\epsilon^{1/3}$.

    Returns:
        shape ``f(x).shape + x.shape``.
    """
    x = as_real_array("x", x).astype(np.float64)
    relative = np.cbrt(np.finfo(np.float64).eps) if step is None else step
    columns = []
    for j in np.ndindex(x.shape):
        h = relative * max(1.0, abs(float(x[j])))
        plus, minus = x.copy(), x.copy()
        plus[j] += h
        minus[j] -= h
        columns.append((np.asarray(f(plus), dtype=np.float64) - np.asarray(f(minus), dtype=np.float64)) / (plus[j] - minus[j]))
    out_shape = columns[0].shape
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)
