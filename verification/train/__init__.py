r"""Training one ReLU neuron by gradient descent with ``jax.jit``: the library behind ``python -m verification train``.

Public API (import from ``verification.train``; the package itself, called, is the function
:func:`train`: ``verification.train(X, y, steps=..., learning_rate=...)``)::

    train(X, y, *, steps, learning_rate, gradient="hand", w0=None, b0=None, seed=0, dtype=np.float32,
          devices=None, block_rows=None, checkpoint=None, checkpoint_every=100, callback=None) -> TrainResult
        One compiled program for all steps; with checkpoint/callback, a resumable Session run.
        TrainResult: w (n,), b (), losses (steps,), final_loss, active_fraction.
        Raises TrainingDiverged (.step, .value, .learning_rate, .suggested_learning_rate);
        warns DeadNeuronWarning (.active_fraction) when at most 1 % of the samples end active.

    Session(X, y, *, learning_rate, gradient="hand"|"autodiff"|"both", dtype, devices, block_rows,
            w0, b0, seed, checkpoint=None, checkpoint_every=100)
        .run(steps, *, callback=None, every=None) -> SessionResult (a TrainResult + resumed_from,
        gaps, gradient_tolerance, gradients_agree); .step and .saved_step (the step the checkpoint
        file holds: what survives a Ctrl-C); resumes from an existing checkpoint, refuses one of
        another run, and refuses steps below the checkpoint's step (ValueError naming ``steps``).
        callback(Progress(step, steps, loss)) after each chunk.

    Trainer(X, y, *, dtype=np.float32, devices=None, block_rows=None, models=1, layout=None)
        The data placed once (.batch: layout.Batch; .batch.in_place, .batch.features_first,
        .batch.mesh); layout "rows" (X read in place when it can be) or "features" (a transposed
        copy); None: "features" up to 16 MiB of X, else "rows".
        .run(w, b, steps, *, learning_rate, gradient="hand", first_step=0) -> TrainResult
        .check(w, b, steps, *, learning_rate, first_step=0, signal=hand_signal) -> GradientCheck
        .sweep(w0 (K, n), b0 (K,), learning_rates (K,), steps, *, gradient) -> TrainResult with axis K
        .loss(w, b) -> float;  .active_fraction(w, b) -> float

    train_sweep(X, y, *, steps, learning_rates, seeds=None, ...)   K models in one vmap program
    stepwise_gradient_check(X, y, *, steps, learning_rate, ...) -> GradientCheck (.gaps, .tolerance, .ok)
    initial_parameters(X, *, seed=0, w0=None, b0=None) -> (w0, b0): never a dead start
    stable_learning_rate(X, fraction=0.5) -> float: fraction / λ_max of (2/N) X̂ᵀX̂
    trajectory_tolerance(...), agreement_summary(steps=200, seed=0) -> dict
    compile_count() -> int: training programs compiled so far in this process

    Devices: use_all_cores() (before JAX starts: one CPU device per core), select_devices(devices),
    default_devices(n_samples, n_features, dtype, *, min_bytes, cache_bytes), numerics(dtype).
    Data (verification.train.data): planted_teacher, load_data, standardize -> Standardized(.X, .original(w, b)).
    Files (verification.train.checkpoint): check_writable(name, path, suffixes), save_parameters(path, *, w, b,
    losses, final_loss, features) (.npz or .json), Checkpoint, save_checkpoint, load_checkpoint, fingerprint.
    Across processes (verification.train.distributed): join(coordinator, num_processes, process_id, *, timeout)
    -> Process(.index, .count), before anything uses JAX (sets jax_cpu_collectives_implementation="gloo");
    rows_of_process(N, process) -> slice; then train/Session/Trainer(..., across_processes=True) on those rows.

Modules, one concern each: ``devices`` (where), ``layout`` (X and y on the devices), ``kernel``
(the compiled loop), ``trainer`` (Trainer and one-shot runs), ``session`` (resumable runs),
``agreement`` (how far two correct runs may differ), ``distributed`` (across processes), ``data``,
``checkpoint``, ``bench``.
"""

import inspect
import sys
import types

from reference.training import TrainingDiverged, TrainResult, stable_learning_rate
from verification.train.agreement import agreement_summary, trajectory_tolerance
from verification.train.devices import default_devices, numerics, select_devices, use_all_cores
from verification.train.kernel import compile_count
from verification.train.session import DeadNeuronWarning, Progress, Session, SessionResult, train
from verification.train.trainer import GradientCheck, Trainer, initial_parameters, stepwise_gradient_check, train_sweep

__all__ = [
    "DeadNeuronWarning",
    "GradientCheck",
    "Progress",
    "Session",
    "SessionResult",
    "TrainResult",
    "Trainer",
    "TrainingDiverged",
    "agreement_summary",
    "compile_count",
    "default_devices",
    "initial_parameters",
    "numerics",
    "select_devices",
    "stable_learning_rate",
    "stepwise_gradient_check",
    "train",
    "train_sweep",
    "trajectory_tolerance",
    "use_all_cores",
]


class _CallablePackage(types.ModuleType):
    """This package, which trains when called: ``verification.train(X, y, ...)`` is
    :func:`train`, whichever of the two an import reached first (importing a submodule binds the
    package itself to the name ``verification.train``)."""

    def __call__(self, *args, **kwargs) -> TrainResult:
        return train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
__signature__ = inspect.signature(train)
