r"""Training one ReLU neuron by gradient descent with ``jax.jit``: the library behind ``python -m verification train``.

Public API (import from ``verification.train``; train with ``verification.train.train(X, y, ...)``,
or ``from verification.train import train``)::

    train(X, y, *, steps, learning_rate, gradient="hand", w0=None, b0=None, seed=0, dtype=np.float32,
          devices=None, block_rows=None, checkpoint=None, checkpoint_every=100, callback=None,
          across_processes=False) -> TrainResult
        One compiled program for all steps; with checkpoint/callback, a resumable Session run.
        TrainResult: w (n,), b (), losses (steps,), final_loss, active_fraction.
        Raises ArgumentError (.argument, .problem) for a bad argument; TrainingDiverged (.step, .value,
        .learning_rate, .suggested_learning_rate); warns DeadNeuronWarning (.active_fraction), at the
        caller's line, when at most 1 % of the samples end active.

    Session(X, y, *, learning_rate, gradient="hand"|"autodiff"|"both", dtype, devices, block_rows,
            w0, b0, seed, checkpoint=None, checkpoint_every=100, across_processes=False)
        .run(steps, *, callback=None, every=None) -> SessionResult (a TrainResult + resumed_from,
        gaps, gradient_tolerance, gradients_agree); .step and .saved_step (the step the checkpoint
        file holds: what survives a Ctrl-C); resumes from an existing checkpoint, refuses one of
        another run, and refuses steps below the checkpoint's step (ArgumentError naming ``steps``).
        callback(Progress(step, steps, loss)) after each chunk.

    Trainer(batch) or Trainer.from_data(X, y, *, dtype=np.float32, devices=None, block_rows=None,
                                        models=1, layout=None, across_processes=False)
        A batch placed once (.batch: layout.Batch; .batch.in_place, .batch.features_first,
        .batch.mesh); layout "rows" (X read in place when it can be) or "features" (a transposed
        copy); None: "features" up to 16 MiB of X, else "rows".
        .run(w, b, steps, *, learning_rate, gradient="hand", first_step=0) -> TrainResult
        .check(w, b, steps, *, learning_rate, first_step=0, signal=hand_signal) -> GradientCheck
        .sweep(w0 (K, n), b0 (K,), learning_rates (K,), steps, *, gradient) -> TrainResult with axis K
        .loss(w, b) -> float;  .active_fraction(w, b) -> float;  .stable_learning_rate() -> float

    prepare_batch(X, y, *, dtype, devices, block_rows, models, layout, across_processes) -> Batch
    train_sweep(X, y, *, steps, learning_rates, seeds=None, ...)   K models in one vmap program
    stepwise_gradient_check(X, y, *, steps, learning_rate, ...) -> GradientCheck (.gaps, .tolerance, .ok)
    initial_parameters(X, *, seed=0, w0=None, b0=None) -> (w0, b0): never a dead start
    stable_learning_rate(X, fraction=0.5) -> float: fraction / λ_max of (2/N) X̂ᵀX̂
    trajectory_tolerance(...), agreement_summary(steps=200, seed=0) -> dict
    compile_count() -> int: training programs compiled so far in this process

    Devices: use_all_cores() (before JAX starts: one CPU device per core), select_devices(devices),
    default_devices(n_samples, n_features, dtype, *, min_bytes, cache_bytes).  Precision:
    verification.precision (float32 never turns 64-bit mode on; float64 turns it on, scoped).
    Data (verification.train.data): planted_teacher, load_data, standardize -> Standardized(.X, .original(w, b)).
    Files (verification.train.checkpoint): check_writable(name, path, suffixes), save_parameters(path, *, w, b,
    losses, final_loss, features) (.npz or .json), Checkpoint, save_checkpoint, load_checkpoint, fingerprint.
    Across processes (verification.train.distributed): join(coordinator, num_processes, process_id, *, timeout)
    -> Process(.index, .count), before anything uses JAX (sets jax_cpu_collectives_implementation="gloo");
    rows_of_process(N, process) -> slice; then train/Session/Trainer.from_data(..., across_processes=True)
    on those rows (the start point: shared_initial_parameters, a collective).

Modules, one concern each, each importing only those before it: ``errors`` (what training
says), ``data`` and ``checkpoint`` (files), ``devices`` (where), ``start`` (the start point),
``distributed`` (joining processes, their collectives), ``layout`` (X and y on the devices, one
process or many), ``kernel`` (the compiled loop), ``trainer`` (Trainer and one-shot runs),
``session`` (resumable runs), ``agreement`` (how far two correct runs may differ).  The
benchmark is :mod:`verification.bench`.
"""

from reference.training import TrainingDiverged, TrainResult, stable_learning_rate
from verification.train.agreement import agreement_summary, trajectory_tolerance
from verification.train.devices import default_devices, select_devices, use_all_cores
from verification.train.errors import ArgumentError, DeadNeuronWarning
from verification.train.kernel import compile_count
from verification.train.layout import Batch, prepare_batch
from verification.train.session import Progress, Session, SessionResult, train
from verification.train.start import initial_parameters
from verification.train.trainer import GradientCheck, Trainer, stepwise_gradient_check, train_sweep

__all__ = [
    "ArgumentError",
    "Batch",
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
    "prepare_batch",
    "select_devices",
    "stable_learning_rate",
    "stepwise_gradient_check",
    "train",
    "train_sweep",
    "trajectory_tolerance",
    "use_all_cores",
]
