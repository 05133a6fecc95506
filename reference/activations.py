r"""Derivatives of the smooth activations: sigmoid, tanh and softplus.

All are element-wise (any shape; the derivative has the shape of ``z``); the Jacobian of the
vector version is $\operatorname{diag}(f'(z_i))$ by rule ``ew_unary_diag``.  Each is computed from
$e^{-|z|} \in (0, 1]$, which never overflows, so $|z| \ge 40$ (where $1 - \sigma(z)$ and
$1 - \tanh^2 z$ round to 0 and $e^{|z|}$ overflows past ~710) gives finite values with full
relative precision and no warnings.
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array

__all__ = ["sigmoid", "sigmoid_derivative", "tanh_derivative", "softplus", "softplus_derivative"]


def sigmoid(z) -> np.ndarray:
    r"""$\sigma(z) = 1/(1 + e^{-z})$, computed as $1/(1 + e)$ for $z \ge 0$ and $e/(1 + e)$ for $z < 0$, $e = e^{-|z|}$."""
    z = as_real_array("z", z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z) -> np.ndarray:
    r"""Rule ``ext_sigmoid_tanh`` (sigmoid): $\sigma'(z) = \sigma(z)(1 - \sigma(z)) = \frac{e}{(1 + e)^2}$, $e = e^{-|z|}$.

    The right-hand form follows from $\sigma(z)(1 - \sigma(z)) = \sigma(|z|)\sigma(-|z|)$ (the
    product is even in z).  Source: Wikipedia "Logistic function", Derivative.

    Args:
        z: any shape.

    Returns:
        shaped like z, in (0, 1/4].

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.sigmoid_derivative(0.0))  # σ(0)(1 − σ(0)) = ½ · ½
        0.25
    """
    z = as_real_array("z", z)
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def tanh_derivative(z) -> np.ndarray:
    r"""Rule ``ext_sigmoid_tanh`` (tanh): $\tanh'(z) = 1 - \tanh^2(z) = \operatorname{sech}^2 z = \frac{4e}{(1 + e)^2}$, $e = e^{-2|z|}$.

    Source: Wikipedia "Hyperbolic functions", Derivatives.

    Args:
        z: any shape.

    Returns:
        shaped like z, in (0, 1].
    """
    z = as_real_array("z", z)
    e = np.exp(-2 * np.abs(z))
    return 4 * e / (1 + e) ** 2


def softplus(z) -> np.ndarray:
    r"""$\operatorname{softplus}(z) = \log(1 + e^z) = \max(z, 0) + \log(1 + e^{-|z|})$."""
    z = as_real_array("z", z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def softplus_derivative(z) -> np.ndarray:
    r"""Rule ``ext_softplus_derivative``: $\frac{d}{dz}\log(1 + e^z) = \frac{e^z}{1 + e^z} = \sigma(z)$.

    Args:
        z: any shape.

    Returns:
        shaped like z, in (0, 1).
    """
    return sigmoid(z)
