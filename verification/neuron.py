r"""The ReLU neuron and its MSE loss in ``jax.numpy``: the functions JAX differentiates.

Twins of ``reference.neuron`` and ``reference.loss``.  The ReLU is ``jax.nn.relu``, whose
derivative at 0 is 0 as in the paper (decision D2); ``jnp.maximum(z, 0)`` would give 0.5.
No input checks here: these run traced under ``jax.jit``; the public entry points
(``verification.oracles``, ``verification.train``) check their arguments first.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def affine(w, b, x):
    r"""$z = \mathbf{w}\cdot\mathbf{x} + b$."""
    return jnp.dot(w, x) + b


def relu(z):
    r"""$\max(0, z)$ with derivative 0 at z = 0."""
    return jax.nn.relu(z)


def neuron_activation(w, b, x):
    r"""$\max(0, \mathbf{w}\cdot\mathbf{x} + b)$."""
    return relu(affine(w, b, x))


def mse_loss(w, b, X, y):
    r"""$C = \frac{1}{N}\sum_i (y_i - \max(0, \mathbf{w}\cdot\mathbf{x}_i + b))^2$."""
    residual = y - relu(X @ w + b)
    return jnp.mean(residual**2)


def mse_loss_grads(w, b, X, y):
    r"""The hand-derived gradient, in JAX: $\frac{2}{N}\sum_{i\in A} e_i\,\mathbf{x}_i^T$ and $\frac{2}{N}\sum_{i\in A} e_i$.

    Same formula as ``reference.mse_loss_grad_w`` / ``_grad_b`` (decision D3: divide by N).
    Returns ``(grad_w, grad_b)`` with shapes (n,) and ().
    """
    z = X @ w + b
    signal = jnp.where(z > 0, z - y, 0) * (2 / X.shape[0])
    return signal @ X, jnp.sum(signal)
