r"""Correct formulas that saturate or cancel: they lose relative accuracy in their smallest entries.

- $\sum_i \mathrm{softplus}(x_i)$ has gradient $\sigma(x) = (1 + \tanh(x/2))/2$: at $x = -50$ the
  identity evaluates to exactly 0 where $\sigma(x) = 1.9\cdot10^{-22}$.
- $\sum_i \log\sigma(x_i)$ has gradient $1 - \sigma(x)$, written as $1 - 1/(1 + e^{-x})$: 0 for large $x$.
- $\sum_i \tanh(x_i)$ has gradient $1 - \tanh^2 x$: 0 for large $|x|$.
- The softmax cross-entropy $\mathrm{logsumexp}(z) - z_0$ has gradient $\mathrm{softmax}(z) - e_0$,
  written as $e^{z}/\sum e^{z} - e_0$: the label's entry cancels when its probability is near 1.
- The variance $\frac1n\sum_i (x_i - \bar x)^2$ has gradient $\frac2n(x_i - \bar x)$, written as
  $\frac{2}{n}x_i - \frac{2}{n^2}\sum_j x_j$: both terms are large for $x$ near 1000.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from verification.corpus.case import Case, Mistake, case

SIZE = 16


def softplus_gradient(x):
    return (1 + np.tanh(x / 2)) / 2


def log_sigmoid_gradient(x):
    return 1 - 1 / (1 + np.exp(-x))


def tanh_gradient(x):
    return 1 - np.tanh(x) ** 2


def cross_entropy_gradient(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e) - (np.arange(z.size) == 0).astype(z.dtype)


def variance_gradient(x):
    n = x.size
    return 2 * x / n - 2 * np.sum(x) / n ** 2


def _uniform(low: float, high: float):
    """Points uniform in [low, high], with ``low`` and ``high`` themselves among them, and one in
    [-1, 1] where the function is far from saturation: a gradient with every entry saturated is
    all rounding in float32 (its largest entry below 5e-3 for tanh), and no comparison can tell
    a ×1.001 mistake there from JAX's own rounding."""
    def draw(rng):
        x = rng.uniform(low, high, SIZE)
        x[:3] = low, high, rng.uniform(-1, 1)
        return (x,)
    return draw


def _draw_logits(rng):
    z = 4 * rng.standard_normal(SIZE)
    z[0] += 20  # the label's probability is near 1: its gradient entry cancels
    return (z,)


def _draw_offset(rng):
    return (1000 + rng.standard_normal(SIZE),)


def cases() -> tuple[Case, ...]:
    """Gradients of scalar functions (``form="jacobian"``), at points that saturate them."""
    return (
        case("softplus as (1+tanh(x/2))/2", "saturation", lambda x: jnp.sum(jax.nn.softplus(x)), softplus_gradient,
             _uniform(-60, 60), form="jacobian", description="Σ softplus(x), gradient (1 + tanh(x/2))/2, x in [-60, 60]",
             mistakes=(Mistake("dropped term", lambda x: np.tanh(x / 2) / 2),)),
        case("log sigmoid as 1-1/(1+e^-x)", "saturation", lambda x: jnp.sum(jax.nn.log_sigmoid(x)), log_sigmoid_gradient,
             _uniform(-60, 60), form="jacobian", description="Σ log σ(x), gradient 1 − 1/(1 + e^{−x}), x in [-60, 60]",
             mistakes=(Mistake("dropped term", lambda x: -1 / (1 + np.exp(-x))),)),
        case("tanh as 1-tanh²", "saturation", lambda x: jnp.sum(jnp.tanh(x)), tanh_gradient,
             _uniform(-25, 25), form="jacobian", description="Σ tanh(x), gradient 1 − tanh²(x), x in [-25, 25]",
             mistakes=(Mistake("dropped term", lambda x: -np.tanh(x) ** 2),)),
        case("cross-entropy softmax", "saturation", lambda z: jax.nn.logsumexp(z) - z[0], cross_entropy_gradient,
             _draw_logits, form="jacobian", description="logsumexp(z) − z₀, gradient softmax(z) − e₀, label logit +20",
             mistakes=(Mistake("dropped term", lambda z: cross_entropy_gradient(z) + (np.arange(z.size) == 0)),)),
        case("variance, cancelling", "saturation", lambda x: jnp.mean((x - jnp.mean(x)) ** 2), variance_gradient,
             _draw_offset, form="jacobian", description="variance of x ≈ 1000 + N(0, 1), gradient 2x/n − 2Σx/n²",
             mistakes=(Mistake("dropped term", lambda x: 2 * x / x.size),)),
    )


__all__ = ["cases"]
