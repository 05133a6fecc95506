r"""The ReLU neuron and its gradients (Parr & Howard §5).

$$ z = \mathbf{w}\cdot\mathbf{x} + b, \qquad \operatorname{activation}(\mathbf{x}) = \max(0, z) $$

The derivative of max(0, z) at the kink z = 0 is taken as 0, as in the paper (decision D2).
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array, as_scalar, as_vector, same_length

__all__ = [
    "affine", "affine_grad_w", "affine_grad_b", "relu", "relu_derivative", "relu_jacobian", "neuron_activation",
    "neuron_activation_grad_w", "neuron_activation_grad_b", "neuron_activation_grad_x"
]


def affine(w, b, x) -> np.ndarray:
    r"""The neuron's pre-activation, $z = \mathbf{w}\cdot\mathbf{x} + b$.

    Args:
        w: weights, shape (n,).
        b: bias, shape ().
        x: input, shape (n,).

    Returns:
        z, shape ().
    """
    w, b, x = as_vector("w", w), as_scalar("b", b), as_vector("x", x)
    same_length(w=w, x=x)
    return np.asarray(w @ x + b)


def affine_grad_w(w, b, x) -> np.ndarray:
    r"""Rule ``affine_dw``: $\partial(\mathbf{w}\cdot\mathbf{x} + b)/\partial\mathbf{w} = \mathbf{x}^T$.

    Returns:
        shape (n,), the row $\mathbf{x}^T$ stored flat (decision D1).
    """
    w, b, x = as_vector("w", w), as_scalar("b", b), as_vector("x", x)
    same_length(w=w, x=x)
    return x + np.zeros_like(w)  # promotes to the wider of the two dtypes


def affine_grad_b(w, b, x) -> np.ndarray:
    r"""Rule ``affine_db``: $\partial(\mathbf{w}\cdot\mathbf{x} + b)/\partial b = 1$.

    Returns:
        shape ().
    """
    w, b, x = as_vector("w", w), as_scalar("b", b), as_vector("x", x)
    same_length(w=w, x=x)
    return np.ones((), dtype=np.result_type(w, b, x))


def relu(z) -> np.ndarray:
    r"""$\max(0, z)$, element-wise. Any shape."""
    z = as_real_array("z", z)
    return np.where(z > 0, z, np.zeros_like(z))


def relu_derivative(z) -> np.ndarray:
    r"""Rule ``relu_scalar``, element-wise: $\frac{d}{dz}\max(0, z) = 1$ if $z > 0$, else 0.

    At the kink z = 0 the derivative is 0 (decision D2), which is also what
    ``jax.nn.relu`` gives; ``jnp.maximum(z, 0)`` gives 0.5 there.

    Returns:
        an array shaped like ``z`` holding 0.0 and 1.0.

    Examples:
        >>> import numpy as np, reference
        >>> print(reference.relu_derivative(np.array([-1.0, 0.0, 2.0])))  # 0 at the kink (D2)
        [0. 0. 1.]
    """
    z = as_real_array("z", z)
    return (z > 0).astype(z.dtype)


def relu_jacobian(x) -> np.ndarray:
    r"""Rule ``relu_broadcast``: $\partial\max(0,\mathbf{x})/\partial\mathbf{x} = \operatorname{diag}(\mathbb{1}[x_i > 0])$.

    Args:
        x: shape (n,).

    Returns:
        shape (n, n), diagonal (decision D5).
    """
    x = as_vector("x", x)
    return np.diag(relu_derivative(x))


def neuron_activation(w, b, x) -> np.ndarray:
    r"""$\operatorname{activation} = \max(0, \mathbf{w}\cdot\mathbf{x} + b)$, shape ()."""
    return relu(affine(w, b, x))


def neuron_activation_grad_w(w, b, x) -> np.ndarray:
    r"""Rule ``neuron_activation_dw``.

    $$ \frac{\partial \operatorname{activation}}{\partial \mathbf{w}}
       = \frac{\partial \max(0,z)}{\partial z}\frac{\partial z}{\partial \mathbf{w}}
       = \begin{cases} \vec{0}^T & z \le 0 \\ \mathbf{x}^T & z > 0 \end{cases},
       \quad z = \mathbf{w}\cdot\mathbf{x} + b $$

    Returns:
        shape (n,).
    """
    return relu_derivative(affine(w, b, x)) * affine_grad_w(w, b, x)


def neuron_activation_grad_b(w, b, x) -> np.ndarray:
    r"""Rule ``neuron_activation_db``: $\partial\operatorname{activation}/\partial b = \mathbb{1}[z > 0]$.

    Returns:
        shape ().
    """
    return relu_derivative(affine(w, b, x)) * affine_grad_b(w, b, x)


def neuron_activation_grad_x(w, b, x) -> np.ndarray:
    r"""Rule ``ext_neuron_dx``: $\partial\max(0, \mathbf{w}\cdot\mathbf{x} + b)/\partial\mathbf{x} = \mathbb{1}[z > 0]\,\mathbf{w}^T$.

    The signal a neuron passes back into its inputs, which the paper omits: ``dot_dx`` composed
    with ``relu_scalar``, with derivative 0 at z = 0 (decision D2).

    Returns:
        shape (n,).
    """
    w, b, x = as_vector("w", w), as_scalar("b", b), as_vector("x", x)
    same_length(w=w, x=x)
    return relu_derivative(affine(w, b, x)) * (w + np.zeros_like(x))
