r"""The layer functions beyond the paper in ``jax.numpy``: the functions JAX differentiates.

Twins of the forward maps in ``reference.normalization``, ``reference.softmax``,
``reference.layers`` and ``reference.loss`` that take more than one library call; the rest use
``jax.nn.softmax``, ``jax.nn.log_softmax``, ``jax.nn.logsumexp``, ``jax.nn.sigmoid`` and
``jax.nn.softplus`` directly.  No input checks here: these run traced under ``jax.jit``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from verification import neuron as N


def layer_norm(x, gamma, beta, eps=1e-5):
    r"""$\mathbf{y} = \boldsymbol{\gamma} \otimes (\mathbf{x} - \mu)/\sqrt{\sigma^2 + \varepsilon} + \boldsymbol{\beta}$, with the biased variance."""
    centred = x - jnp.mean(x)
    return gamma * centred / jnp.sqrt(jnp.mean(centred**2) + eps) + beta


def softmax_cross_entropy(z, y):
    r"""$L = -\sum_i y_i \log\operatorname{softmax}(\mathbf{z})_i$ over the last axis, summed over any leading (batch) axes."""
    return -jnp.sum(y * jax.nn.log_softmax(z, axis=-1))


def affine_layer(X, W, b):
    r"""$Y = XW + \mathbf{1}\mathbf{b}^T$: N samples as rows of X (N, n), W (n, m), b (m,)."""
    return X @ W + b[None, :]


def mse_loss_folded(w_hat, X, y):
    r"""The neuron's loss $C$ as a function of $\hat{\mathbf{w}} = [\mathbf{w}; b]$, shape (n+1,)."""
    return N.mse_loss(w_hat[:-1], w_hat[-1], X, y)
