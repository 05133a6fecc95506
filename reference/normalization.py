r"""Layer normalisation and its Jacobian with respect to the input.

For $\mathbf{x} \in \mathbb{R}^n$, with mean $\mu = \frac{1}{n}\sum_i x_i$, (biased) variance
$\sigma^2 = \frac{1}{n}\sum_i (x_i - \mu)^2$, $r = 1/\sqrt{\sigma^2 + \varepsilon}$ and the
normalised input $\hat{\mathbf{x}} = r(\mathbf{x} - \mu)$:

$$ \mathbf{y} = \boldsymbol{\gamma} \otimes \hat{\mathbf{x}} + \boldsymbol{\beta} $$

Every $y_i$ reads all of $\mathbf{x}$ through $\mu$ and $\sigma^2$, so the Jacobian is a full
n×n matrix, not a diagonal one (the element-wise diagonal condition fails).
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_scalar, as_vector, same_length

__all__ = ["layer_norm", "layer_norm_jacobian"]

EPS = 1e-5
"""The default $\\varepsilon$, as in ``torch.nn.LayerNorm`` and ``flax.linen.LayerNorm``."""


def _normalised(x, eps):
    """x, r = 1/sqrt(σ² + ε) and x̂ = r(x − μ), after checking x and ε."""
    x, eps = as_vector("x", x), float(as_scalar("eps", eps))  # a Python float keeps x's precision
    if x.shape[0] == 0:
        raise ValueError("x: expected at least one entry, got an empty vector")
    if eps < 0:
        raise ValueError(f"eps: must be >= 0, got {eps}")
    centred = x - x.mean()
    variance = (centred @ centred) / x.shape[0]
    if variance + eps == 0:
        raise ValueError("x: every entry is equal and eps = 0, so σ² + ε = 0 and the normalisation divides by 0")
    r = 1 / np.sqrt(variance + eps)
    return x, r, r * centred


def layer_norm(x, gamma, beta, eps=EPS) -> np.ndarray:
    r"""$\mathbf{y} = \boldsymbol{\gamma} \otimes (\mathbf{x} - \mu)/\sqrt{\sigma^2 + \varepsilon} + \boldsymbol{\beta}$.

    Args:
        x: shape (n,).
        gamma: scale $\boldsymbol{\gamma}$, shape (n,).
        beta: shift $\boldsymbol{\beta}$, shape (n,).
        eps: $\varepsilon \ge 0$, shape ().

    Returns:
        shape (n,).

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.layer_norm(np.array([1.0, 3.0]), np.ones(2), np.zeros(2), eps=0.0))  # mean 2, variance 1
        [-1.  1.]
    """
    gamma, beta = as_vector("gamma", gamma), as_vector("beta", beta)
    x, _, x_hat = _normalised(x, eps)
    same_length(x=x, gamma=gamma, beta=beta)
    return gamma * x_hat + beta


def layer_norm_jacobian(x, gamma, eps=EPS) -> np.ndarray:
    r"""Rule ``ext_layer_norm_jacobian``: $\partial\mathbf{y}/\partial\mathbf{x} = r\,\operatorname{diag}(\boldsymbol{\gamma})\bigl(I - \tfrac{1}{n}\vec{1}\vec{1}^T - \tfrac{1}{n}\hat{\mathbf{x}}\hat{\mathbf{x}}^T\bigr)$.

    From $\partial(x_i - \mu)/\partial x_j = \delta_{ij} - \frac{1}{n}$ and
    $\partial r/\partial x_j = -r^3(x_j - \mu)/n$ (the centred entries sum to 0), so
    $\partial\hat{x}_i/\partial x_j = r(\delta_{ij} - \frac{1}{n} - \hat{x}_i\hat{x}_j/n)$.
    $\boldsymbol{\beta}$ does not enter.  Source: Ba, Kiros & Hinton, "Layer Normalization" (2016),
    for the forward map; the Jacobian is derived above.

    Args:
        x: shape (n,).
        gamma: scale $\boldsymbol{\gamma}$, shape (n,).
        eps: $\varepsilon \ge 0$, shape (); $\varepsilon = 0$ needs x not constant.

    Returns:
        shape (n, n).
    """
    gamma = as_vector("gamma", gamma)
    x, r, x_hat = _normalised(x, eps)
    n = same_length(x=x, gamma=gamma)
    centring = np.eye(n, dtype=x_hat.dtype) - 1 / n - np.outer(x_hat, x_hat) / n
    return (r * gamma)[:, None] * centring
