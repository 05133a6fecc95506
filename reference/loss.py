r"""Mean squared error of a ReLU neuron over a batch, and its gradient (Parr & Howard §6).

For a batch $X = [\mathbf{x}_1, \dots, \mathbf{x}_N]^T$ (N×n) and targets $\mathbf{y}$ (N,):

$$ C(\mathbf{w}, b, X, \mathbf{y}) = \frac{1}{N}\sum_{i=1}^{N}\bigl(y_i - \max(0, \mathbf{w}\cdot\mathbf{x}_i + b)\bigr)^2 $$

With $z_i = \mathbf{w}\cdot\mathbf{x}_i + b$, the error $e_i = z_i - y_i$ (prediction minus target),
and the active set $A = \{i : z_i > 0\}$.  The sums divide by N, all samples; inactive samples
contribute 0 (decision D3).  Dividing by |A| instead is a classic bug.
"""

from __future__ import annotations

import numpy as np

from reference.checks import as_real_array, as_scalar, batch

__all__ = [
    "loss_and_grads", "loss_and_grads_unchecked", "mse_loss", "mse_loss_grad_w", "mse_loss_grad_b", "residual_jacobian_w",
    "residual_jacobian_b", "fold_bias", "append_ones", "mse_loss_grad_folded", "gradient_descent_step",
    "mse_loss_hessian", "mse_loss_hvp"
]


def _activity(w, b, X):
    """z = Xw + b and the active mask 1[z > 0] (ReLU' with 0 at the kink, D2)."""
    z = X @ w + b
    return z, (z > 0).astype(z.dtype)


def loss_and_grads_unchecked(w, b, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""$C$, $\partial C/\partial\mathbf{w}$ and $\partial C/\partial b$ from one evaluation of $z_i = \mathbf{w}\cdot\mathbf{x}_i + b$.

    With the signal $s_i = \frac{2}{N}\,\mathbb{1}[z_i > 0]\,e_i$:
    $C = \frac{1}{N}\sum_i (y_i - \max(0, z_i))^2$, $\partial C/\partial\mathbf{w} = \sum_i s_i\,\mathbf{x}_i^T$,
    $\partial C/\partial b = \sum_i s_i$.

    The arguments are not checked: they must already be what :func:`loss_and_grads` makes of
    them (finite real arrays of one floating dtype, shapes (n,), (), (N, n), (N,)).  This is the
    formula for a loop that checks its data once and then steps many times (``reference.train``);
    everyone else calls :func:`loss_and_grads`.

    Returns:
        ``(C, grad_w, grad_b)`` with shapes (), (n,), ().
    """
    z, active = _activity(w, b, X)
    residual = y - z * active  # v = y - max(0, z)
    signal = (2.0 / X.shape[0]) * active * (z - y)  # (2/N) 1[z_i > 0] e_i
    return np.asarray(residual @ residual / X.shape[0]), signal @ X, np.asarray(signal.sum())


def loss_and_grads(w, b, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""$C$, $\partial C/\partial\mathbf{w}$ and $\partial C/\partial b$ after checking the arguments.

    Checks ``w``, ``b``, ``X``, ``y`` (finite real arrays of matching shapes, each named in the
    error) and computes :func:`loss_and_grads_unchecked`, where the formula is.
    :func:`mse_loss`, :func:`mse_loss_grad_w`, :func:`mse_loss_grad_b` and ``reference.train``
    all compute through that one function.

    Args:
        w: weights, shape (n,).
        b: bias, shape ().
        X: samples as rows, shape (N, n).
        y: targets, shape (N,).

    Returns:
        ``(C, grad_w, grad_b)`` with shapes (), (n,), ().

    Raises:
        TypeError, ValueError: a bad argument, named in the message.
    """
    return loss_and_grads_unchecked(*batch(w, b, X, y))


def mse_loss(w, b, X, y) -> np.ndarray:
    r"""Rule ``mse_loss``: $C = \frac{1}{N}\sum_i (y_i - \max(0, \mathbf{w}\cdot\mathbf{x}_i + b))^2$.

    Args:
        w: weights, shape (n,).
        b: bias, shape ().
        X: samples as rows, shape (N, n).
        y: targets, shape (N,).

    Returns:
        C, shape ().
    """
    return loss_and_grads(w, b, X, y)[0]


def mse_loss_grad_w(w, b, X, y) -> np.ndarray:
    r"""Rule ``mse_grad_w``: $\frac{\partial C}{\partial \mathbf{w}} = \frac{2}{N}\sum_{i \in A} e_i\,\mathbf{x}_i^T$.

    Returns:
        shape (n,).

    Examples:
        >>> import numpy as np, reference
        >>> X, y = np.array([[1.0], [2.0]]), np.array([0.0, 0.0])  # w = 1, b = 0: errors 1 and 2, both active
        >>> print(reference.mse_loss_grad_w(np.array([1.0]), 0.0, X, y))  # (2/2)(1·1 + 2·2)
        [5.]
    """
    return loss_and_grads(w, b, X, y)[1]


def mse_loss_grad_b(w, b, X, y) -> np.ndarray:
    r"""Rule ``mse_grad_b``: $\frac{\partial C}{\partial b} = \frac{2}{N}\sum_{i \in A} e_i$.

    Returns:
        shape ().
    """
    return loss_and_grads(w, b, X, y)[2]


def residual_jacobian_w(w, b, X, y) -> np.ndarray:
    r"""Rule ``loss_intermediates`` (weights): $\mathbf{v} = \mathbf{y} - \max(0, X\mathbf{w} + b)$ and

    $$ \frac{\partial v_i}{\partial \mathbf{w}} = -\mathbb{1}[z_i > 0]\,\mathbf{x}_i^T . $$

    Returns:
        shape (N, n): row i is the gradient of v_i.
    """
    w, b, X, y = batch(w, b, X, y)
    return -_activity(w, b, X)[1][:, None] * X


def residual_jacobian_b(w, b, X, y) -> np.ndarray:
    r"""Rule ``loss_intermediates`` (bias): $\partial v_i/\partial b = -\mathbb{1}[z_i > 0]$.

    Returns:
        shape (N,).
    """
    w, b, X, y = batch(w, b, X, y)
    return -_activity(w, b, X)[1]


def fold_bias(w, b) -> np.ndarray:
    r"""Rule ``bias_folding``: $\hat{\mathbf{w}} = [\mathbf{w}^T, b]^T$, shape (n+1,)."""
    w = as_real_array("w", w, ndim=1)
    b = as_scalar("b", b)
    return np.append(w, b)


def append_ones(X) -> np.ndarray:
    r"""Rule ``bias_folding``: $\hat{\mathbf{x}}_i = [\mathbf{x}_i^T, 1]^T$ for every row, shape (N, n+1)."""
    X = as_real_array("X", X, ndim=2)
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def mse_loss_grad_folded(w_hat, X_hat, y) -> np.ndarray:
    r"""Rule ``bias_folding``: with the bias folded in, $w\cdot x + b = \hat{w}\cdot\hat{x}$ and

    $$ \frac{\partial C}{\partial \hat{\mathbf{w}}} = \frac{2}{N}\sum_{i\in A} e_i\,\hat{\mathbf{x}}_i^T . $$

    Args:
        w_hat: folded weights, shape (n+1,).
        X_hat: samples with a trailing column of ones, shape (N, n+1).
        y: targets, shape (N,).

    Returns:
        shape (n+1,).
    """
    w_hat, _, X_hat, y = batch(w_hat, 0.0, X_hat, y)
    return loss_and_grads_unchecked(w_hat, 0.0, X_hat, y)[1]


def gradient_descent_step(w, b, grad_w, grad_b, learning_rate: float):
    r"""Rule ``gd_update``: $\mathbf{w} \leftarrow \mathbf{w} - \eta\,\partial C/\partial\mathbf{w}$, $b \leftarrow b - \eta\,\partial C/\partial b$.

    The gradient is stored flat with shape (n,) (decision D1), so no transpose is needed.
    """
    return w - learning_rate * grad_w, b - learning_rate * grad_b


def mse_loss_hessian(w, b, X, y) -> np.ndarray:
    r"""Rule ``ext_neuron_mse_hessian``: the Hessian of C with respect to $\hat{\mathbf{w}} = [\mathbf{w}; b]$.

    Where no $z_i = 0$ the active set A is locally fixed and the ReLU's second derivative is 0,
    so differentiating $\partial C/\partial\hat{\mathbf{w}} = \frac{2}{N}\sum_{i\in A} e_i\hat{\mathbf{x}}_i^T$
    with $\partial e_i/\partial\hat{\mathbf{w}} = \hat{\mathbf{x}}_i^T$ gives

    $$ H = \frac{2}{N}\sum_{i \in A}\hat{\mathbf{x}}_i\hat{\mathbf{x}}_i^T
         = \frac{2}{N}\begin{bmatrix} X_A^TX_A & X_A^T\vec{1} \\ \vec{1}^TX_A & |A| \end{bmatrix},
       \qquad \hat{\mathbf{x}}_i = [\mathbf{x}_i; 1] $$

    (the structure of Matrix Cookbook eq. (81) with $B = \hat{X}_A^T\hat{X}_A$).  The sum
    divides by N, all samples (decision D3).

    At a tie ($z_i = 0$ for some i) C has no Hessian; sample i is then taken as inactive
    (decision D2) and contributes nothing, which is the Hessian on the side where
    $z_i < 0$ and what ``jax.hessian`` of the loss with ``jax.nn.relu`` returns.

    Args:
        w: weights, shape (n,).
        b: bias, shape ().
        X: samples as rows, shape (N, n).
        y: targets, shape (N,); the Hessian does not depend on them.

    Returns:
        shape (n+1, n+1), symmetric positive semi-definite.
    """
    w, b, X, y = batch(w, b, X, y)
    active = _activity(w, b, X)[1]
    X_hat = append_ones(X).astype(np.result_type(w, b, X), copy=False)
    return (2.0 / X.shape[0]) * (active[:, None] * X_hat).T @ X_hat


def mse_loss_hvp(w, b, X, y, v) -> np.ndarray:
    r"""Rule ``ext_neuron_mse_hessian`` as a product: $H\hat{\mathbf{v}} = \frac{2}{N}\hat{X}^T\bigl(\mathbb{1}[\mathbf{z} > 0] \otimes \hat{X}\hat{\mathbf{v}}\bigr)$.

    The Hessian of :func:`mse_loss_hessian` applied to a direction $\hat{\mathbf{v}}$ in
    $\hat{\mathbf{w}} = [\mathbf{w}; b]$ space without forming it: two passes over X, O(Nn) work
    and O(n) memory.  Same validity (no $z_i = 0$) and tie convention (inactive, D2).

    Args:
        w: weights, shape (n,).
        b: bias, shape ().
        X: samples as rows, shape (N, n).
        y: targets, shape (N,).
        v: direction $\hat{\mathbf{v}} = [\mathbf{v}_w; v_b]$, shape (n+1,).

    Returns:
        shape (n+1,).
    """
    w, b, X, y = batch(w, b, X, y)
    v = as_real_array("v", v, ndim=1)
    if v.shape[0] != w.shape[0] + 1:
        raise ValueError(f"v must have one entry per weight and one for the bias ({w.shape[0] + 1}), got {v.shape[0]}")
    signal = (2.0 / X.shape[0]) * _activity(w, b, X)[1] * (X @ v[:-1] + v[-1])
    return np.append(signal @ X, signal.sum())
