"""``train``: parse the options, call :class:`verification.train.Session`, print the outcome.

Output paths are checked before any work; errors and warnings go to stderr; Ctrl-C stops at
once, keeps the last checkpoint and says how to resume (exit 130).  ``register`` also adds
``bench`` (``verification.cli.bench``).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from jax.errors import JaxRuntimeError
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from reference.checks import check_data
from reference.training import TrainingDiverged
from verification.cli import bench as bench_command
from verification.cli.console import (
    INTERRUPTED,
    add_folding_column,
    add_whole_column,
    console,
    number,
    plural,
    positive_float,
    positive_int,
    print_error,
    table,
)
from verification.train import DeadNeuronWarning, Session, use_all_cores
from verification.train.checkpoint import PARAMETER_SUFFIXES, check_writable, fingerprint, save_parameters
from verification.train.data import load_data, planted_teacher, standardize
from verification.train.devices import request_cpu_devices, select_devices
from verification.train.distributed import check_same, join, leave, rows_of_process
from verification.train.errors import ArgumentError, dead_neuron_message

SHOWN_WEIGHTS = 8
"""Weights printed in the table; ``--output`` writes all of them."""
OPTIONS = {"target": "--target", "data": "--data", "checkpoint": "--checkpoint", "devices": "--devices",
           "X": "--data (X)", "y": "--data (y)", "steps": "--steps", "output": "--output", "plot": "--plot",
           "coordinator": "--coordinator", "num_processes": "--num-processes", "process_id": "--process-id",
           "timeout": "--join-timeout", "learning_rate": "--learning-rate"}
"""The library's argument names (``ArgumentError.argument``) and the option that sets each."""


def register(subparsers) -> None:
    """Add the ``train`` and ``bench`` subcommands."""
    train = subparsers.add_parser(
        "train",
        help="train the ReLU neuron by gradient descent (jax.jit)",
        description="Gradient descent on one ReLU neuron, C = 1/N Σ (y_i − max(0, w·x_i + b))², "
        "compiled with jax.jit. Trains on a planted teacher y = relu(X w* + b*) unless --data is given. "
        "Exit status: 0 trained, 1 diverged, dead neuron or gradients disagree, 2 bad input, 130 interrupted.",
    )
    data = train.add_argument_group("data")
    data.add_argument("--data", type=Path, help="a .csv file (with --target) or an .npz file holding arrays X and y")
    data.add_argument("--target", help="the CSV column holding the targets y; every other column is a feature")
    data.add_argument("--standardize", action="store_true",
                      help="train on features scaled to mean 0, variance 1; the weights are reported in the original units")
    data.add_argument("--samples", type=positive_int, default=1000, help="planted teacher: samples N (default 1000)")
    data.add_argument("--features", type=positive_int, default=10, help="planted teacher: features n (default 10)")
    data.add_argument("--seed", type=int, default=0, help="seed of the teacher and of the initial weights (default 0)")
    run = train.add_argument_group("training")
    run.add_argument("--steps", type=positive_int, default=1000, help="gradient-descent steps in all, resumed ones included (default 1000)")
    run.add_argument("--learning-rate", type=number, default=0.1, help="η > 0 (default 0.1)")  # checked by Session
    run.add_argument(
        "--gradient", choices=("hand", "autodiff", "both"), default="hand",
        help="the hand-derived gradient, jax.grad, or both: follow the hand gradient and compare it with jax.grad at every step",
    )
    run.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="(default float32)")
    run.add_argument("--devices", type=positive_int,
                     help="shard the batch over this many devices (on a CPU-only machine JAX is asked for this many CPU devices)")
    run.add_argument("--all-cores", action="store_true", help="one CPU device per core (verification.use_all_cores())")
    across = train.add_argument_group("across processes (jax.distributed: each process trains on its rows)")
    across.add_argument("--coordinator", metavar="HOST:PORT", help="process 0's address and a free port, the same for every process")
    across.add_argument("--num-processes", type=positive_int, metavar="K", help="how many processes train together")
    across.add_argument("--process-id", type=int, metavar="I", help="this process's index, 0 to K-1")
    across.add_argument("--distributed", action="store_true",
                        help="train across processes, detecting what the options above leave out from the cluster (SLURM, Open MPI)")
    across.add_argument("--join-timeout", type=positive_float, default=120, metavar="S",
                        help="seconds to wait for every process to join, then fail (default 120)")
    out = train.add_argument_group("output")
    out.add_argument("--output", type=Path, metavar="PATH", help="write w (all of it), b and the losses to a .npz or .json file")
    out.add_argument("--plot", type=Path, metavar="PNG", help="write the loss curve to this PNG (needs matplotlib)")
    out.add_argument("--checkpoint", type=Path, metavar="PATH",
                     help="save the state here every --checkpoint-every steps, and resume from it if it exists")
    out.add_argument("--checkpoint-every", type=positive_int, default=100, metavar="K", help="(default 100)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=run_train)
    bench_command.register(subparsers)


def library_error(error: Exception) -> int:
    """A library error on stderr; an argument the library names, by the option that sets it."""
    if isinstance(error, ArgumentError):
        return print_error(error.naming(OPTIONS.get(error.argument, error.argument)))
    return print_error(str(error))


def choose_devices(count: int | None, all_cores: bool):
    """Ask JAX for CPU devices as the options say (before it starts); the device count for the library."""
    if all_cores:
        use_all_cores()
    elif count is not None and count > 1:
        request_cpu_devices(count)
    return None if count is None else select_devices(count)


def install_hint() -> str:
    """How to install the plot extra: from this source checkout when there is one."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file():
        return f'pip install "{root}[plot]"' if Path.cwd().resolve() != root else 'pip install ".[plot]"'
    return 'pip install "matrix-calculus-verified[plot]"'


def pyplot():
    """matplotlib's pyplot, drawing to files; imported here because matplotlib is optional (the ``plot`` extra)."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"--plot needs matplotlib: {install_hint()}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load(args):
    """(X, y, feature names, teacher or None, a description of the data)."""
    if args.data is not None:
        data = load_data(args.data, args.target)
        return data.X, data.y, data.features, None, args.data.name
    if args.target is not None:
        raise ArgumentError("target", "names a column of a --data CSV file; there is no --data")
    teacher = planted_teacher(args.samples, args.features, seed=args.seed)
    name = f"planted teacher {args.samples:,} × {args.features} (seed {args.seed})"
    return teacher.X, teacher.y, tuple(f"x{j}" for j in range(args.features)), teacher, name


def join_processes(args, X, y):
    """Across processes (any of the options of that group): join the run, check that every process
    was given the same options and data, and return (the process, its rows); else (None, every row)."""
    if not (args.distributed or any(v is not None for v in (args.coordinator, args.num_processes, args.process_id))):
        return None, slice(None)
    X, y = check_data(X, y)  # now: a process that fails after joining would leave the others waiting
    process = join(args.coordinator, args.num_processes, args.process_id, timeout=args.join_timeout)
    options = ("steps", "learning_rate", "gradient", "dtype", "seed", "standardize", "checkpoint_every", "devices", "all_cores")
    settings = {"--" + name.replace("_", "-"): getattr(args, name) for name in options}
    check_same("give every process the same options and data", **settings, **{"--data": fingerprint(X, y)})
    return process, rows_of_process(len(y), process)


def leave_processes(status: int, message: str) -> int:
    """End this process of a run across processes now (see ``verification.train.distributed.leave``)."""
    leave(status, message)
    return status


def check_outputs(args) -> None:
    """Every output path writable now, before any work."""
    if args.output is not None:
        check_writable("output", args.output, PARAMETER_SUFFIXES)
    if args.checkpoint is not None:
        check_writable("checkpoint", args.checkpoint)
    if args.plot is not None:
        check_writable("plot", args.plot, (".png",))
        pyplot()


def run_train(args) -> int:
    """``python -m verification train``: see ``register``."""
    out, err = console(), console(stderr=True)
    try:
        check_outputs(args)
        X, y, features, teacher, data_name = load(args)
        scaled = standardize(X) if args.standardize else None
        process, rows = join_processes(args, scaled.X if scaled else X, y)  # before anything starts JAX
        devices = choose_devices(args.devices, args.all_cores)
        session = Session(
            (scaled.X if scaled else X)[rows], y[rows], learning_rate=args.learning_rate, gradient=args.gradient, dtype=args.dtype,
            devices=None if process else devices, seed=args.seed, checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every,
            across_processes=process is not None,
        )
    except (ValueError, TypeError, ImportError) as error:
        return library_error(error)
    if session.resumed_from:
        err.print(f"resuming from {escape(str(args.checkpoint))} at step {session.resumed_from:,}", highlight=False)

    mesh = session.trainer.batch.mesh.devices.ravel()
    described = {"hand": "hand gradient", "autodiff": "jax.grad", "both": "hand gradient checked against jax.grad"}[args.gradient]
    mode = f"{described}, {args.dtype}, {plural(len(mesh), mesh[0].platform + ' device')}"
    if process is not None:
        mode += f", process {process.index} of {process.count}"
    columns = (TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=err, disable=args.quiet, transient=True) as progress, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeadNeuronWarning)
            task = progress.add_task("train", total=args.steps, completed=min(session.step, args.steps), loss="?")
            result = session.run(args.steps, callback=lambda p: progress.update(task, completed=p.step, loss=f"{p.loss:.4g}"))
    except KeyboardInterrupt:
        status = interrupted(session, args)
        return status if process is None else leave_processes(status, "")
    except JaxRuntimeError as error:  # a collective failed: another process is gone
        if process is None:
            raise
        return leave_processes(1, f"error: lost the other processes ({str(error).splitlines()[0]})")
    except TrainingDiverged as error:
        print_error(error.naming(OPTIONS[error.argument]))
        return 1
    except ValueError as error:
        return library_error(error)

    w, b = (scaled.original(result.w, result.b) if scaled else (result.w, result.b))
    outcome = report(result, w, b, features, teacher, args, data_name, mode)
    status = 0
    if result.gradients_agree is False:
        status = 1
    dead = next((c.message for c in caught if isinstance(c.message, DeadNeuronWarning)), None)
    if dead is not None:
        status = 1 if dead.active_fraction == 0 else status
        remedy = ("lower --learning-rate" if args.standardize or teacher is not None
                  else "add --standardize (the features are on different scales), or lower --learning-rate")
        err.print(f"[bold yellow]warning:[/] {escape(dead_neuron_message(dead.active_fraction, remedy))}", highlight=False)
    try:
        if args.output is not None:
            save_parameters(args.output, w=w, b=b, losses=result.losses, final_loss=result.final_loss, features=features)
        if args.plot is not None:
            plot_losses(args.plot, result.losses, title=f"{data_name}\nlearning rate {args.learning_rate:g}, {described}")
    except (OSError, ValueError) as error:
        return library_error(error)
    out.print(outcome)
    return status


def interrupted(session, args) -> int:
    """Ctrl-C: say where the run stopped and how to resume it."""
    if session.saved_step:
        again = " ".join(["python -m verification", *sys.argv[1:]]) if sys.argv[1:] else "the same command"
        hint = (f"stopped after step {session.step:,}; {args.checkpoint} holds step {session.saved_step:,}: "
                f"resume with {again}")
    else:
        hint = f"stopped after step {session.step:,}; nothing saved (--checkpoint PATH makes a run resumable)"
    print(f"interrupted: {hint}", file=sys.stderr)
    return INTERRUPTED


def report(result, w, b, features, teacher, args, data_name: str, mode: str):
    """The outcome as a table (the first ``SHOWN_WEIGHTS`` weights; ``--output`` has them all)."""
    outcome = table(f"ReLU neuron on {data_name}: {len(result.losses):,} steps ({mode})")
    add_whole_column(outcome, "")
    add_folding_column(outcome, "")
    outcome.show_header = False
    outcome.add_row("learning rate", f"{args.learning_rate:g}")
    outcome.add_row("final loss", f"{float(result.final_loss):.6g}")
    outcome.add_row("active", f"{result.active_fraction:.1%} of the samples have w·x + b > 0")
    shown = min(len(w), SHOWN_WEIGHTS)
    more = f" … ({len(w)} in all: --output writes them)" if len(w) > shown else ""
    outcome.add_row("w", escape(", ".join(f"{n}={v:.6g}" for n, v in zip(features[:shown], w[:shown], strict=True))) + escape(more))
    outcome.add_row("b", f"{float(b):.6g}")
    if teacher is not None:
        outcome.add_row("max |w − w*|", f"{float(np.max(np.abs(w - teacher.w))):.3g}")
        outcome.add_row("|b − b*|", f"{abs(float(b) - float(teacher.b)):.3g}")
    if result.gaps is not None:
        gap, agree = float(np.max(result.gaps)), result.gradients_agree
        outcome.add_row("hand vs jax.grad", f"max step-wise gap {gap:.3g} of the term magnitude "
                      f"(tolerance {result.gradient_tolerance:.3g}): {'agree' if agree else 'DISAGREE'}")
    for name, path in (("checkpoint", args.checkpoint), ("output", args.output), ("loss curve", args.plot)):
        if path is not None:
            outcome.add_row(name, escape(str(path)))
    return outcome


def plot_losses(path: Path, losses: np.ndarray, title: str) -> None:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.semilogy(np.arange(len(losses)), np.maximum(losses, np.finfo(np.float64).tiny))
    axes.set(xlabel="step", ylabel="loss C(w, b)", title=title)
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120, metadata={"Title": title.replace("\n", "; ")})
    plt.close(figure)
