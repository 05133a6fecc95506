"""Speed of the training loops, side by side on the same data, against the memory roofline.

For each size (N, n) of float32 data, in interleaved rounds (so every method sees the same
state of the machine), this measures milliseconds per step of:

- the NumPy reference loop (``reference.train``);
- the jitted loop (``verification.train``) with the hand gradient and with ``jax.grad``, on one
  device and, if JAX sees several, data-parallel on all of them;
- K models: a loop of the NumPy reference over them, and the ``jax.vmap`` sweep;
- end to end, as a user calls it: ``reference.train`` against ``verification.train`` with the
  library's default devices, ``END_TO_END_STEPS`` steps, placing the data included (compiled
  once beforehand, its compile time reported apart), and the data setup (``Trainer(X, y)``) alone.

The configuration is the process's: JAX's default (one CPU device on a CPU-only machine), or
one CPU device per core after ``verification.use_all_cores()`` (``bench --all-cores``).

A step's time is ``(t(2S) - t(S)) / S`` for runs of S and 2S steps made back to back, which
cancels what a run pays once (checking the data, the final loss, dispatch); the median over
the rounds is kept.  The
jitted loops' compile time is reported separately.  The roofline is the time to read X once,
``X.nbytes`` over the best read bandwidth seen during the run (:class:`BandwidthProbe`,
sampled between the timings, so it sees the same states of the machine).
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import reference
from verification.train.data import planted_teacher
from verification.train.session import train as verification_train
from verification.train.trainer import Trainer, initial_parameters

FULL_SIZES = ((1_000, 10), (100_000, 100), (1_000_000, 100))
QUICK_SIZES = ((1_000, 10), (20_000, 20))
MODELS = 64
END_TO_END_STEPS = 100
NUMPY_E2E = "numpy reference, end to end"
JIT_E2E = "verification.train, end to end"
SETUP = "data setup (Trainer)"
BYTES_PER_RUN = 1e10
"""Steps per timed run: about this many bytes of X read (a run of S steps then lasts ~0.3 s or
more, so the difference t(2S) - t(S) is not lost in the machine's noise), between 5 and 10,000."""


@dataclass(frozen=True)
class Measurement:
    """One row of the benchmark: ``ms_per_step`` for all ``models`` together."""

    samples: int
    features: int
    method: str
    devices: int
    kernel: str
    models: int
    steps: int
    ms_per_step: float
    compile_s: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Report:
    """Every measurement, the read bandwidth and where it ran."""

    machine: str
    bandwidth_gbs: float
    rows: tuple[Measurement, ...]
    median_bandwidth_gbs: float | None = None
    """The median of the probe's samples: a machine's read bandwidth moves between states
    (with other jobs, with its memory's power states), and the median says where it usually is."""
    all_cores: bool = False
    """True when JAX was given one CPU device per core (``verification.use_all_cores()``)."""

    def roofline_ms(self, samples: int, features: int, bandwidth_gbs: float | None = None) -> float:
        """Time to read X (float32) once, in ms, at the best bandwidth seen (or at ``bandwidth_gbs``)."""
        bandwidth_gbs = self.bandwidth_gbs if bandwidth_gbs is None else bandwidth_gbs
        return samples * features * 4 / (bandwidth_gbs * 1e9) * 1e3

    @property
    def bandwidth_text(self) -> str:
        median = "" if self.median_bandwidth_gbs is None else f" (the best sample; median {self.median_bandwidth_gbs:.1f} GB/s)"
        return f"read bandwidth {self.bandwidth_gbs:.1f} GB/s{median}"

    def find(self, samples, features, method, devices=None) -> Measurement | None:
        rows = [
            r for r in self.rows
            if (r.samples, r.features, r.method) == (samples, features, method) and (devices is None or r.devices == devices)
        ]
        return min(rows, key=lambda r: r.ms_per_step) if rows else None

    def as_dict(self) -> dict:
        return {
            "machine": self.machine,
            "bandwidth_gbs": self.bandwidth_gbs,
            "median_bandwidth_gbs": self.median_bandwidth_gbs,
            "all_cores": self.all_cores,
            "rows": [asdict(r) for r in self.rows],
        }


def machine_description() -> str:
    """CPU model and cores, and the devices JAX sees."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    devices = jax.devices()
    kinds = sorted({d.device_kind for d in devices})
    return f"{model}, {os.cpu_count()} cores; JAX {jax.__version__} on {len(devices)} × {devices[0].platform} ({', '.join(kinds)})"


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


class BandwidthProbe:
    """The machine's read bandwidth, sampled again in every timing round.

    Reads an array of at least ``probe_bytes`` (past every cache) with ``X @ ones`` in NumPy (on
    CPU), and with a jitted ``jnp.max`` and ``X @ ones`` on one device and sharded over all of them.  The
    best time ever seen sets the bandwidth: the roofline is the smallest, so the ratios to it
    are the least flattering.  Every sample (the fastest reader of that moment) is kept in
    ``samples``, so the report can also say how far the machine moves.
    """

    def __init__(self, rows: int, features: int, devices):
        self.array = np.random.default_rng(0).standard_normal((rows, features), dtype=np.float32)
        self.readers: list[tuple[Callable[[], object], float]] = []  # (read, rows of the array / rows it reads)
        if devices[0].platform == "cpu":
            ones = np.ones(features, np.float32)
            self.readers.append((lambda: self.array @ ones, 1.0))
        maximum = jax.jit(jnp.max)
        product = jax.jit(lambda a: a @ jnp.ones(a.shape[1], a.dtype))
        for group in dict.fromkeys([(devices[0],), tuple(devices)]):
            kept = rows // len(group) * len(group)  # shard evenly
            on_device = jax.device_put(self.array[:kept], NamedSharding(Mesh(np.array(group), ("data",)), P("data")))
            for kernel in (maximum, product):
                self.readers.append((lambda a=on_device, f=kernel: f(a).block_until_ready(), rows / kept))
        self.samples: list[float] = []
        self.sample()  # compiles
        self.samples.clear()

    def sample(self) -> None:
        times = []
        for read, scale in self.readers:
            start = time.perf_counter()
            read()
            times.append((time.perf_counter() - start) * scale)
        self.samples.append(min(times))

    @property
    def gbs(self) -> float:
        """At the best sample."""
        return self.array.nbytes / min(self.samples) / 1e9

    @property
    def median_gbs(self) -> float:
        return self.array.nbytes / float(np.median(self.samples)) / 1e9


def _devices(count: int) -> str:
    return f"{count} device" if count == 1 else f"{count} devices"


def kernel_name(batch) -> str:
    """How the kernel reads X: feature-major (a copy) or row-major, in blocks or not."""
    return ("features" if batch.features_first else "rows") + (", blocked" if batch.blocked else "")


def _steps_for(samples: int, features: int) -> int:
    return int(min(10_000, max(5, BYTES_PER_RUN // (samples * features * 4))))


class _Timer:
    """A method timed as ``(t(2S) - t(S)) / S`` for runs of S and 2S steps made back to back in
    each round; the median over rounds is kept (a slow moment of the machine shifts both runs
    of a pair, and a spike in one pair does not move the median)."""

    def __init__(self, run: Callable[[int], object], steps: int, compiled: bool):
        self.run, self.steps = run, steps
        self.differences: list[float] = []
        self.longest: list[float] = []
        self.compile_s = None
        if compiled:  # the first call of each length compiles it
            start = time.perf_counter()
            run(steps)
            first = time.perf_counter() - start
            self.compile_s = max(0.0, first - _best(lambda: run(steps), 1))
            run(2 * steps)

    def round(self) -> None:
        start = time.perf_counter()
        self.run(self.steps)
        middle = time.perf_counter()
        self.run(2 * self.steps)
        end = time.perf_counter()
        self.differences.append((end - middle) - (middle - start))
        self.longest.append(end - middle)

    @property
    def ms_per_step(self) -> float:
        difference = float(np.median(self.differences))
        if difference <= 0:  # runs too short to tell apart: fall back to the longer run's average
            return min(self.longest) / (2 * self.steps) * 1e3
        return difference / self.steps * 1e3


def measure_size(
    samples: int, features: int, *, models: int, devices, rounds: int, steps: int | None = None, probe=None, log=print
) -> list[Measurement]:
    """All methods at one size, on one planted-teacher data set (float32); ``steps`` overrides
    the number of steps of a timed run."""
    teacher = planted_teacher(samples, features, seed=0, dtype=np.float32)
    X, y = teacher.X, teacher.y
    rate = 0.05
    w0, b0 = (v.astype(np.float32) for v in initial_parameters(X[:10_000], seed=0))
    starts = [initial_parameters(X[:10_000], seed=k) for k in range(models)]
    W0 = np.array([w for w, _ in starts], dtype=np.float32)
    B0 = np.array([b for _, b in starts], dtype=np.float32)
    rates = np.full(models, rate, dtype=np.float32)
    steps = steps or _steps_for(samples, features)
    sweep_steps = max(3, steps // 16)
    # Loop the NumPy reference over as many of the K models as fit in ~2 s a round (its cost
    # is exactly linear in the number of models); estimate ~10 GB/s of X per NumPy step.
    numpy_step_s = max(15e-6, samples * features * 4 / 10e9)
    numpy_models = max(1, min(models, int(2.0 / (3 * sweep_steps * numpy_step_s))))

    timers: dict[tuple, _Timer] = {}

    def numpy_loop(s: int, count: int = 1):
        for k in range(count):
            reference.train(X, y, steps=s, learning_rate=rate, w0=W0[k] if count > 1 else w0, b0=B0[k] if count > 1 else b0)

    log(f"  ({samples:,}, {features}): NumPy reference, {steps} and {2 * steps} steps")
    timers[("numpy reference", 1, "numpy", 1)] = _Timer(numpy_loop, steps, compiled=False)
    groups = [(devices[0],)] + ([tuple(devices)] if len(devices) > 1 else [])
    trainers = []
    for group in groups:
        trainer = Trainer(X, y, dtype=np.float32, devices=list(group))
        trainers.append(trainer)
        kernel = kernel_name(trainer.batch)
        for gradient in ("hand", "autodiff"):
            log(f"  ({samples:,}, {features}): jit {gradient}, {_devices(len(group))}, compiling")
            timers[(f"jit {gradient}", len(group), kernel, 1)] = _Timer(
                lambda s, t=trainer, g=gradient: t.run(w0, b0, s, learning_rate=rate, gradient=g), steps, compiled=True
            )
        sweeper = Trainer(X, y, dtype=np.float32, devices=list(group), models=models)
        trainers.append(sweeper)
        log(f"  ({samples:,}, {features}): jit vmap over {models} models, {_devices(len(group))}, compiling")
        timers[(f"jit vmap × {models}", len(group), kernel_name(sweeper.batch), models)] = _Timer(
            lambda s, t=sweeper: t.sweep(W0, B0, rates, s), sweep_steps, compiled=True
        )
    log(f"  ({samples:,}, {features}): NumPy loop over {numpy_models} of {models} models")
    timers[(f"numpy loop × {models}", 1, "numpy", models)] = _Timer(
        lambda s: numpy_loop(s, numpy_models), sweep_steps, compiled=False
    )
    log(f"  ({samples:,}, {features}): end to end, {END_TO_END_STEPS} steps, compiling")
    whole = _WholeRuns({
        NUMPY_E2E: lambda: reference.train(X, y, steps=END_TO_END_STEPS, learning_rate=rate, w0=w0, b0=b0),
        JIT_E2E: lambda: verification_train(X, y, steps=END_TO_END_STEPS, learning_rate=rate, w0=w0, b0=b0),
        SETUP: lambda: Trainer(X, y, dtype=np.float32),
    })
    for r in range(rounds):
        log(f"  ({samples:,}, {features}): round {r + 1} of {rounds}")
        for timer in [*timers.values(), whole]:
            timer.round()
            if probe is not None:
                probe.sample()

    rows = []
    for (method, count, kernel, k), timer in timers.items():
        ms = timer.ms_per_step
        note = ""
        if method.startswith("numpy loop") and numpy_models < models:
            ms *= models / numpy_models
            note = f"{numpy_models} of {models} models timed, scaled ×{models / numpy_models:g}"
        rows.append(Measurement(samples, features, method, count, kernel, k, timer.steps, ms, timer.compile_s, note))
    library = Trainer(X, y, dtype=np.float32)  # what verification.train places the data on
    count, kernel = library.batch.mesh.size, kernel_name(library.batch)
    del trainers, library
    for method, seconds in whole.medians().items():
        steps_run = 0 if method == SETUP else END_TO_END_STEPS
        ms = seconds * 1e3 / max(steps_run, 1)
        compile_s = whole.compile_s if method == JIT_E2E else None
        note = "ms in all, once per data set" if method == SETUP else f"ms/step over the whole call of {END_TO_END_STEPS} steps"
        numpy_kind = method == NUMPY_E2E
        rows.append(Measurement(samples, features, method, 1 if numpy_kind else count, "numpy" if numpy_kind else kernel, 1,
                                steps_run, ms, compile_s, note))
    return rows


class _WholeRuns:
    """Whole calls timed as they are, interleaved in each round; the median over rounds is kept.
    Each is called once first (compiling what it compiles; the jitted call's compile time is kept)."""

    def __init__(self, calls: dict[str, Callable[[], object]]):
        self.calls, self.times = calls, {name: [] for name in calls}
        start = time.perf_counter()
        calls[JIT_E2E]()
        first = time.perf_counter() - start
        self.compile_s = max(0.0, first - _best(calls[JIT_E2E], 1))
        for name, call in calls.items():
            if name != JIT_E2E:
                call()

    def round(self) -> None:
        for name, call in self.calls.items():
            start = time.perf_counter()
            call()
            self.times[name].append(time.perf_counter() - start)

    def medians(self) -> dict[str, float]:
        return {name: float(np.median(times)) for name, times in self.times.items()}


def run_benchmark(
    sizes=FULL_SIZES, *, models: int = MODELS, devices=None, rounds: int = 5, steps: int | None = None,
    probe_bytes: int = 256 * 2**20, log=print,
) -> Report:
    """Measure every size; see the module docstring.  The bandwidth is read on an array of at
    least ``probe_bytes`` (past every cache) and at least as large as the largest X."""
    devices = list(jax.devices() if devices is None else devices)
    largest = max(sizes, key=lambda s: s[0] * s[1])
    probe_rows = max(largest[0], probe_bytes // (4 * largest[1]))
    log(f"read bandwidth: a ({probe_rows:,}, {largest[1]}) float32 array, read between all timings")
    probe = BandwidthProbe(probe_rows, largest[1], devices)
    rows = []
    for samples, features in sizes:
        rows += measure_size(samples, features, models=models, devices=devices, rounds=rounds, steps=steps, probe=probe, log=log)
    probe.sample()  # once more after the last timing (and so never empty)
    all_cores = jax.devices()[0].platform == "cpu" and len(jax.devices()) > 1
    return Report(machine=machine_description(), bandwidth_gbs=probe.gbs, rows=tuple(rows),
                  median_bandwidth_gbs=probe.median_gbs, all_cores=all_cores)


@dataclass(frozen=True)
class Target:
    """One speed target, with the numbers it was judged on."""

    name: str
    met: bool
    detail: str


END_TO_END_TARGET = {False: 0.67, True: 0.4}
"""Largest ratio of ``verification.train`` to ``reference.train`` end to end at (1e6, 100):
with JAX's default configuration (False) and with one CPU device per core (True)."""
SETUP_TARGET_STEPS = 3
SMALL_TARGET = 0.3


def targets(report: Report, models: int = MODELS) -> list[Target]:
    """The speed targets, for the sizes that were measured."""
    out = []
    big = (1_000_000, 100)
    numpy_e2e, jit_e2e, setup = (report.find(*big, m) for m in (NUMPY_E2E, JIT_E2E, SETUP))
    if numpy_e2e and jit_e2e:
        limit, ratio = END_TO_END_TARGET[report.all_cores], jit_e2e.ms_per_step / numpy_e2e.ms_per_step
        config = "one CPU device per core" if report.all_cores else "JAX's default devices"
        out.append(Target(
            f"(1e6, 100) f32, {jit_e2e.steps} steps end to end, {config}: verification.train ≤ {limit}× NumPy",
            ratio <= limit,
            f"{jit_e2e.ms_per_step * jit_e2e.steps / 1e3:.2f} s / {numpy_e2e.ms_per_step * numpy_e2e.steps / 1e3:.2f} s = {ratio:.2f}×",
        ))
    jit_big = report.find(*big, "jit hand", jit_e2e.devices if jit_e2e else None)
    if setup and jit_big:
        in_steps = setup.ms_per_step / jit_big.ms_per_step
        out.append(Target(
            f"(1e6, 100) f32: data setup ≤ {SETUP_TARGET_STEPS} steps",
            in_steps <= SETUP_TARGET_STEPS,
            f"{setup.ms_per_step:.0f} ms = {in_steps:.2f} steps of {jit_big.ms_per_step:.1f} ms",
        ))
    numpy_big = report.find(*big, "numpy reference")
    if numpy_big and jit_big:
        roof = report.roofline_ms(*big)
        ratio = jit_big.ms_per_step / roof
        detail = f"{jit_big.ms_per_step:.1f} ms ({_devices(jit_big.devices)}, {jit_big.kernel}) = {ratio:.2f}× roofline {roof:.1f} ms"
        if report.median_bandwidth_gbs is not None:  # judged at the best bandwidth; the median is context
            usual = report.roofline_ms(*big, report.median_bandwidth_gbs)
            detail += f" ({jit_big.ms_per_step / usual:.2f}× the {usual:.1f} ms of a read at the median bandwidth)"
        out.append(Target("(1e6, 100) f32: jitted step ≤ 1.5× the one-read roofline", ratio <= 1.5, detail))
    small = (1_000, 10)
    numpy_small, jit_small = report.find(*small, "numpy reference"), report.find(*small, "jit hand")
    if numpy_small and jit_small:
        ratio = jit_small.ms_per_step / numpy_small.ms_per_step
        out.append(Target(
            f"(1e3, 10), {jit_small.steps:,}-step runs: jitted step ≤ {SMALL_TARGET}× NumPy's",
            ratio <= SMALL_TARGET,
            f"jit {jit_small.ms_per_step * 1e3:.1f} µs / NumPy {numpy_small.ms_per_step * 1e3:.1f} µs = {ratio:.2f}×",
        ))
    for samples, features in sorted({(r.samples, r.features) for r in report.rows}):
        loop = report.find(samples, features, f"numpy loop × {models}")
        sweep = report.find(samples, features, f"jit vmap × {models}")
        if loop and sweep:
            speedup = _ratio(loop.ms_per_step, sweep.ms_per_step)
            out.append(Target(
                f"({samples:,}, {features}): vmap over {models} models ≥ 10× the NumPy loop's throughput",
                speedup >= 10,
                f"NumPy loop {loop.ms_per_step:.1f} ms / vmap {sweep.ms_per_step:.1f} ms per step = {speedup:.1f}×",
            ))
    return out


def markdown(report: Report, models: int = MODELS) -> str:
    """The measurements and targets as GitHub-flavoured Markdown tables (for the README)."""
    lines = [
        f"Measured on {report.machine} ({configuration(report)}); {report.bandwidth_text}. "
        "ms per step (for all models of a row), median of the rounds; *vs NumPy* is the speed-up over the NumPy "
        "reference (over the NumPy loop for the K-model rows); *× roofline* is the time over the time to read X once.",
        "",
        "| N × n | method | devices | kernel | steps | ms/step | vs NumPy | × roofline | compile s |",
        "|---:|:---|---:|:---|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        speedup = speedup_over_numpy(report, row, models)
        roof = row.ms_per_step / report.roofline_ms(row.samples, row.features)
        compile_s = "" if row.compile_s is None else f"{row.compile_s:.2f}"
        method = row.method + (f" ({row.note})" if row.note else "")
        speed = "" if math.isnan(speedup) else f"{speedup:.2f}×"
        lines.append(
            f"| {row.samples:,} × {row.features} | {method} | {row.devices} | {row.kernel} | {row.steps:,} | "
            f"{row.ms_per_step:.4g} | {speed} | {roof:.2f} | {compile_s} |"
        )
    lines += ["", "| target | met | measured |", "|:---|:---|:---|"]
    for target in targets(report, models):
        lines.append(f"| {target.name} | {'yes' if target.met else '**no**'} | {target.detail} |")
    return "\n".join(lines) + "\n"


def configuration(report: Report) -> str:
    """Which JAX configuration the report was measured in."""
    return "one CPU device per core: verification.use_all_cores()" if report.all_cores else "JAX's default configuration"


def speedup_over_numpy(report: Report, row: Measurement, models: int = MODELS) -> float:
    """NumPy's time over this row's, for the same work (one model, or the loop over K)."""
    if row.method == SETUP:
        return math.nan
    if row.method in (JIT_E2E, NUMPY_E2E):
        baseline = NUMPY_E2E
    else:
        baseline = f"numpy loop × {models}" if row.models > 1 else "numpy reference"
    numpy_row = report.find(row.samples, row.features, baseline)
    return _ratio(numpy_row.ms_per_step, row.ms_per_step) if numpy_row else math.nan


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.inf


def readme_markers(report: Report) -> tuple[str, str]:
    """The lines that enclose this configuration's tables in the README."""
    name = "all-cores" if report.all_cores else "default"
    return f"<!-- bench: {name} -->", f"<!-- /bench: {name} -->"


def write_readme(path, report: Report, models: int = MODELS) -> None:
    """Replace the tables between :func:`readme_markers` in the file at ``path`` with :func:`markdown`."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    begin, end = readme_markers(report)
    if begin not in text or end not in text:
        raise ValueError(f"readme: {path} has no lines {begin} and {end} to write the tables between")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{markdown(report, models)}{end}{tail}", encoding="utf-8")
