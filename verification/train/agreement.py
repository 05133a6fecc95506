r"""How far two correct runs of the same training may drift apart, and the check that they do not.

``stable_learning_rate`` (from ``reference.training``) bounds the step so that rounding
differences add up instead of growing; :func:`trajectory_tolerance` is the bound;
:func:`agreement_summary` trains one problem three ways and applies it.
"""

from __future__ import annotations

import math

import numpy as np

import reference
from reference.training import stable_learning_rate
from verification.train.data import planted_teacher
from verification.train.kernel import GRADIENTS
from verification.train.start import initial_parameters
from verification.train.trainer import Trainer

__all__ = ["agreement_summary", "stable_learning_rate", "trajectory_tolerance"]


def trajectory_tolerance(X, *, steps: int, learning_rate: float, w0, b0, losses, dtype) -> tuple[float, float]:
    r"""How far two correct runs of the same ``steps`` may drift apart by rounding alone.

    For $\eta \le 1/\lambda_{max}$ (see :func:`stable_learning_rate`) differences add up over steps.
    In one step, two gradient implementations differ by at most $(N+4)\,\varepsilon\,G_j$, where
    $G_j = \frac{2}{N}\sum_{i\in A}|e_i||\hat x_{ij}| \le 2\sqrt{C}\,\mathrm{rms}_i(\hat x_{ij})$
    (Cauchy–Schwarz, with $C \le$ the largest loss in ``losses``); and the update rounds at
    $2\varepsilon|\hat{\mathbf{w}}|$, with $|\hat{\mathbf{w}}| \le |\hat{\mathbf{w}}_0| + T\eta\max_j G_j$. So

    parameters: $\delta_\theta = T\,(\eta\,(N+4)\,\varepsilon\,G + 2\varepsilon\,\theta_{max})$;
    losses: $(n+1)\,G\,\delta_\theta + (N+4)\,\varepsilon\,C$ ($C$ is continuous, with slope at most G).

    Valid while no sample's $z_i$ comes within $\|\hat{\mathbf{x}}_i\|_1\,\delta_\theta$ of the kink, where the
    two runs could put it on different sides.  Returns ``(parameter_tol, loss_tol)``.
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    eps = float(np.finfo(dtype).eps)
    rms = np.sqrt(np.mean(np.column_stack([X, np.ones(n_samples)]) ** 2, axis=0))
    loss = float(np.max(np.abs(losses)))
    G = float(2 * math.sqrt(loss) * rms.max())
    theta = float(np.max(np.abs(np.append(w0, b0)))) + steps * learning_rate * G
    parameter_tol = steps * (learning_rate * (n_samples + 4) * eps * G + 2 * eps * theta)
    loss_tol = (n_features + 1) * G * parameter_tol + (n_samples + 4) * eps * loss
    return parameter_tol, loss_tol


def agreement_summary(steps: int = 200, seed: int = 0) -> dict:
    """Train a planted teacher in float64 three ways (NumPy reference, jit with the hand
    gradient, jit with ``jax.grad``) and report whether the trajectories agree.

    Returns a dict: ``steps``, ``samples``, ``features``, ``max_loss_diff``, ``max_param_diff``
    (largest differences from the reference over the two jitted runs), ``tolerance`` and
    ``loss_tolerance`` (from :func:`trajectory_tolerance`), ``max_gradient_gap`` and
    ``gradient_tolerance`` (the step-wise check), ``agree`` and ``final_loss``.
    """
    teacher = planted_teacher(256, 5, seed=seed, dtype=np.float64)
    rate = stable_learning_rate(teacher.X)
    w0, b0 = initial_parameters(teacher.X, seed=seed)
    ref = reference.train(teacher.X, teacher.y, steps=steps, learning_rate=rate, w0=w0, b0=b0)
    trainer = Trainer.from_data(teacher.X, teacher.y, dtype=np.float64, devices=1)
    runs = [trainer.run(w0, b0, steps, learning_rate=rate, gradient=g) for g in GRADIENTS]
    check = trainer.check(w0, b0, steps, learning_rate=rate)
    losses = np.concatenate([ref.losses] + [r.losses for r in runs])
    parameter_tol, loss_tol = trajectory_tolerance(
        teacher.X, steps=steps, learning_rate=rate, w0=w0, b0=b0, losses=losses, dtype=np.float64
    )
    param_diff = max(float(np.max(np.abs(np.append(r.w - ref.w, r.b - ref.b)))) for r in runs)
    loss_diff = max(float(np.max(np.abs(np.append(r.losses - ref.losses, r.final_loss - ref.final_loss)))) for r in runs)
    return {
        "steps": steps,
        "samples": teacher.X.shape[0],
        "features": teacher.X.shape[1],
        "max_loss_diff": loss_diff,
        "max_param_diff": param_diff,
        "tolerance": parameter_tol,
        "loss_tolerance": loss_tol,
        "max_gradient_gap": float(np.max(check.gaps)),
        "gradient_tolerance": check.tolerance,
        "agree": bool(param_diff <= parameter_tol and loss_diff <= loss_tol and check.ok),
        "final_loss": float(ref.final_loss),
    }
