r"""Softmax, log-sum-exp and softmax cross-entropy, with their derivatives.

For logits $\mathbf{z} \in \mathbb{R}^n$:

$$ \operatorname{lse}(\mathbf{z}) = \log\sum_j e^{z_j}, \qquad
   \mathbf{s} = \operatorname{softmax}(\mathbf{z}), \quad s_i = e^{z_i - \operatorname{lse}(\mathbf{z})} $$

Every function shifts the logits by their maximum before exponentiating, so logits of
magnitude $10^3$ neither overflow nor produce NaN: $e^{z_j - \max_k z_k} \le 1$ and the
largest term is exactly 1, so the sum is at least 1 and its logarithm is finite.
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_vector, same_length

__all__ = [
    "logsumexp", "softmax", "log_softmax", "softmax_cross_entropy", "softmax_jacobian", "log_softmax_jacobian",
    "logsumexp_grad", "logsumexp_hessian", "logsumexp_hvp", "softmax_cross_entropy_grad"
]


def _shifted(z):
    """The logits minus their maximum, and log Σ exp of those (finite: the sum is in [1, n])."""
    z = as_vector("z", z)
    if z.shape[0] == 0:
        raise ValueError("z: expected at least one logit, got an empty vector")
    shifted = z - z.max()
    return z, shifted, np.log(np.exp(shifted).sum())


def logsumexp(z) -> np.ndarray:
    r"""$\operatorname{lse}(\mathbf{z}) = \log\sum_j e^{z_j} = \max_k z_k + \log\sum_j e^{z_j - \max_k z_k}$.

    Args:
        z: logits, shape (n,).

    Returns:
        shape ().
    """
    z, _, log_sum = _shifted(z)
    return np.asarray(z.max() + log_sum)


def softmax(z) -> np.ndarray:
    r"""$\mathbf{s} = \operatorname{softmax}(\mathbf{z})$, $s_i = e^{z_i}/\sum_j e^{z_j}$, computed as $e^{z_i - \operatorname{lse}(\mathbf{z})}$.

    Args:
        z: logits, shape (n,).

    Returns:
        shape (n,): positive, summing to 1.
    """
    _, shifted, log_sum = _shifted(z)
    return np.exp(shifted - log_sum)


def log_softmax(z) -> np.ndarray:
    r"""$\log\operatorname{softmax}(\mathbf{z}) = \mathbf{z} - \operatorname{lse}(\mathbf{z})$, shape (n,)."""
    _, shifted, log_sum = _shifted(z)
    return shifted - log_sum


def softmax_cross_entropy(z, y) -> np.ndarray:
    r"""$L = -\sum_i y_i \log\operatorname{softmax}(\mathbf{z})_i$.

    Args:
        z: logits, shape (n,).
        y: label weights, shape (n,): one-hot, a probability vector, or any real vector.

    Returns:
        shape ().
    """
    y = as_vector("y", y)
    log_s = log_softmax(z)
    same_length(z=log_s, y=y)
    return np.asarray(-(y @ log_s))


def softmax_jacobian(z) -> np.ndarray:
    r"""Rule ``ext_softmax_jacobian``: $\partial\mathbf{s}/\partial\mathbf{z} = \operatorname{diag}(\mathbf{s}) - \mathbf{s}\mathbf{s}^T$.

    Entry (i, j) is $s_i(\delta_{ij} - s_j)$; the matrix is symmetric.  Source: Wikipedia
    "Softmax function"; JAX's own rule computes the same product, $\dot{\mathbf{s}} =
    \mathbf{s} \otimes (\dot{\mathbf{z}} - \mathbf{s}\cdot\dot{\mathbf{z}})$.  Not in the Matrix Cookbook.

    Args:
        z: logits, shape (n,).

    Returns:
        shape (n, n).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.softmax_jacobian(np.zeros(2)))  # s = (1/2, 1/2): diag(s) − s·sᵀ
        [[ 0.25 -0.25]
         [-0.25  0.25]]
    """
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)


def log_softmax_jacobian(z) -> np.ndarray:
    r"""Rule ``ext_log_softmax_jacobian``: $\partial(\mathbf{z} - \operatorname{lse}(\mathbf{z}))/\partial\mathbf{z} = I - \vec{1}\mathbf{s}^T$.

    Entry (i, j) is $\delta_{ij} - s_j$: the identity minus the gradient of lse in every row.

    Args:
        z: logits, shape (n,).

    Returns:
        shape (n, n).
    """
    s = softmax(z)
    return np.eye(s.shape[0], dtype=s.dtype) - s[None, :]


def logsumexp_grad(z) -> np.ndarray:
    r"""Rule ``ext_logsumexp_grad``: $\partial\operatorname{lse}(\mathbf{z})/\partial\mathbf{z} = \operatorname{softmax}(\mathbf{z})^T$.

    Source: Boyd & Vandenberghe, *Convex Optimization*, §3.1.5; Wikipedia "LogSumExp".

    Args:
        z: logits, shape (n,).

    Returns:
        shape (n,).
    """
    return softmax(z)


def logsumexp_hessian(z) -> np.ndarray:
    r"""Rule ``ext_logsumexp_hessian``: $\partial^2\operatorname{lse}(\mathbf{z})/\partial\mathbf{z}^2 = \operatorname{diag}(\mathbf{s}) - \mathbf{s}\mathbf{s}^T$.

    The Jacobian of the gradient $\mathbf{s}$, i.e. the softmax Jacobian: symmetric and positive
    semi-definite, with $\vec{1}$ in its null space.  Source: Boyd & Vandenberghe, *Convex
    Optimization*, §3.1.5.

    Args:
        z: logits, shape (n,).

    Returns:
        shape (n, n).
    """
    return softmax_jacobian(z)


def logsumexp_hvp(z, v) -> np.ndarray:
    r"""Rule ``ext_logsumexp_hessian`` as a product: $\nabla^2\operatorname{lse}(\mathbf{z})\,\mathbf{v} = \mathbf{s} \otimes (\mathbf{v} - \mathbf{s}\cdot\mathbf{v})$.

    $(\operatorname{diag}(\mathbf{s}) - \mathbf{s}\mathbf{s}^T)\mathbf{v}$ without forming the n×n
    matrix: O(n) work and memory, for long logit vectors.

    Args:
        z: logits, shape (n,).
        v: direction, shape (n,).

    Returns:
        shape (n,).
    """
    v = as_vector("v", v)
    s = softmax(z)
    same_length(z=s, v=v)
    return s * (v - s @ v)


def softmax_cross_entropy_grad(z, y) -> np.ndarray:
    r"""Rule ``ext_softmax_xent``: $\partial L/\partial\mathbf{z} = \mathbf{s}\sum_i y_i - \mathbf{y}$ for $L = -\sum_i y_i\log s_i$.

    Since $\log s_i = z_i - \operatorname{lse}(\mathbf{z})$, $L = (\sum_i y_i)\operatorname{lse}(\mathbf{z}) - \mathbf{y}\cdot\mathbf{z}$,
    whose gradient is the above for any real $\mathbf{y}$.  For labels on the simplex
    (one-hot or soft, $\sum_i y_i = 1$) it is $\mathbf{s} - \mathbf{y}$.

    Args:
        z: logits, shape (n,).
        y: label weights, shape (n,).

    Returns:
        shape (n,).
    """
    y = as_vector("y", y)
    s = softmax(z)
    same_length(z=s, y=y)
    return s * y.sum() - y
