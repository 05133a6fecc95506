r"""Pooling: sum and average pooling (``reduce_window`` sums), max pooling with overlapping windows.

Sum pooling over windows of size $k$ with stride $s$ on the zero-padded input $x_p$ (padding $p$):
$y[\ldots, q] = \sum_{j < k} x_p[\ldots, q s + j]$ per spatial axis, so each input entry
receives the cotangent of every window that covers it:

$$ \bar x_p[\ldots, q s + j] \mathrel{+}= \bar y[\ldots, q] \quad \text{for every window } q \text{ and offset } j, $$

cropped to the unpadded input; average pooling divides by the window size (padding counted).
Max pooling routes each window's cotangent to the window's largest entry,
$\bar x[\arg\max_{j} x[q s + j]] \mathrel{+}= \bar y[q]$; with stride 1 and 2×2 windows an
entry can be the maximum of up to 4 windows and adds up to 4 cotangents.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
from jax import lax

from verification.corpus.case import Case, Mistake, case

SHAPE = (2, 3, 9, 9)
"""Batch, channels, height, width of the pooled input."""


def _out(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def sum_pool(window: int, stride: int, padding: int) -> Callable:
    """``lax.reduce_window`` sum over the two spatial axes."""
    def pool(x):
        return lax.reduce_window(x, 0.0, lax.add, (1, 1, window, window), (1, 1, stride, stride),
                                 ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    return pool


def sum_pool_gradient(window: int, stride: int, padding: int, *, scale: float = 1.0, shift: int = 0) -> Callable:
    """``x̄(x, ȳ)`` of sum pooling times ``scale`` (``1/window²`` for average pooling); ``shift`` ≠ 0
    moves every window by ``shift`` rows (a planted mistake)."""
    def derivative(x, y_bar):
        h, w = x.shape[2:]
        oh, ow = _out(h, window, stride, padding), _out(w, window, stride, padding)
        x_p = np.zeros((*x.shape[:2], h + 2 * padding + abs(shift), w + 2 * padding), dtype=np.result_type(x, y_bar))
        for i, j in itertools.product(range(window), repeat=2):
            x_p[:, :, i + shift: i + shift + stride * (oh - 1) + 1: stride, j: j + stride * (ow - 1) + 1: stride] += y_bar
        return x_p[:, :, padding: padding + h, padding: padding + w] * x_p.dtype.type(scale)
    return derivative


def max_pool(window: int, stride: int) -> Callable:
    """Max pooling, unpadded, with ``lax.reduce_window``."""
    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, window, window), (1, 1, stride, stride), "VALID")
    return pool


def max_pool_gradient(window: int, stride: int, *, shift: int = 0) -> Callable:
    """``x̄(x, ȳ)`` of max pooling; ``shift`` ≠ 0 routes each cotangent one row off (a planted mistake)."""
    def derivative(x, y_bar):
        n, c, h, w = x.shape
        oh, ow = _out(h, window, stride, 0), _out(w, window, stride, 0)
        x_bar = np.zeros((n, c, h + abs(shift), w), dtype=np.result_type(x, y_bar))
        for q, r in itertools.product(range(oh), range(ow)):
            patch = x[:, :, q * stride: q * stride + window, r * stride: r * stride + window].reshape(n, c, -1)
            k = np.argmax(patch, axis=-1)
            rows, cols = q * stride + k // window + shift, r * stride + k % window
            ni, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
            np.add.at(x_bar, (ni, ci, rows, cols), y_bar[:, :, q, r])
        return x_bar[:, :, :h]
    return derivative


def _draw(rng: np.random.Generator) -> tuple[np.ndarray]:
    return (rng.standard_normal(SHAPE),)


def _dropped_window(derivative: Callable) -> Callable:
    """The gradient with the last window's cotangent left out (a dropped term)."""
    def wrong(x, y_bar):
        y_bar = y_bar.copy()
        y_bar[..., -1, -1] = 0
        return derivative(x, y_bar)
    return wrong


def cases() -> tuple[Case, ...]:
    """Sum pooling 3×3 stride 2 padding 1, average pooling 3×3 stride 2 padding 1, max pooling 2×2 stride 1."""
    sum_grad = sum_pool_gradient(3, 2, 1)
    avg = sum_pool(3, 2, 1)
    avg_grad = sum_pool_gradient(3, 2, 1, scale=1 / 9)
    max_grad = max_pool_gradient(2, 1)
    return (
        case("sum pool 3×3 s2 p1", "pooling", sum_pool(3, 2, 1), sum_grad, _draw,
             description="sum pooling (reduce_window sum), 3×3 windows, stride 2, padding 1",
             mistakes=(Mistake("dropped term", _dropped_window(sum_grad)),
                       Mistake("window +1", sum_pool_gradient(3, 2, 1, shift=1)))),
        case("avg pool 3×3 s2 p1", "pooling", lambda x: avg(x) / 9.0, avg_grad, _draw,
             description="average pooling, 3×3 windows, stride 2, padding 1 (padding counted)",
             mistakes=(Mistake("dropped term", _dropped_window(avg_grad)),
                       Mistake("window +1", sum_pool_gradient(3, 2, 1, scale=1 / 9, shift=1)))),
        case("max pool 2×2 s1", "pooling", max_pool(2, 1), max_grad, _draw,
             description="max pooling, 2×2 windows, stride 1 (select_and_scatter_add adds up to 4 cotangents)",
             mistakes=(Mistake("dropped term", _dropped_window(max_grad)),
                       Mistake("window +1", max_pool_gradient(2, 1, shift=1)))),
    )


__all__ = ["cases", "max_pool", "max_pool_gradient", "sum_pool", "sum_pool_gradient"]
