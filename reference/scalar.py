r"""Scalar derivative rules (Parr & Howard §2) and the gradient of a scalar function (§3).

Each rule is written as the combination it states: the caller supplies the values of the
pieces (f, f', g, g') at the point, and the rule combines them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reference.checks import as_real_array

__all__ = [
    "constant_rule", "const_multiple_rule", "power_rule", "sum_rule", "difference_rule", "product_rule",
    "gradient"
]


def constant_rule(x) -> np.ndarray:
    r"""Rule ``scalar_constant``: $\frac{d}{dx} c = 0$. Returns zeros shaped like ``x``."""
    return np.zeros_like(as_real_array("x", x))


def const_multiple_rule(c, df_dx) -> np.ndarray:
    r"""Rule ``scalar_const_multiple``: $\frac{d}{dx}(c f) = c \frac{df}{dx}$."""
    return as_real_array("c", c) * as_real_array("df_dx", df_dx)


def power_rule(x, n: int) -> np.ndarray:
    r"""Rule ``scalar_power``: $\frac{d}{dx} x^n = n x^{n-1}$, for an integer n ≥ 0.

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.power_rule(2.0, 3))  # 3 · 2²
        12.0
    """
    x = as_real_array("x", x)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"scalar_power: n must be an integer >= 0, got {n!r}")
    return n * x ** (n - 1) if n > 0 else np.zeros_like(x)


def sum_rule(df_dx, dg_dx) -> np.ndarray:
    r"""Rule ``scalar_sum``: $\frac{d}{dx}(f + g) = \frac{df}{dx} + \frac{dg}{dx}$."""
    return as_real_array("df_dx", df_dx) + as_real_array("dg_dx", dg_dx)


def difference_rule(df_dx, dg_dx) -> np.ndarray:
    r"""Rule ``scalar_difference``: $\frac{d}{dx}(f - g) = \frac{df}{dx} - \frac{dg}{dx}$."""
    return as_real_array("df_dx", df_dx) - as_real_array("dg_dx", dg_dx)


def product_rule(f, df_dx, g, dg_dx) -> np.ndarray:
    r"""Rule ``scalar_product``: $\frac{d}{dx}(f g) = f \frac{dg}{dx} + \frac{df}{dx} g$."""
    f, df_dx = as_real_array("f", f), as_real_array("df_dx", df_dx)
    g, dg_dx = as_real_array("g", g), as_real_array("dg_dx", dg_dx)
    return f * dg_dx + df_dx * g


def gradient(partials: Sequence[Callable[[np.ndarray], np.ndarray]], x) -> np.ndarray:
    r"""Rule ``gradient_row``: $\nabla f(\mathbf{x}) = [\partial f/\partial x_1, \dots, \partial f/\partial x_n]$.

    Each partial derivative treats every other variable as a constant (rule ``partial_derivative``).

    Args:
        partials: n callables; ``partials[j](x)`` is $\partial f/\partial x_j$ at x.
        x: the point, shape (n,).

    Returns:
        shape (n,): the paper's row $1 \times n$ stored flat (decision D1).
    """
    x = as_real_array("x", x, ndim=1)
    if len(partials) != x.shape[0]:
        raise ValueError(f"partials: need one per entry of x ({x.shape[0]}), got {len(partials)}")
    return np.array([partial(x) for partial in partials], dtype=x.dtype)
