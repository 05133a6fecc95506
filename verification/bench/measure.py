"""Speed of the training loops, side by side on the same data, against the memory roofline.

For each size (N, n) of float32 data, in interleaved rounds (so every method sees the same
state of the machine), this measures milliseconds per step of:

- the NumPy reference loop (``reference.train``);
- the jitted loop (``verification.train``) with the hand gradient and with ``jax.grad``, on one
  device and, if JAX sees several, data-parallel on all of them;
- K models: a loop of the NumPy reference over them, and the ``jax.vmap`` sweep;
- end to end, as a user calls it: ``reference.train`` against ``verification.train.train`` with
  the library's default devices, ``END_TO_END_STEPS`` steps, placing the data included (compiled
  once beforehand, its compile time reported apart), and the data setup
  (``Trainer.from_data(X, y)``) alone.

The configuration is the process's: JAX's default (one CPU device on a CPU-only machine), or
one CPU device per core after ``verification.use_all_cores()`` (``bench --all-cores``).

A step's time is ``(t(2S) - t(S)) / S`` for runs of S and 2S steps made back to back, which
cancels what a run pays once (checking the data, the final loss, dispatch); the median over
the rounds is kept.  The jitted loops' compile time is reported separately.  The roofline is
the time to read X once, ``X.nbytes`` over the best read bandwidth seen during the run
(:class:`BandwidthProbe`, sampled between the timings, so it sees the same states of the machine).
The results are a :class:`~verification.bench.report.Report`.
"""

from __future__ import annotations

import functools
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import reference
from verification.bench.report import Measurement, Method, Report, devices_text
from verification.train import Trainer, initial_parameters, train
from verification.train.data import planted_teacher

FULL_SIZES = ((1_000, 10), (100_000, 100), (1_000_000, 100))
MODELS = 64
END_TO_END_STEPS = 100
BYTES_PER_RUN = 1e10
"""Steps per timed run: about this many bytes of X read (a run of S steps then lasts ~0.3 s or
more, so the difference t(2S) - t(S) is not lost in the machine's noise), between 5 and 10,000."""
RATE = 0.05
"""The learning rate of every timed run: stable on the planted teacher's standard normal X."""


@dataclass(frozen=True)
class Settings:
    """What a benchmark run measures: ``sizes`` (N, n), ``models`` K for the sweeps, ``rounds``,
    ``steps`` of a timed run (None: about ``BYTES_PER_RUN`` of X read) and the bandwidth probe's
    least size (past every cache)."""

    sizes: tuple[tuple[int, int], ...] = FULL_SIZES
    models: int = MODELS
    rounds: int = 5
    steps: int | None = None
    probe_bytes: int = 256 * 2**20


FULL = Settings()
QUICK = Settings(sizes=((1_000, 10), (20_000, 20)), models=8, rounds=2, steps=500, probe_bytes=64 * 2**20)
"""Small sizes, few models, rounds and steps, a small bandwidth probe: well under 30 s."""


def all_cores() -> bool:
    """Whether JAX runs one CPU device per core (several CPU devices): ``verification.use_all_cores()``."""
    return jax.devices()[0].platform == "cpu" and len(jax.devices()) > 1


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

    def __init__(self, rows: int, features: int, devices: Sequence[jax.Device]):
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
                self.readers.append((functools.partial(_read, kernel, on_device), rows / kept))
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


def _read(kernel: Callable[[jax.Array], jax.Array], array: jax.Array) -> None:
    kernel(array).block_until_ready()


def kernel_name(batch) -> str:
    """How the kernel reads X: feature-major (a copy) or row-major, in blocks or not."""
    return ("features" if batch.features_first else "rows") + (", blocked" if batch.blocked else "")


def steps_for(samples: int, features: int) -> int:
    """Steps of a timed run that read about ``BYTES_PER_RUN`` of X, between 5 and 10,000."""
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


class _WholeRuns:
    """Whole calls timed as they are, interleaved in each round; the median over rounds is kept.
    Each is called once first (compiling what it compiles; the jitted call's compile time is kept)."""

    def __init__(self, calls: dict[Method, Callable[[], object]]):
        self.calls: dict[Method, Callable[[], object]] = calls
        self.times: dict[Method, list[float]] = {method: [] for method in calls}
        start = time.perf_counter()
        calls[Method.JIT_E2E]()
        first = time.perf_counter() - start
        self.compile_s = max(0.0, first - _best(calls[Method.JIT_E2E], 1))
        for method, call in calls.items():
            if method is not Method.JIT_E2E:
                call()

    def round(self) -> None:
        for method, call in self.calls.items():
            start = time.perf_counter()
            call()
            self.times[method].append(time.perf_counter() - start)

    def medians(self) -> dict[Method, float]:
        return {method: float(np.median(times)) for method, times in self.times.items()}


def measure_size(
    samples: int, features: int, *, models: int, devices: Sequence[jax.Device], rounds: int, steps: int | None = None,
    probe: BandwidthProbe | None = None, log: Callable[[str], object] = print,
) -> list[Measurement]:
    """All methods at one size, on one planted-teacher data set (float32); ``steps`` overrides
    the number of steps of a timed run."""
    teacher = planted_teacher(samples, features, seed=0, dtype=np.float32)
    X, y = teacher.X, teacher.y
    w0, b0 = (v.astype(np.float32) for v in initial_parameters(X[:10_000], seed=0))
    starts = [initial_parameters(X[:10_000], seed=k) for k in range(models)]
    W0 = np.array([w for w, _ in starts], dtype=np.float32)
    B0 = np.array([b for _, b in starts], dtype=np.float32)
    rates = np.full(models, RATE, dtype=np.float32)
    steps = steps or steps_for(samples, features)
    sweep_steps = max(3, steps // 16)
    # Loop the NumPy reference over as many of the K models as fit in ~2 s a round (its cost
    # is exactly linear in the number of models); estimate ~10 GB/s of X per NumPy step.
    numpy_step_s = max(15e-6, samples * features * 4 / 10e9)
    numpy_models = max(1, min(models, int(2.0 / (3 * sweep_steps * numpy_step_s))))
    where = f"({samples:,}, {features})"

    def numpy_loop(s: int, count: int = 1):
        for k in range(count):
            reference.train(X, y, steps=s, learning_rate=RATE, w0=W0[k] if count > 1 else w0, b0=B0[k] if count > 1 else b0)

    timers: dict[tuple[Method, int, str, int], _Timer] = {}
    log(f"  {where}: NumPy reference, {steps} and {2 * steps} steps")
    timers[(Method.NUMPY, 1, "numpy", 1)] = _Timer(numpy_loop, steps, compiled=False)
    groups = [(devices[0],)] + ([tuple(devices)] if len(devices) > 1 else [])
    trainers = []
    for group in groups:
        trainer = Trainer.from_data(X, y, dtype=np.float32, devices=list(group))
        trainers.append(trainer)
        for method, gradient in ((Method.JIT_HAND, "hand"), (Method.JIT_AUTODIFF, "autodiff")):
            log(f"  {where}: jit {gradient}, {devices_text(len(group))}, compiling")
            timers[(method, len(group), kernel_name(trainer.batch), 1)] = _Timer(
                functools.partial(trainer.run, w0, b0, learning_rate=RATE, gradient=gradient), steps, compiled=True
            )
        sweeper = Trainer.from_data(X, y, dtype=np.float32, devices=list(group), models=models)
        trainers.append(sweeper)
        log(f"  {where}: jit vmap over {models} models, {devices_text(len(group))}, compiling")
        timers[(Method.JIT_VMAP, len(group), kernel_name(sweeper.batch), models)] = _Timer(
            functools.partial(sweeper.sweep, W0, B0, rates), sweep_steps, compiled=True
        )
    log(f"  {where}: NumPy loop over {numpy_models} of {models} models")
    timers[(Method.NUMPY_LOOP, 1, "numpy", models)] = _Timer(lambda s: numpy_loop(s, numpy_models), sweep_steps, compiled=False)
    log(f"  {where}: end to end, {END_TO_END_STEPS} steps, compiling")
    whole = _WholeRuns({
        Method.NUMPY_E2E: lambda: reference.train(X, y, steps=END_TO_END_STEPS, learning_rate=RATE, w0=w0, b0=b0),
        Method.JIT_E2E: lambda: train(X, y, steps=END_TO_END_STEPS, learning_rate=RATE, w0=w0, b0=b0),
        Method.SETUP: lambda: Trainer.from_data(X, y, dtype=np.float32),
    })
    for r in range(rounds):
        log(f"  {where}: round {r + 1} of {rounds}")
        timed: list[_Timer | _WholeRuns] = [*timers.values(), whole]
        for timer in timed:
            timer.round()
            if probe is not None:
                probe.sample()

    rows = []
    for (method, count, kernel, k), timer in timers.items():
        ms = timer.ms_per_step
        note = ""
        if method is Method.NUMPY_LOOP and numpy_models < models:
            ms *= models / numpy_models
            note = f"{numpy_models} of {models} models timed, scaled ×{models / numpy_models:g}"
        rows.append(Measurement(samples, features, method, count, kernel, k, timer.steps, ms, timer.compile_s, note))
    library = Trainer.from_data(X, y, dtype=np.float32)  # what verification.train.train places the data on
    count, kernel = library.batch.mesh.size, kernel_name(library.batch)
    del trainers, library
    for method, seconds in whole.medians().items():
        steps_run = 0 if method is Method.SETUP else END_TO_END_STEPS
        ms = seconds * 1e3 / max(steps_run, 1)
        compile_s = whole.compile_s if method is Method.JIT_E2E else None
        note = "ms in all, once per data set" if method is Method.SETUP else f"ms/step over the whole call of {END_TO_END_STEPS} steps"
        numpy_kind = method is Method.NUMPY_E2E
        rows.append(Measurement(samples, features, method, 1 if numpy_kind else count, "numpy" if numpy_kind else kernel, 1,
                                steps_run, ms, compile_s, note))
    return rows


def run_benchmark(settings: Settings = FULL, *, devices: Sequence[jax.Device] | None = None,
                  log: Callable[[str], object] = print) -> Report:
    """Measure every size of ``settings``; see the module docstring.  The bandwidth is read on an
    array of at least ``settings.probe_bytes`` and at least as large as the largest X."""
    devices = list(jax.devices() if devices is None else devices)
    largest = max(settings.sizes, key=lambda s: s[0] * s[1])
    probe_rows = max(largest[0], settings.probe_bytes // (4 * largest[1]))
    log(f"read bandwidth: a ({probe_rows:,}, {largest[1]}) float32 array, read between all timings")
    probe = BandwidthProbe(probe_rows, largest[1], devices)
    rows = []
    for samples, features in settings.sizes:
        rows += measure_size(samples, features, models=settings.models, devices=devices, rounds=settings.rounds,
                             steps=settings.steps, probe=probe, log=log)
    probe.sample()  # once more after the last timing (and so never empty)
    return Report(machine=machine_description(), bandwidth_gbs=probe.gbs, rows=tuple(rows),
                  median_bandwidth_gbs=probe.median_gbs, all_cores=all_cores())
