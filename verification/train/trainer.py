r"""Gradient descent on one ReLU neuron, compiled once with ``jax.jit``: the twin of ``reference.train``.

$$ C(\mathbf{w}, b) = \frac{1}{N}\sum_{i=1}^{N}\bigl(y_i - \max(0, \mathbf{w}\cdot\mathbf{x}_i + b)\bigr)^2, $$

stepped by $\mathbf{w} \leftarrow \mathbf{w} - \eta\,\partial C/\partial\mathbf{w}$, $b \leftarrow b - \eta\,\partial C/\partial b$
with the hand-derived gradient of ``verification.neuron.loss_and_grads`` or with ``jax.grad``.
A :class:`Trainer` holds a batch placed on the devices once (``verification.train.layout``);
each call then runs one compiled program (``verification.train.kernel``) in the precision of
:func:`verification.precision.own_program_scope`: 64-bit mode for a float64 batch only, scoped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from reference.checks import check_initial, check_steps
from reference.training import TrainingDiverged, TrainResult, learning_rate_for_gram
from verification.neuron import hand_signal
from verification.precision import own_program_scope
from verification.train.errors import ArgumentError, check_learning_rate
from verification.train.kernel import Mode, evaluation, gradient_mode, program
from verification.train.layout import Batch, prepare_batch
from verification.train.start import initial_parameters


@dataclass(frozen=True)
class GradientCheck:
    r"""The hand gradient against ``jax.grad`` at every step of a run.

    Attributes:
        result: the run, which followed the hand gradient.
        gaps: shape (steps,): $\max_j |g^{hand}_j - g^{autodiff}_j| \,/\, \sum_i |s_i \hat{x}_{ij}|$, the
            largest difference in units of the magnitude of the summed terms.
        tolerance: $(2N + 2)\,\varepsilon$: each of the two gradients is a sum of N terms, whose
            rounding error in any order is below $(N-1)\,\varepsilon\sum_i|\text{terms}|$ (Higham,
            *Accuracy and Stability*, §4.2), plus a few roundings apart in each term.
    """

    result: TrainResult
    gaps: np.ndarray
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(np.all(self.gaps <= self.tolerance))


class Trainer:
    """A batch on the devices (:func:`~verification.train.layout.prepare_batch`); each method
    runs gradient descent, or evaluates, from any (w, b).

    ``Trainer.from_data(X, y, ...)`` prepares the batch too.  See :func:`verification.train.train`
    for the arguments.
    """

    def __init__(self, batch: Batch):
        self.batch = batch

    @classmethod
    def from_data(
        cls, X, y, *, dtype=np.float32, devices=None, block_rows: int | None = None, models: int = 1,
        layout: str | None = None, across_processes: bool = False,
    ) -> Trainer:
        """X and y placed on the devices once (see :func:`~verification.train.layout.prepare_batch`).

        X is read in place, not copied, when it already has ``dtype``, is C-contiguous and
        suitably aligned (``trainer.batch.in_place``): do not modify it while the trainer is in use.
        """
        return cls(prepare_batch(X, y, dtype=dtype, devices=devices, block_rows=block_rows, models=models, layout=layout,
                                 across_processes=across_processes))

    @property
    def dtype(self) -> np.dtype:
        return self.batch.dtype

    def _rest(self) -> tuple:
        batch = self.batch
        return () if batch.rest_X is None else (batch.rest_X, batch.rest_y, batch.rest_mask)

    def _put(self, *values) -> list[jax.Array]:
        replicated = NamedSharding(self.batch.mesh, P())
        return [jax.device_put(np.asarray(v, dtype=self.dtype), replicated) for v in values]

    def _call(self, mode: Mode, steps: int, w, b, learning_rate, signal: Callable = hand_signal):
        batch = self.batch
        loop = program(batch.mesh, batch.n_samples, check_steps(steps), mode, np.ndim(w) == 2, batch.features_first, signal)
        with own_program_scope(self.dtype):
            w, b, rate = self._put(w, b, learning_rate)
            return jax.device_get(loop(w, b, rate, batch.X, batch.y, self._rest()))

    def _evaluate(self, mode: Mode, w, b):
        w, b = check_initial(w, b, self.batch.n_features)
        batch = self.batch
        with own_program_scope(self.dtype):
            w, b = self._put(w, b)
            return jax.device_get(evaluation(batch.mesh, batch.n_samples, mode, batch.features_first)(w, b, batch.X, batch.y, self._rest()))

    def loss(self, w, b) -> float:
        """$C$ at (``w``, ``b``)."""
        return float(self._evaluate(Mode.LOSS, w, b).loss)

    def active_fraction(self, w, b) -> float:
        r"""The fraction of samples with $z_i = \mathbf{w}\cdot\mathbf{x}_i + b > 0$: 0 means the neuron is dead."""
        return float(self._evaluate(Mode.ACTIVE, w, b).count) / self.batch.n_samples

    def stable_learning_rate(self, fraction: float = 0.5) -> float:
        r"""``reference.training.stable_learning_rate`` of the whole batch: $\hat X^T\hat X$ summed on the
        devices (over every process's, across processes), in the batch's precision."""
        n_features = self.batch.n_features
        gram = self._evaluate(Mode.GRAM, np.zeros(n_features), 0.0)
        augmented = np.empty((n_features + 1, n_features + 1))
        augmented[:-1, :-1], augmented[:-1, -1], augmented[-1, :-1] = gram.products, gram.sums, gram.sums
        augmented[-1, -1] = gram.count
        return learning_rate_for_gram(augmented, fraction)

    def run(self, w, b, steps: int, *, learning_rate: float, gradient: str | Mode = "hand", first_step: int = 0) -> TrainResult:
        """``steps`` steps from (``w``, ``b``); raises :class:`TrainingDiverged` naming the step
        (counted from ``first_step``) where the loss stops being finite."""
        learning_rate = check_learning_rate(learning_rate)
        w, b = check_initial(w, b, self.batch.n_features)
        w, b, losses, final = self._call(gradient_mode(gradient), steps, w, b, learning_rate)
        return self._result(w, b, losses, final.loss, final.active, learning_rate, first_step)

    def check(self, w, b, steps: int, *, learning_rate: float, first_step: int = 0, signal: Callable = hand_signal) -> GradientCheck:
        """Like ``run`` with the hand gradient, also comparing it with ``jax.grad`` at every step.

        ``signal(z, y, n)`` replaces :func:`~verification.neuron.hand_signal` (to show that a wrong formula is caught).
        """
        learning_rate = check_learning_rate(learning_rate)
        w, b = check_initial(w, b, self.batch.n_features)
        w, b, (losses, gaps), final = self._call(Mode.BOTH, steps, w, b, learning_rate, signal)
        result = self._result(w, b, losses, final.loss, final.active, learning_rate, first_step)
        tolerance = (2 * self.batch.n_samples + 2) * float(np.finfo(self.dtype).eps)
        return GradientCheck(result=result, gaps=np.asarray(gaps), tolerance=tolerance)

    def sweep(self, w0, b0, learning_rates, steps: int, *, gradient: str | Mode = "hand") -> TrainResult:
        """K models in one compiled program (``jax.vmap``): ``w0`` (K, n), ``b0`` (K,),
        ``learning_rates`` (K,).  Non-finite losses are returned, not raised: a sweep is how
        one finds where the learning rate is too large."""
        mode = gradient_mode(gradient)
        w0 = np.asarray(w0, dtype=np.float64)
        b0 = np.asarray(b0, dtype=np.float64)
        rates = np.asarray(learning_rates, dtype=np.float64)
        if w0.ndim != 2 or w0.shape[1] != self.batch.n_features:
            raise ArgumentError("w0", f"expected shape (K, {self.batch.n_features}), got {w0.shape}")
        models = w0.shape[0]
        for name, value in (("b0", b0), ("learning_rates", rates)):
            if value.shape != (models,):
                raise ArgumentError(name, f"expected shape ({models},) to match w0, got {value.shape}")
        for rate in rates:
            check_learning_rate(float(rate))
        w, b, losses, final = self._call(mode, steps, w0, b0, rates)
        return TrainResult(w=w, b=b, losses=losses, final_loss=final.loss, active_fraction=final.active / self.batch.n_samples)

    def _result(self, w, b, losses, final_loss, active, learning_rate: float, first_step: int) -> TrainResult:
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            raise TrainingDiverged(first_step + int(bad[0]), float(losses[bad[0]]), learning_rate, self.stable_learning_rate())
        if not (np.isfinite(final_loss) and np.all(np.isfinite(w)) and np.isfinite(b)):
            raise TrainingDiverged(first_step + len(losses), float(final_loss), learning_rate, self.stable_learning_rate())
        active_fraction = float(active) / self.batch.n_samples
        return TrainResult(w=w, b=np.asarray(b), losses=losses, final_loss=np.asarray(final_loss), active_fraction=active_fraction)


def train_sweep(
    X, y, *, steps: int, learning_rates, seeds=None, gradient: str = "hand", dtype=np.float32, devices=None,
    block_rows: int | None = None,
) -> TrainResult:
    """K models, one per (learning rate, seed) pair, trained in one program with ``jax.vmap``.

    ``learning_rates`` and ``seeds`` broadcast against each other (a scalar and a list of K,
    or two lists of K); model k starts from ``initial_parameters(X, seed=seeds[k])``.  Returns
    a ``TrainResult`` whose arrays have a leading axis K.  Each model equals its own
    :func:`~verification.train.train` run up to rounding.
    """
    rates, seeds = np.broadcast_arrays(np.asarray(learning_rates, dtype=np.float64), np.asarray(0 if seeds is None else seeds))
    rates, seeds = np.atleast_1d(rates), np.atleast_1d(seeds)
    if rates.ndim != 1:
        raise ArgumentError("learning_rates", f"expected a scalar or a 1-D list, got shape {rates.shape}")
    trainer = Trainer.from_data(X, y, dtype=dtype, devices=devices, block_rows=block_rows, models=len(rates))
    starts = [initial_parameters(X, seed=int(s)) for s in seeds]
    return trainer.sweep([w for w, _ in starts], [b for _, b in starts], rates, steps, gradient=gradient)


def stepwise_gradient_check(
    X, y, *, steps: int, learning_rate: float, w0=None, b0=None, seed: int = 0, dtype=np.float64, devices=None,
    block_rows: int | None = None, signal: Callable = hand_signal,
) -> GradientCheck:
    """Train with the hand gradient and compare it with ``jax.grad`` at every step (see :class:`GradientCheck`)."""
    trainer = Trainer.from_data(X, y, dtype=dtype, devices=devices, block_rows=block_rows)  # checks X, y
    w0, b0 = initial_parameters(X, seed=seed, w0=w0, b0=b0)
    return trainer.check(w0, b0, steps, learning_rate=learning_rate, signal=signal)
