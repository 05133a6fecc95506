"""The ``train`` and ``bench`` subcommands of ``python -m verification``.

``register(subparsers)`` adds them to the main parser; each sets ``func``, which takes the
parsed arguments and returns the exit status (0 done, 1 training failed or disagreed,
2 bad input).  ``python -m verification.cli.train`` runs them on their own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

PROGRESS_UPDATES = 100
_FLAGS = {"target": "--target", "data": "--data", "checkpoint": "--checkpoint", "devices": "--devices", "X": "--data (X)", "y": "--data (y)"}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _size(text: str) -> tuple[int, int]:
    try:
        samples, features = (int(float(part)) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SAMPLESxFEATURES such as 1e6x100, got {text!r}") from None
    if samples < 1 or features < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return samples, features


def register(subparsers) -> None:
    """Add the ``train`` and ``bench`` subcommands to the CLI's subparsers."""
    train = subparsers.add_parser(
        "train",
        help="train the ReLU neuron by gradient descent (jax.jit)",
        description="Gradient descent on one ReLU neuron, C = 1/N Σ (y_i − max(0, w·x_i + b))², "
        "compiled with jax.jit. Trains on a planted teacher y = relu(X w* + b*) unless --data is given.",
    )
    data = train.add_argument_group("data")
    data.add_argument("--data", type=Path, help="a .csv file (with --target) or an .npz file holding arrays X and y")
    data.add_argument("--target", help="the CSV column holding the targets y; every other column is a feature")
    data.add_argument("--samples", type=_positive_int, default=1000, help="planted teacher: samples N (default 1000)")
    data.add_argument("--features", type=_positive_int, default=10, help="planted teacher: features n (default 10)")
    data.add_argument("--seed", type=int, default=0, help="seed of the teacher and of the initial weights (default 0)")
    run = train.add_argument_group("training")
    run.add_argument("--steps", type=_positive_int, default=1000, help="gradient-descent steps (default 1000)")
    run.add_argument("--learning-rate", type=_positive_float, default=0.1, help="η (default 0.1)")
    run.add_argument(
        "--gradient",
        choices=("hand", "autodiff", "both"),
        default="hand",
        help="the hand-derived gradient, jax.grad, or both: follow the hand gradient and compare it with jax.grad at every step",
    )
    run.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="(default float32)")
    run.add_argument(
        "--devices", type=_positive_int, help="shard the batch over this many devices (default: all JAX sees, "
        "if X is at least 8 MiB a device; on a CPU-only machine JAX is asked for this many CPU devices)"
    )
    out = train.add_argument_group("output")
    out.add_argument("--plot", type=Path, metavar="PNG", help="write the loss curve to this PNG (needs matplotlib: the 'plot' extra)")
    out.add_argument("--checkpoint", type=Path, metavar="PATH", help="write the state here every --checkpoint-every steps, and resume from it if it exists")
    out.add_argument("--checkpoint-every", type=_positive_int, default=100, metavar="K", help="(default 100)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=run_train)

    bench = subparsers.add_parser(
        "bench",
        help="time the NumPy and jitted training loops against the memory roofline",
        description="Milliseconds per step of the NumPy reference loop, the jitted loop (hand and autodiff), "
        "and a vmap sweep of K models against a NumPy loop over them, side by side on float32 planted-teacher data, "
        "with each time as a multiple of the time to read X once.",
    )
    bench.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    bench.add_argument("--sizes", type=_size, nargs="+", metavar="NxD", help="sizes to run, e.g. 1e3x10 1e7x100 (default 1e3x10 1e5x100 1e6x100)")
    bench.add_argument("--models", type=_positive_int, default=64, help="K for the vmap sweep (default 64)")
    bench.add_argument("--rounds", type=_positive_int, default=5, help="interleaved timing rounds; the median is kept (default 5)")
    bench.add_argument("--devices", type=_positive_int, help="devices for the data-parallel rows (default: all; on a CPU-only machine, one per core)")
    bench.add_argument("--steps", type=_positive_int, help="steps of a timed run (default: about 1 GB of X read, 5 to 10,000)")
    bench.add_argument("--json", type=Path, metavar="PATH", help="also write the measurements as JSON")
    bench.add_argument("--markdown", action="store_true", help="print Markdown tables (for the README) instead")
    bench.set_defaults(func=run_bench)


def _error(console: Console, message: str) -> int:
    name, _, rest = message.partition(":")
    if name in _FLAGS and rest:
        message = f"{_FLAGS[name]}:{rest}"
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return 2


def _devices(count: int | None):
    """``count`` devices, or None: the library's default (every device when X is large enough).

    JAX is first asked for ``count`` CPU devices, or one per core, so that on a CPU-only machine
    the data-parallel kernel has a device on every core.
    """
    from verification.training import request_cpu_devices, select_devices

    wanted = count or os.cpu_count() or 1
    if wanted > 1:
        request_cpu_devices(wanted)
    return None if count is None else select_devices(count)


def _load(args) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], object]:
    from verification.data import load_data, planted_teacher

    if args.data is not None:
        data = load_data(args.data, args.target)
        return data.X, data.y, data.features, None
    if args.target is not None:
        raise ValueError("target: names a column of a --data CSV file; there is no --data")
    teacher = planted_teacher(args.samples, args.features, seed=args.seed)
    return teacher.X, teacher.y, tuple(f"x{j}" for j in range(args.features)), teacher


def run_train(args, console: Console | None = None) -> int:
    """``python -m verification train``: see ``register``."""
    from reference.training import TrainingDiverged
    from verification.checkpoint import Checkpoint, fingerprint, load_checkpoint, save_checkpoint
    from verification.training import Trainer, initial_parameters

    console = console or Console()
    try:
        devices = _devices(args.devices)
        X, y, features, teacher = _load(args)
        trainer = Trainer(X, y, learning_rate=args.learning_rate, dtype=args.dtype, devices=devices)
        devices = trainer.batch.mesh.devices.ravel()
        if args.plot is not None:
            _pyplot()  # fail before training, not after
    except (ValueError, TypeError, ImportError) as error:
        return _error(console, str(error))

    gradient = "hand" if args.gradient == "both" else args.gradient
    settings = {"learning_rate": args.learning_rate, "gradient": args.gradient, "dtype": args.dtype}
    data_id = fingerprint(X, y) if args.checkpoint else ""
    w, b = initial_parameters(X, seed=args.seed)
    step, losses, gaps, final_loss = 0, [], [], None
    if args.checkpoint is not None and args.checkpoint.exists():
        try:
            saved = load_checkpoint(args.checkpoint)
        except ValueError as error:
            return _error(console, str(error))
        different = saved.mismatch(data=data_id, **settings)
        if different:
            return _error(console, f"checkpoint: {args.checkpoint} belongs to another run ({different}); remove it or choose another path")
        step, w, b, losses = saved.step, saved.w, saved.b, list(saved.losses)
        console.print(f"resuming from {escape(str(args.checkpoint))} at step {step:,}", highlight=False)

    chunk = args.checkpoint_every if args.checkpoint else max(1, -(-args.steps // PROGRESS_UPDATES))
    described = {"hand": "hand gradient", "autodiff": "jax.grad", "both": "hand gradient checked against jax.grad"}[args.gradient]
    mode = f"{described}, {args.dtype}, {len(devices)} {devices[0].platform} device(s)"
    columns = (TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=args.quiet, transient=False) as progress:
        task = progress.add_task("train", total=args.steps, completed=min(step, args.steps), loss=f"{losses[-1]:.4g}" if losses else "?")
        while step < args.steps:
            count = min(chunk - step % chunk, args.steps - step)  # chunks end at multiples of K: resumed runs repeat them exactly
            try:
                if args.gradient == "both":
                    check = trainer.check(w, b, count, first_step=step)
                    result = check.result
                    gaps.append(check.gaps)
                else:
                    result = trainer.run(w, b, count, gradient=gradient, first_step=step)
            except TrainingDiverged as error:
                progress.stop()
                console.print(f"[bold red]error:[/] {escape(str(error))} (try --learning-rate {args.learning_rate / 10:g})", highlight=False)
                return 1
            w, b, step, final_loss = result.w, result.b, step + count, float(result.final_loss)
            losses.extend(result.losses.tolist())
            if args.checkpoint is not None:
                save_checkpoint(args.checkpoint, Checkpoint(step, w, b, np.asarray(losses, dtype=w.dtype), data=data_id, **settings))
            progress.update(task, completed=step, loss=f"{final_loss:.4g}")
    if final_loss is None:  # resumed a run that was already complete
        final_loss = float(trainer.run(w, b, 1, gradient=gradient).losses[0])

    table = Table(title=f"ReLU neuron, {len(y):,} samples × {X.shape[1]} features ({mode})", show_header=False)
    table.add_row("steps", f"{step:,} at learning rate {args.learning_rate:g}")
    table.add_row("final loss", f"{final_loss:.6g}")
    shown = min(len(w), 8)
    table.add_row("w", escape(", ".join(f"{n}={v:.6g}" for n, v in zip(features[:shown], w[:shown], strict=True))) + (" …" if len(w) > shown else ""))
    table.add_row("b", f"{float(b):.6g}")
    status = 0
    if teacher is not None:
        table.add_row("max |w − w*|", f"{float(np.max(np.abs(w - teacher.w))):.3g}")
        table.add_row("|b − b*|", f"{abs(float(b) - float(teacher.b)):.3g}")
    if gaps:
        gap, tolerance = float(np.max(np.concatenate(gaps))), check.tolerance
        agree = gap <= tolerance
        table.add_row("hand vs jax.grad", f"max step-wise gap {gap:.3g} of the term magnitude (tolerance {tolerance:.3g}): {'agree' if agree else 'DISAGREE'}")
        status = 0 if agree else 1
    if args.checkpoint is not None:
        table.add_row("checkpoint", escape(str(args.checkpoint)))
    if args.plot is not None:
        _plot_losses(args.plot, np.asarray(losses), title=mode)
        table.add_row("loss curve", escape(str(args.plot)))
    console.print(table)
    return status


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install 'matrix-calculus-verified[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_losses(path: Path, losses: np.ndarray, title: str) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.semilogy(np.arange(len(losses)), np.maximum(losses, np.finfo(np.float64).tiny))
    axes.set(xlabel="step", ylabel="loss C(w, b)", title=title)
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_bench(args, console: Console | None = None) -> int:
    """``python -m verification bench``: see ``register``."""
    from verification import bench

    console = console or Console()
    try:
        devices = _devices(args.devices)  # None: every device (one per core on CPU)
    except (ValueError, TypeError) as error:
        return _error(console, str(error))
    sizes = args.sizes or (bench.QUICK_SIZES if args.quick else bench.FULL_SIZES)
    report = bench.run_benchmark(
        sizes, models=args.models, devices=devices, rounds=args.rounds, steps=args.steps,
        log=lambda m: console.print(m, style="dim", highlight=False),
    )
    if args.markdown:
        console.print(bench.markdown(report, args.models), markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(format_report(report, args.models))
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_dict(), indent=2))
    return 0


def format_report(report, models: int):
    """The benchmark as a rich table, followed by the targets."""
    from rich.console import Group

    from verification.bench import speedup_over_numpy, targets

    table = Table(title=f"{report.machine}\n{report.bandwidth_text}; times in ms per step (median of the rounds)")
    for name in ("N × n", "method", "devices", "kernel", "steps", "ms/step", "vs NumPy", "× roofline", "compile s"):
        table.add_column(name, justify="left" if name in ("method", "kernel") else "right")
    for row in report.rows:
        speedup = speedup_over_numpy(report, row, models)
        roof = row.ms_per_step / report.roofline_ms(row.samples, row.features)
        table.add_row(
            f"{row.samples:,} × {row.features}",
            row.method + (f" [dim]({row.note})[/]" if row.note else ""),
            str(row.devices),
            row.kernel,
            f"{row.steps:,}",
            f"{row.ms_per_step:.4g}",
            f"{speedup:.2f}×",
            f"{roof:.2f}",
            "" if row.compile_s is None else f"{row.compile_s:.2f}",
        )
    goals = Table(title="targets (issue 3)", show_header=True)
    for name in ("target", "met", "measured"):
        goals.add_column(name)
    for target in targets(report, models):
        goals.add_row(target.name, "[green]yes[/]" if target.met else "[red]no[/]", target.detail)
    return Group(table, goals)


def main(argv=None) -> int:
    """Run ``train`` or ``bench`` without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m verification.cli.train")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
