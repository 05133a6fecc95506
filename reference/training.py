r"""Gradient descent on one ReLU neuron, in plain NumPy: the reference training loop.

Each step evaluates the loss $C$ of ``reference.loss`` and its hand-derived gradient, then
applies rule ``gd_update`` (Parr & Howard §6):

$$ \mathbf{w}_{t+1} = \mathbf{w}_t - \eta\,\frac{\partial C}{\partial \mathbf{w}}(\mathbf{w}_t, b_t), \qquad
   b_{t+1} = b_t - \eta\,\frac{\partial C}{\partial b}(\mathbf{w}_t, b_t), $$

with $\frac{\partial C}{\partial \mathbf{w}} = \frac{2}{N}\sum_{i\in A} e_i\,\mathbf{x}_i^T$ and
$\frac{\partial C}{\partial b} = \frac{2}{N}\sum_{i\in A} e_i$, where $e_i = \mathbf{w}\cdot\mathbf{x}_i + b - y_i$
and $A = \{i : \mathbf{w}\cdot\mathbf{x}_i + b > 0\}$.  $\eta$ is ``learning_rate``.

The arguments are checked once; every step then runs the kernels behind
``reference.mse_loss``, ``mse_loss_grad_w`` and ``mse_loss_grad_b`` on one shared evaluation
of $z = X\mathbf{w} + b$, so a step reads X twice (once for z, once for $X^T$ times the signal)
and gives bit for bit what those three public functions give.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from reference.checks import as_real_array, as_scalar, as_vector, same_length
from reference.loss import _activity, gradient_descent_step


@dataclass(frozen=True)
class TrainResult:
    """The end of a gradient-descent run.

    Attributes:
        w: final weights, shape (n,) (or (K, n) for K models trained together).
        b: final bias, shape () (or (K,)).
        losses: the loss before each step, shape (steps,) (or (K, steps)).
        final_loss: the loss at the final ``w``, ``b``, shape () (or (K,)).
    """

    w: np.ndarray
    b: np.ndarray
    losses: np.ndarray
    final_loss: np.ndarray


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or inf: the learning rate is too large for the data.

    ``step`` is the index into ``losses`` of the first non-finite loss (``steps`` when only the
    loss after the last step is non-finite).
    """

    def __init__(self, step: int, value: float, learning_rate: float):
        self.step, self.value, self.learning_rate = step, value, learning_rate
        super().__init__(
            f"training diverged: the loss is {value} at step {step}; "
            f"learning_rate={learning_rate:g} is too large for this data, try a smaller learning_rate"
        )


def check_steps(steps) -> int:
    """``steps`` must be an integer >= 1."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"steps: expected an integer, got {type(steps).__name__} {steps!r}")
    if steps < 1:
        raise ValueError(f"steps: must be at least 1, got {steps}")
    return int(steps)


def check_learning_rate(learning_rate) -> float:
    """``learning_rate`` must be a finite real number > 0."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate: expected a real number, got {type(learning_rate).__name__} {learning_rate!r}")
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate: must be a finite number > 0, got {learning_rate}")
    return float(learning_rate)


def check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X must be a finite 2-D (N, n) array and y a finite vector of N targets."""
    X = as_real_array("X", X, ndim=2)
    y = as_vector("y", y)
    same_length(X=X, y=y)
    if X.shape[0] == 0:
        raise ValueError(f"X: needs at least one sample (row), got shape {X.shape}")
    return X, y


def check_initial(w0, b0, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """w0 must be a finite vector with one entry per column of X, b0 a finite scalar."""
    w0 = as_vector("w0", w0)
    b0 = as_scalar("b0", b0)
    if w0.shape[0] != n_features:
        raise ValueError(f"w0: needs one entry per column of X ({n_features}), got {w0.shape[0]}")
    return w0, b0


def _loss_and_grads(w, b, X, y):
    """``mse_loss``, ``mse_loss_grad_w`` and ``mse_loss_grad_b`` from one evaluation of z.

    The same expressions, in the same order, as ``reference.loss._loss`` and ``_loss_grads``.
    """
    z, active = _activity(w, b, X)
    residual = y - z * active  # v = y - max(0, z)
    signal = (2.0 / X.shape[0]) * active * (z - y)  # (2/N) 1[z_i > 0] e_i
    return np.asarray(residual @ residual / X.shape[0]), signal @ X, np.asarray(signal.sum())


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
            loss, grad_w, grad_b = _loss_and_grads(w, b, X, y)
            if not np.isfinite(loss):
                raise TrainingDiverged(t, float(loss), learning_rate)
            losses[t] = loss
            w, b = gradient_descent_step(w, b, grad_w, grad_b, learning_rate)
        final_loss = _loss_and_grads(w, b, X, y)[0]
    if not (np.isfinite(final_loss) and np.all(np.isfinite(w)) and np.isfinite(b)):
        raise TrainingDiverged(steps, float(final_loss), learning_rate)
    return TrainResult(w=w, b=np.asarray(b), losses=losses, final_loss=final_loss)
