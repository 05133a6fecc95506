"""Resumable training runs: progress, checkpoints, divergence and a dead neuron, for Python callers.

A :class:`Session` places the data once and runs gradient descent in chunks.  After each chunk
it calls ``callback`` with a :class:`Progress` and, with a ``checkpoint`` path, saves the state
there atomically; a new session on the same path resumes from it.  Chunks end at multiples of
``checkpoint_every``, so a run interrupted at any moment and resumed with the same arguments
repeats exactly the computation of an uninterrupted one, bit for bit.

At the end the final parameters are checked for a dead neuron: when no sample (or almost
none) has $z_i > 0$, the gradient is 0 (or nearly) and training cannot move, whatever the
number of steps; a :class:`~verification.train.errors.DeadNeuronWarning` says so and names the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference.checks import check_steps
from reference.training import TrainResult
from verification.train.checkpoint import Checkpoint, check_writable, fingerprint, load_checkpoint, save_checkpoint
from verification.train.distributed import check_same, shared_initial_parameters
from verification.train.errors import ArgumentError, check_learning_rate, warn_if_dead
from verification.train.kernel import Mode, gradient_mode
from verification.train.start import initial_parameters
from verification.train.trainer import Trainer

SESSION_GRADIENTS = (Mode.HAND, Mode.AUTODIFF, Mode.BOTH)
PROGRESS_UPDATES = 100


@dataclass(frozen=True)
class Progress:
    """Where a run stands after a chunk: ``step`` of ``steps`` done, and the loss there."""

    step: int
    steps: int
    loss: float


@dataclass(frozen=True)
class SessionResult(TrainResult):
    """A :class:`~reference.TrainResult` over the whole run (resumed steps included), plus:

    Attributes:
        resumed_from: the step the run resumed from (0 for a fresh run).
        gaps: with ``gradient="both"``, the step-wise gap between the hand gradient and
            ``jax.grad`` (see :class:`~verification.train.GradientCheck`) for the steps run in this session.
        gradient_tolerance: the tolerance for ``gaps``.
    """

    resumed_from: int = 0
    gaps: np.ndarray | None = None
    gradient_tolerance: float | None = None

    @property
    def gradients_agree(self) -> bool | None:
        if self.gaps is None:
            return None
        return bool(np.all(self.gaps <= self.gradient_tolerance))


class Session:
    """A resumable run on X and y; see the module docstring.

    Args:
        X, y, dtype, devices, block_rows, w0, b0, seed: as for :func:`verification.train.train`.
        learning_rate: $\\eta > 0$.
        gradient: ``"hand"``, ``"autodiff"``, or ``"both"``: follow the hand gradient and compare
            it with ``jax.grad`` at every step.
        checkpoint: a path: resume from it if it exists, save to it after every chunk.  Refused
            if it belongs to another run (other data, learning rate, gradient or dtype).
        checkpoint_every: steps per chunk with a checkpoint.
        across_processes: X and y are this process's rows of a run across processes, joined with
            :func:`verification.train.distributed.join`; every process makes its own Session.

    Attributes:
        step: steps taken so far; ``saved_step``: the step the checkpoint file holds (None without one).
    """

    def __init__(
        self, X, y, *, learning_rate: float, gradient: str | Mode = "hand", dtype=np.float32, devices=None,
        block_rows: int | None = None, w0=None, b0=None, seed: int = 0, checkpoint=None, checkpoint_every: int = 100,
        across_processes: bool = False,
    ):
        self.learning_rate = check_learning_rate(learning_rate)
        self.gradient = gradient_mode(gradient, SESSION_GRADIENTS)
        self.checkpoint_every = check_steps(checkpoint_every)
        self.checkpoint = None if checkpoint is None else check_writable("checkpoint", checkpoint)
        self.trainer = Trainer.from_data(X, y, dtype=dtype, devices=devices, block_rows=block_rows, across_processes=across_processes)
        self._settings = {"learning_rate": self.learning_rate, "gradient": self.gradient.value, "dtype": str(self.trainer.dtype)}
        self._data = fingerprint(np.asarray(X), np.asarray(y)) if self.checkpoint is not None else ""
        self.step, self.saved_step, self._losses = 0, None, []
        if across_processes:  # collectives, run by every process in this order whether it resumes or not
            w0, b0 = shared_initial_parameters(X, seed=seed, w0=w0, b0=b0)
        if self.checkpoint is not None and self.checkpoint.exists():
            saved = load_checkpoint(self.checkpoint)
            different = saved.mismatch(data=self._data, **self._settings)
            if different:
                raise ArgumentError("checkpoint", f"{self.checkpoint} belongs to another run ({different}); remove it or choose another path")
            self.step = self.saved_step = self.resumed_from = saved.step
            self.w, self.b, self._losses = saved.w, saved.b, [saved.losses]
        else:
            self.resumed_from = 0
            self.w, self.b = initial_parameters(X, seed=seed, w0=w0, b0=b0)
        if across_processes:  # a process resuming from another step would wait for the others forever
            check_same("every process's checkpoint must hold the same step (or none)", checkpoint=self.step)

    def run(self, steps: int, *, callback: Callable[[Progress], object] | None = None, every: int | None = None) -> SessionResult:
        """Continue until ``steps`` steps in all have been taken (counting resumed ones).

        ``callback(Progress)`` is called after each chunk: every ``checkpoint_every`` steps with
        a checkpoint, else every ``every`` steps (default: about 100 updates in all).

        Raises:
            ValueError: ``steps`` is below the step the checkpoint already reached.
            TrainingDiverged: the loss became NaN or inf (names the step and a stable learning rate).
        """
        steps = check_steps(steps)
        if steps < self.step:
            raise ArgumentError(
                "steps",
                f"the checkpoint {self.checkpoint} is already at step {self.step:,}, past the {steps:,} asked for; "
                f"ask for at least {self.step:,} steps, or remove the checkpoint to start again",
            )
        if self.checkpoint is not None:
            chunk = self.checkpoint_every
        else:
            chunk = check_steps(every) if every is not None else max(1, math.ceil(steps / PROGRESS_UPDATES))
        final_loss, active, gaps, tolerance = None, None, [], None
        while self.step < steps:
            count = min(chunk - self.step % chunk, steps - self.step)  # chunks end at multiples of chunk
            if self.gradient is Mode.BOTH:
                check = self.trainer.check(self.w, self.b, count, learning_rate=self.learning_rate, first_step=self.step)
                result, tolerance = check.result, check.tolerance
                gaps.append(check.gaps)
            else:
                result = self.trainer.run(self.w, self.b, count, learning_rate=self.learning_rate, gradient=self.gradient, first_step=self.step)
            self.w, self.b, self.step = result.w, result.b, self.step + count
            final_loss, active = float(result.final_loss), result.active_fraction
            self._losses.append(result.losses)
            if self.checkpoint is not None:
                losses = np.concatenate(self._losses).astype(self.trainer.dtype)
                save_checkpoint(self.checkpoint, Checkpoint(self.step, self.w, self.b, losses, learning_rate=self.learning_rate,
                                                            gradient=self.gradient.value, dtype=str(self.trainer.dtype), data=self._data))
                self.saved_step = self.step
            if callback is not None:
                callback(Progress(self.step, steps, final_loss))
        if final_loss is None:  # resumed a run that was already complete
            final_loss = self.trainer.loss(self.w, self.b)
        if active is None:
            active = self.trainer.active_fraction(self.w, self.b)
        warn_if_dead(active)
        losses = np.concatenate(self._losses) if self._losses else np.zeros(0, self.trainer.dtype)
        return SessionResult(
            w=self.w, b=np.asarray(self.b), losses=losses, final_loss=np.asarray(final_loss), active_fraction=active,
            resumed_from=self.resumed_from, gaps=np.concatenate(gaps) if gaps else None, gradient_tolerance=tolerance,
        )


def train(
    X, y, *, steps: int, learning_rate: float, gradient: str | Mode = "hand", w0=None, b0=None, seed: int = 0,
    dtype=np.float32, devices=None, block_rows: int | None = None, checkpoint=None, checkpoint_every: int = 100,
    callback: Callable[[Progress], object] | None = None, across_processes: bool = False,
) -> TrainResult:
    r"""Gradient descent on $C(\mathbf{w}, b, X, \mathbf{y})$, all ``steps`` in one compiled program.

    Args:
        X: samples as rows, shape (N, n).  Read in place when it is C-contiguous ``dtype``.
        y: targets, shape (N,).
        steps: number of updates, at least 1.
        learning_rate: $\eta > 0$.
        gradient: ``"hand"`` (``verification.neuron.loss_and_grads``) or ``"autodiff"`` (``jax.value_and_grad``).
        w0, b0: start point, shapes (n,) and (); each defaults to :func:`initial_parameters`
            with ``seed``, which never starts the neuron dead.
        seed: seed of the default ``w0``.
        dtype: ``np.float32`` or ``np.float64`` (end to end, in a scoped ``jax.enable_x64``).
        devices: a count, a list of devices, or ``None``: every visible device when X is large
            enough for sharding to pay, else one.  The batch is sharded over them and the
            parameters replicated.
        block_rows: rows per block of X (default: chosen from the cache sizes).
        checkpoint, checkpoint_every, callback: a resumable run in chunks (:class:`Session`):
            resume from ``checkpoint`` if it exists, save it every ``checkpoint_every`` steps,
            call ``callback(Progress)`` after each chunk.
        across_processes: X and y are this process's rows; the run spans every process joined
            with :func:`verification.train.distributed.join` (each calls ``train``), and returns
            the same parameters on each.

    Returns:
        ``reference.TrainResult`` of NumPy arrays: ``w`` (n,), ``b`` (), ``losses`` (steps,),
        the loss before each step, ``final_loss`` and ``active_fraction``.

    Raises:
        TypeError, ValueError: a bad argument, named in the message.
        TrainingDiverged: the loss became NaN or inf (names the step and a stable learning rate).

    Warns:
        DeadNeuronWarning: at the end, no sample or fewer than 1 % is active (at the caller's line).
    """
    if checkpoint is not None or callback is not None or across_processes:
        session = Session(
            X, y, learning_rate=learning_rate, gradient=gradient_mode(gradient), dtype=dtype, devices=devices,
            block_rows=block_rows, w0=w0, b0=b0, seed=seed, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
            across_processes=across_processes,
        )
        return session.run(steps, callback=callback)
    trainer = Trainer.from_data(X, y, dtype=dtype, devices=devices, block_rows=block_rows)  # checks X, y
    w0, b0 = initial_parameters(X, seed=seed, w0=w0, b0=b0)
    result = trainer.run(w0, b0, steps, learning_rate=learning_rate, gradient=gradient)
    warn_if_dead(result.active_fraction)
    return result
