"""Helpers shared by the training tests: the reference trajectory rebuilt from the public
rules, the margin to the ReLU's kink along it, and the comparison of two runs within
``verification.train.trajectory_tolerance``.

Tolerances: trajectories (reference vs jit, one device vs eight, vmap vs single runs) are
compared with ``trajectory_tolerance``: per step, two correct gradients differ by at most
(N+4)·eps times the magnitude of the summed terms, plus 2·eps·|θ| for the update; the learning
rate is at most 1/λ_max of the loss's curvature, so differences add up over the steps instead
of growing.  The bound holds while no sample comes within the parameter tolerance of the kink;
a drawn problem checks that margin on the reference trajectory (``kink_margin``), because
there two runs may legitimately put a sample on different sides.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

from reference.loss import gradient_descent_step, mse_loss_grad_b, mse_loss_grad_w
from reference.training import augmented_gram
from verification.neuron import hand_signal
from verification.strategies import regression_batches
from verification.train import stable_learning_rate

F64 = np.float64
STEPS = 25
BLOCK_ROWS = (None, 3)
"""None: one block (the plain two-product step); 3: the blocked kernel, with padding rows for
both batch sizes of ``verification.strategies`` (N = 1 and 5)."""


@st.composite
def problems(draw):
    """(X, y, w0, b0, learning_rate): a batch of ``verification.strategies.regression_batches``
    (N, n from small pools, |z_i| >= 0.1 at the start, active and inactive samples mixed) as
    the data and start point, and 1/4, 1/2 or 1 times 1/λ_max as the learning rate."""
    w0, b0, X, y = draw(regression_batches(dtype=F64))
    return X, y, w0, b0, stable_learning_rate(X, draw(st.sampled_from((0.25, 0.5, 1.0))))


def replay(X, y, w0, b0, rate, steps):
    """The reference trajectory rebuilt from the public rules: parameters at each step."""
    w, b = w0, b0
    path = [(w, b)]
    for _ in range(steps):
        w, b = gradient_descent_step(w, b, mse_loss_grad_w(w, b, X, y), mse_loss_grad_b(w, b, X, y), rate)
        path.append((w, b))
    return path


def kink_margin(X, path) -> float:
    """min over steps and samples of |z_i| / ||x̂_i||_1: how far θ may move before a sample changes side."""
    scale = np.abs(X).sum(axis=1) + 1
    return min(float(np.min(np.abs(X @ w + b) / scale)) for w, b in path)


def assert_same_trajectory(label, run, ref, parameter_tol, loss_tol):
    __tracebackhide__ = True
    param_diff = max(float(np.max(np.abs(run.w - ref.w))), abs(float(run.b - ref.b)))
    loss_diff = float(np.max(np.abs(np.append(run.losses - ref.losses, run.final_loss - ref.final_loss))))
    assert param_diff <= parameter_tol, f"{label}: parameters differ by {param_diff:.3g} > {parameter_tol:.3g}"
    assert loss_diff <= loss_tol, f"{label}: losses differ by {loss_diff:.3g} > {loss_tol:.3g}"


def gram_tolerance(X, dtype) -> float:
    r"""How far λ_max of (2/N) X̂ᵀX̂ summed in ``dtype`` on the devices may be from NumPy's, relatively.

    Each entry of X̂ᵀX̂ is a sum of N products (of entries rounded to ``dtype``), off by at most
    (N + 2)·eps·(|X̂|ᵀ|X̂|)_ij in any order; the eigenvalue moves by at most the spectral norm of
    that error (Weyl), at most (N + 2)·eps·λ_max(|X̂|ᵀ|X̂|) (the error is bounded entry-wise by a
    nonnegative matrix).  One more eps for the rate's division, and the same again in float64
    for NumPy's own value.
    """
    magnitudes = augmented_gram(np.abs(X))
    ratio = np.linalg.eigvalsh(magnitudes)[-1] / np.linalg.eigvalsh(augmented_gram(X))[-1]
    return float((X.shape[0] + 3) * (np.finfo(dtype).eps + np.finfo(np.float64).eps) * ratio)


def sign_flip(z, y, n):
    """A planted wrong signal: the sign flipped."""
    return -hand_signal(z, y, n)


def divide_by_active_count(z, y, n):
    """A planted wrong signal: divided by |A| (decision D3 says N; |A| is the classic bug)."""
    active = z > 0
    return jnp.where(active, z - y, 0) * (2 / jnp.maximum(jnp.sum(active), 1))


def derivative_one_everywhere(z, y, n):
    """A planted wrong signal: ReLU'(z) taken as 1, the mask forgotten."""
    return (z - y) * (2 / n)
