r"""Cumulative products and ``cumlogsumexp``.

For $y_k = \prod_{i \le k} x_i$ the cotangent of $x_j$ is
$\bar x_j = \sum_{k \ge j} \bar y_k \prod_{i \le k, i \ne j} x_i = P_{j-1} Q_j$ with the prefix product
$P_{j-1} = \prod_{i < j} x_i$ and $Q_j = \bar y_j + x_{j+1} Q_{j+1}$ (from the end), which needs no
division by $x_j$.  For $y_k = \log \sum_{i \le k} e^{x_i}$,
$\partial y_k / \partial x_i = e^{x_i - y_k}$ for $i \le k$, so $\bar x_i = \sum_{k \ge i} \bar y_k\, e^{x_i - y_k}$.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

from verification.corpus.case import Case, Mistake, case

LENGTH = 24


def cumprod_gradient(x, y_bar, *, drop_last: bool = False, shift: int = 0):
    """``x̄`` along the last axis; ``drop_last`` leaves out the k = n−1 term, ``shift`` uses the
    prefix product one step too long (planted mistakes)."""
    n = x.shape[-1]
    y_bar = np.array(y_bar)
    if drop_last:
        y_bar[..., -1] = 0
    prefix = np.concatenate([np.ones_like(x[..., :1]), np.cumprod(x, axis=-1)[..., :-1]], axis=-1)
    if shift:
        prefix = prefix * x
    q = np.zeros_like(prefix)
    q[..., n - 1] = y_bar[..., n - 1]
    for j in range(n - 2, -1, -1):
        q[..., j] = y_bar[..., j] + x[..., j + 1] * q[..., j + 1]
    return prefix * q


def cumlogsumexp_gradient(x, y_bar, *, drop_last: bool = False, shift: int = 0):
    """``x̄`` along the last axis, from the triangle of ``exp(x_i − y_k)``; mistakes as above
    (``shift`` pairs each x_i with y_{k−1})."""
    n = x.shape[-1]
    y = np.logaddexp.accumulate(x, axis=-1)
    if shift:
        y = np.concatenate([y[..., :1], y[..., :-1]], axis=-1)
    y_bar = np.array(y_bar)
    if drop_last:
        y_bar[..., -1] = 0
    i, k = np.arange(n)[:, None], np.arange(n)[None, :]
    weights = np.where(k >= i, np.exp(np.where(k >= i, x[..., :, None] - y[..., None, :], 0.0)), 0.0)
    return np.sum(weights * y_bar[..., None, :], axis=-1)


def _draw_positive(rng):
    """Factors in ±[0.5, 1.5]: the product neither vanishes nor overflows over LENGTH steps."""
    return (rng.uniform(0.5, 1.5, (3, LENGTH)) * rng.choice([-1.0, 1.0], (3, LENGTH)),)


def _draw(rng):
    return (3 * rng.standard_normal((3, LENGTH)),)


def cases() -> tuple[Case, ...]:
    """``jnp.cumprod`` and ``lax.cumlogsumexp`` along the last axis."""
    return (
        case("cumprod", "cumulative", lambda x: jnp.cumprod(x, axis=-1), cumprod_gradient, _draw_positive,
             description=f"cumulative product of 3 rows of {LENGTH} factors",
             mistakes=(Mistake("dropped term", lambda x, g: cumprod_gradient(x, g, drop_last=True)),
                       Mistake("window +1", lambda x, g: cumprod_gradient(x, g, shift=1)))),
        case("cumlogsumexp", "cumulative", lambda x: lax.cumlogsumexp(x, axis=1), cumlogsumexp_gradient, _draw,
             description=f"cumulative log-sum-exp of 3 rows of {LENGTH}",
             mistakes=(Mistake("dropped term", lambda x, g: cumlogsumexp_gradient(x, g, drop_last=True)),
                       Mistake("window +1", lambda x, g: cumlogsumexp_gradient(x, g, shift=1)))),
    )


__all__ = ["cases", "cumlogsumexp_gradient", "cumprod_gradient"]
