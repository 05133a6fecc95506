r"""Gradient descent on one ReLU neuron, in plain NumPy: the reference training loop.

Each step evaluates the loss $C$ of ``reference.loss`` and its hand-derived gradient, then
applies rule ``gd_update`` (Parr & Howard §6):

$$ \mathbf{w}_{t+1} = \mathbf{w}_t - \eta\,\frac{\partial C}{\partial \mathbf{w}}(\mathbf{w}_t, b_t), \qquad
   b_{t+1} = b_t - \eta\,\frac{\partial C}{\partial b}(\mathbf{w}_t, b_t), $$

with $\frac{\partial C}{\partial \mathbf{w}} = \frac{2}{N}\sum_{i\in A} e_i\,\mathbf{x}_i^T$ and
$\frac{\partial C}{\partial b} = \frac{2}{N}\sum_{i\in A} e_i$, where $e_i = \mathbf{w}\cdot\mathbf{x}_i + b - y_i$
and $A = \{i : \mathbf{w}\cdot\mathbf{x}_i + b > 0\}$.  $\eta$ is ``learning_rate``.

The arguments are checked once; every step then runs ``reference.loss_and_grads_unchecked``
(the formula of ``reference.loss_and_grads`` without checking X again): one evaluation of
$z = X\mathbf{w} + b$, so a step reads X twice (once for z, once for $X^T$ times the signal)
and gives bit for bit what ``reference.mse_loss``, ``mse_loss_grad_w`` and ``mse_loss_grad_b`` give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reference.checks import as_real_array, check_data, check_initial, check_learning_rate, check_steps
from reference.loss import gradient_descent_step, loss_and_grads_unchecked

__all__ = ["TrainResult", "TrainingDiverged", "augmented_gram", "learning_rate_for_gram", "stable_learning_rate", "train"]


@dataclass(frozen=True)
class TrainResult:
    """The end of a gradient-descent run.

    Attributes:
        w: final weights, shape (n,) (or (K, n) for K models trained together).
        b: final bias, shape () (or (K,)).
        losses: the loss before each step, shape (steps,) (or (K, steps)).
        final_loss: the loss at the final ``w``, ``b``, shape () (or (K,)).
        active_fraction: the fraction of samples with $z_i > 0$ at the final ``w``, ``b`` (or
            (K,) of them): 0 means a dead neuron, whose gradient is 0.
    """

    w: np.ndarray
    b: np.ndarray
    losses: np.ndarray
    final_loss: np.ndarray
    active_fraction: float | np.ndarray | None = None


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or inf: the learning rate is too large for the data.

    ``step`` is the index into ``losses`` of the first non-finite loss (``steps`` when only the
    loss after the last step is non-finite).  ``suggested_learning_rate`` is
    :func:`stable_learning_rate` of the data, a rate under which this cannot happen.
    ``argument`` is the argument to change; :meth:`naming` gives the message with it spelled
    another way (a command line's option).
    """

    argument = "learning_rate"

    def __init__(self, step: int, value: float, learning_rate: float, suggested_learning_rate: float):
        self.step, self.value = step, value
        self.learning_rate, self.suggested_learning_rate = learning_rate, suggested_learning_rate
        super().__init__(self.naming(self.argument))

    def naming(self, name: str) -> str:
        """The message, with the learning rate called ``name``."""
        return (
            f"training diverged: the loss is {self.value} at step {self.step:,}; {name} {self.learning_rate:g} is too large "
            f"for this data: {name} {self.suggested_learning_rate:.3g} is stable for it (half the largest stable rate, "
            "from the data)"
        )


def augmented_gram(X) -> np.ndarray:
    r"""$\hat X^T\hat X$ for $\hat X = [X, \vec{1}]$, shape (n+1, n+1), in float64.

    $X^TX$ is computed in X's precision: no float64 copy of a large float32 X.
    """
    X = as_real_array("X", X, ndim=2)
    gram = np.empty((X.shape[1] + 1, X.shape[1] + 1))
    gram[:-1, :-1] = X.T @ X
    gram[:-1, -1] = gram[-1, :-1] = X.sum(axis=0, dtype=np.float64)
    gram[-1, -1] = X.shape[0]
    return gram


def learning_rate_for_gram(gram, fraction: float = 0.5) -> float:
    r"""``fraction`` / $\lambda_{max}$ of $\frac{2}{N}$ ``gram``, where ``gram`` is $\hat X^T\hat X$ (:func:`augmented_gram`),
    whose last entry is N."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction: must be in (0, 1], got {fraction}")
    gram = np.asarray(gram, dtype=np.float64)
    return fraction / float(np.linalg.eigvalsh(2.0 / gram[-1, -1] * gram)[-1])


def stable_learning_rate(X, fraction: float = 0.5) -> float:
    r"""``fraction`` / $\lambda_{max}$ of $\frac{2}{N}\hat X^T\hat X$, where $\hat X = [X, \vec{1}]$.

    The loss's Hessian on any active set A is $\frac{2}{N}\hat X_A^T\hat X_A$, whose eigenvalues are
    at most $\lambda_{max}$; so for $\eta \le 1/\lambda_{max}$ a step
    $\hat{\mathbf{w}} \mapsto \hat{\mathbf{w}} - \eta\nabla C$ never expands distances: the loss cannot diverge,
    and rounding differences between two runs add up over steps instead of growing.
    """
    return learning_rate_for_gram(augmented_gram(X), fraction)


def train(X, y, *, steps: int, learning_rate: float, w0, b0) -> TrainResult:
    r"""Run ``steps`` steps of gradient descent on $C(\mathbf{w}, b, X, \mathbf{y})$ from (``w0``, ``b0``).

    Computes in the floating dtype shared by the arguments (float32 data with float32 ``w0``
    and ``b0`` stays float32).

    Args:
        X: samples as rows, shape (N, n).
        y: targets, shape (N,).
        steps: number of updates, at least 1.
        learning_rate: $\eta > 0$.
        w0: initial weights, shape (n,).  Not all zero with ``b0 = 0``: then every
            $z_i = 0$ sits on the kink, the gradient is exactly 0 and nothing moves.
        b0: initial bias, shape ().

    Returns:
        ``TrainResult`` with the final ``w``, ``b``, the ``losses`` before each step and the
        ``final_loss``.

    Raises:
        TypeError, ValueError: a bad argument, named in the message.
        TrainingDiverged: the loss became NaN or inf (names the step).

    Examples:
        >>> import numpy as np, reference
        >>> X, y = np.array([[1.0], [2.0]]), np.array([0.0, 0.0])  # ∂C/∂w = 5, ∂C/∂b = 3 at w = 1, b = 0
        >>> run = reference.train(X, y, steps=1, learning_rate=0.5, w0=np.array([1.0]), b0=0.0)
        >>> print(run.w, run.b, run.losses)  # w − 0.5·5, b − 0.5·3; the loss before the step
        [-1.5] -1.5 [2.5]
    """
    X, y = check_data(X, y)
    steps = check_steps(steps)
    learning_rate = check_learning_rate(learning_rate)
    w, b = check_initial(w0, b0, X.shape[1])
    dtype = np.result_type(X, y, w, b)
    X, y, w, b = X.astype(dtype, copy=False), y.astype(dtype, copy=False), w.astype(dtype), b.astype(dtype)

    losses = np.empty(steps, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            loss, grad_w, grad_b = loss_and_grads_unchecked(w, b, X, y)
            if not np.isfinite(loss):
                raise TrainingDiverged(t, float(loss), learning_rate, stable_learning_rate(X))
            losses[t] = loss
            w, b = gradient_descent_step(w, b, grad_w, grad_b, learning_rate)
        final_loss = loss_and_grads_unchecked(w, b, X, y)[0]
    if not (np.isfinite(final_loss) and np.all(np.isfinite(w)) and np.isfinite(b)):
        raise TrainingDiverged(steps, float(final_loss), learning_rate, stable_learning_rate(X))
    active_fraction = float(np.mean(X @ w + b > 0))
    return TrainResult(w=w, b=np.asarray(b), losses=losses, final_loss=final_loss, active_fraction=active_fraction)
