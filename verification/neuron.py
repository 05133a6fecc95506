r"""The ReLU neuron and its MSE loss in ``jax.numpy``: the functions JAX differentiates.

Twins of ``reference.neuron`` and ``reference.loss``, shared by the rule table
(``verification.rules.neuron``, ``verification.rules.loss``) and the training loop.  The ReLU is
``jax.nn.relu``, whose derivative at 0 is 0 as in the paper (decision D2); ``jnp.maximum(z, 0)``
would give 0.5.  No input checks here: these run traced under ``jax.jit``; the public entry
points (``verification.check``, ``verification.train``) check their arguments first.
``loss_and_grads`` is the one JAX formula of the hand gradient: the training kernel calls it.
"""

from __future__ import annotations

import math

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


def mse_loss(w, b, X, y, *, n=None, mask=None, features_first=False):
    r"""$C = \frac{1}{N}\sum_i m_i\,(y_i - \max(0, \mathbf{w}\cdot\mathbf{x}_i + b))^2$.

    ``n`` is N, the divisor (default: the samples in X; a block of a larger batch passes the
    batch's N), and ``mask`` the $m_i \in \{0, 1\}$ that drop padding rows (default: all 1).
    X holds one sample per row, shape (N, n), or per row of sub-blocks, (blocks, rows, n) with
    y (blocks, rows); ``features_first`` says that X is stored transposed, shape (n, N).
    """
    residual = y - relu(_z(w, b, X, features_first))
    if mask is not None:
        residual = residual * mask
    return jnp.vdot(residual, residual) / (_samples(X, features_first) if n is None else n)


def _z(w, b, X, features_first):
    return (w @ X if features_first else X @ w) + b


def _samples(X, features_first):
    return X.shape[-1] if features_first else math.prod(X.shape[:-1])


def hand_signal(z, y, n):
    r"""The back-propagated signal $s_i = \frac{2}{N}\,\mathbb{1}[z_i > 0]\,(z_i - y_i)$ (decisions D2, D3)."""
    return jnp.where(z > 0, z - y, 0) * (2 / n)


def loss_and_grads(w, b, X, y, *, n=None, mask=None, features_first=False, signal=hand_signal):
    r"""$C$ (as :func:`mse_loss`) and its hand-derived gradient from one evaluation of $z = X\mathbf{w} + b$:

    $$ \frac{\partial C}{\partial \mathbf{w}} = \sum_i m_i s_i\,\mathbf{x}_i^T = \frac{2}{N}\sum_{i\in A} e_i\,\mathbf{x}_i^T, \qquad
       \frac{\partial C}{\partial b} = \sum_i m_i s_i, $$

    with $s_i$ from ``signal(z, y, n)`` (:func:`hand_signal`; a test passes a wrong one to see it
    caught).  Returns ``(C, grad_w, grad_b, s)``, the signal s shaped as y.
    """
    n = _samples(X, features_first) if n is None else n
    z = _z(w, b, X, features_first)
    residual = y - relu(z)
    s = signal(z, y, n)
    if mask is not None:
        residual, s = residual * mask, s * mask
    if features_first:
        grad_w = X @ s
    elif X.ndim == 2:
        grad_w = s @ X
    else:  # per sub-block, then summed: XLA's CPU runs this several times faster than one long s @ X
        grad_w = jnp.einsum("bri,br->bi", X, s).sum(axis=0)
    return jnp.vdot(residual, residual) / n, grad_w, jnp.sum(s), s
