"""The training benchmark's report: the measured rows, the targets they are judged against, and Markdown.

Rows are found by their :class:`Method` (and size, and devices), never by their label.  Every
derived number (speed-up over NumPy, times the roofline) is computed here once, in
:func:`figures`, for every renderer: :func:`markdown` for the docs, the command line's tables.
:func:`write_block` puts generated text between the marker lines of a docs page.
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from verification.train.errors import ArgumentError


class Method(enum.Enum):
    """What a row times; its value is the label shown (a K-model method adds `` × K``)."""

    NUMPY = "numpy reference"
    JIT_HAND = "jit hand"
    JIT_AUTODIFF = "jit autodiff"
    JIT_VMAP = "jit vmap"
    NUMPY_LOOP = "numpy loop"
    NUMPY_E2E = "numpy reference, end to end"
    JIT_E2E = "verification.train.train, end to end"
    SETUP = "data setup (Trainer.from_data)"

    @property
    def many_models(self) -> bool:
        """Whether the row times K models together."""
        return self in (Method.JIT_VMAP, Method.NUMPY_LOOP)

    def label(self, models: int = 1) -> str:
        return f"{self.value} × {models}" if self.many_models else self.value

    @property
    def baseline(self) -> Method | None:
        """The NumPy row that does the same work (None: the data setup has no NumPy twin)."""
        return BASELINES.get(self)


BASELINES = {
    Method.NUMPY: Method.NUMPY, Method.JIT_HAND: Method.NUMPY, Method.JIT_AUTODIFF: Method.NUMPY,
    Method.NUMPY_LOOP: Method.NUMPY_LOOP, Method.JIT_VMAP: Method.NUMPY_LOOP,
    Method.NUMPY_E2E: Method.NUMPY_E2E, Method.JIT_E2E: Method.NUMPY_E2E,
}

BIG = (1_000_000, 100)
"""The size of the memory-bound targets: X is 400 MB of float32, far past every cache."""
SMALL = (1_000, 10)
"""The size of the dispatch-bound target: a step is a few microseconds of arithmetic."""
END_TO_END_TARGET = {False: 0.67, True: 0.4}
"""Largest ratio of ``verification.train.train`` to ``reference.train`` end to end at ``BIG``:
with JAX's default configuration (False) and with one CPU device per core (True)."""
SETUP_TARGET_STEPS = 3
"""Placing the data at ``BIG`` may cost at most this many jitted steps."""
ROOFLINE_TARGET = 1.5
"""A jitted step at ``BIG`` may take at most this many times a single read of X."""
SMALL_TARGET = 0.3
"""At ``SMALL``, a jitted step may take at most this fraction of NumPy's."""
SWEEP_TARGET = 10
"""The vmap sweep must give at least this many times the NumPy loop's throughput."""


@dataclass(frozen=True)
class Measurement:
    """One row of the benchmark: ``ms_per_step`` for all ``models`` together."""

    samples: int
    features: int
    method: Method
    devices: int
    kernel: str
    models: int
    steps: int
    ms_per_step: float
    compile_s: float | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return self.method.label(self.models)


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

    @property
    def configuration(self) -> str:
        """Which JAX configuration the report was measured in."""
        return "one CPU device per core: verification.use_all_cores()" if self.all_cores else "JAX's default configuration"

    @property
    def block(self) -> str:
        """The name of this configuration's generated block in the docs (see :func:`write_block`)."""
        return block_name(self.all_cores)

    def find(self, size: tuple[int, int], method: Method, devices: int | None = None) -> Measurement | None:
        """The fastest row of ``method`` at ``size`` (on ``devices``, if given), or None."""
        rows = [r for r in self.rows
                if (r.samples, r.features) == size and r.method is method and (devices is None or r.devices == devices)]
        return min(rows, key=lambda r: r.ms_per_step) if rows else None

    def as_dict(self) -> dict:
        rows = [{**asdict(r), "method": r.label} for r in self.rows]
        return {"machine": self.machine, "bandwidth_gbs": self.bandwidth_gbs, "median_bandwidth_gbs": self.median_bandwidth_gbs,
                "all_cores": self.all_cores, "rows": rows}


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.inf


def speedup_over_numpy(report: Report, row: Measurement) -> float:
    """NumPy's time over this row's, for the same work (one model, or the loop over K); NaN without a NumPy twin."""
    baseline = row.method.baseline
    numpy_row = None if baseline is None else report.find((row.samples, row.features), baseline)
    return ratio(numpy_row.ms_per_step, row.ms_per_step) if numpy_row else math.nan


@dataclass(frozen=True)
class Figures:
    """A row's numbers as every table prints them."""

    ms_per_step: str
    speedup: str
    times_roofline: str
    compile_s: str


def figures(report: Report, row: Measurement) -> Figures:
    """``row``'s numbers as printed: ms per step, the speed-up over its NumPy twin (blank without
    one), times the roofline and the compile time (blank when nothing was compiled)."""
    speedup = speedup_over_numpy(report, row)
    return Figures(
        ms_per_step=f"{row.ms_per_step:.4g}",
        speedup="" if math.isnan(speedup) else f"{speedup:.2f}×",
        times_roofline=f"{row.ms_per_step / report.roofline_ms(row.samples, row.features):.2f}",
        compile_s="" if row.compile_s is None else f"{row.compile_s:.2f}",
    )


def devices_text(count: int) -> str:
    return f"{count} device" if count == 1 else f"{count} devices"


@dataclass(frozen=True)
class Target:
    """One speed target, with the numbers it was judged on."""

    name: str
    met: bool
    detail: str


def targets(report: Report) -> list[Target]:
    """The speed targets, for the sizes that were measured."""
    out = []
    numpy_e2e, jit_e2e, setup = (report.find(BIG, m) for m in (Method.NUMPY_E2E, Method.JIT_E2E, Method.SETUP))
    if numpy_e2e and jit_e2e:
        limit, measured = END_TO_END_TARGET[report.all_cores], jit_e2e.ms_per_step / numpy_e2e.ms_per_step
        config = "one CPU device per core" if report.all_cores else "JAX's default devices"
        out.append(Target(
            f"(1e6, 100) f32, {jit_e2e.steps} steps end to end, {config}: verification.train.train ≤ {limit}× NumPy",
            measured <= limit,
            f"{jit_e2e.ms_per_step * jit_e2e.steps / 1e3:.2f} s / {numpy_e2e.ms_per_step * numpy_e2e.steps / 1e3:.2f} s = {measured:.2f}×",
        ))
    jit_big = report.find(BIG, Method.JIT_HAND, jit_e2e.devices if jit_e2e else None)
    if setup and jit_big:
        in_steps = setup.ms_per_step / jit_big.ms_per_step
        out.append(Target(
            f"(1e6, 100) f32: data setup ≤ {SETUP_TARGET_STEPS} steps",
            in_steps <= SETUP_TARGET_STEPS,
            f"{setup.ms_per_step:.0f} ms = {in_steps:.2f} steps of {jit_big.ms_per_step:.1f} ms",
        ))
    if report.find(BIG, Method.NUMPY) and jit_big:
        roof = report.roofline_ms(*BIG)
        measured = jit_big.ms_per_step / roof
        detail = f"{jit_big.ms_per_step:.1f} ms ({devices_text(jit_big.devices)}, {jit_big.kernel}) = {measured:.2f}× roofline {roof:.1f} ms"
        if report.median_bandwidth_gbs is not None:  # judged at the best bandwidth; the median is context
            usual = report.roofline_ms(*BIG, report.median_bandwidth_gbs)
            detail += f" ({jit_big.ms_per_step / usual:.2f}× the {usual:.1f} ms of a read at the median bandwidth)"
        out.append(Target(f"(1e6, 100) f32: jitted step ≤ {ROOFLINE_TARGET}× the one-read roofline", measured <= ROOFLINE_TARGET, detail))
    numpy_small, jit_small = report.find(SMALL, Method.NUMPY), report.find(SMALL, Method.JIT_HAND)
    if numpy_small and jit_small:
        measured = jit_small.ms_per_step / numpy_small.ms_per_step
        out.append(Target(
            f"(1e3, 10), {jit_small.steps:,}-step runs: jitted step ≤ {SMALL_TARGET}× NumPy's",
            measured <= SMALL_TARGET,
            f"jit {jit_small.ms_per_step * 1e3:.1f} µs / NumPy {numpy_small.ms_per_step * 1e3:.1f} µs = {measured:.2f}×",
        ))
    for size in sorted({(r.samples, r.features) for r in report.rows}):
        loop, sweep = report.find(size, Method.NUMPY_LOOP), report.find(size, Method.JIT_VMAP)
        if loop and sweep:
            speedup = ratio(loop.ms_per_step, sweep.ms_per_step)
            out.append(Target(
                f"({size[0]:,}, {size[1]}): vmap over {sweep.models} models ≥ {SWEEP_TARGET}× the NumPy loop's throughput",
                speedup >= SWEEP_TARGET,
                f"NumPy loop {loop.ms_per_step:.1f} ms / vmap {sweep.ms_per_step:.1f} ms per step = {speedup:.1f}×",
            ))
    return out


def markdown(report: Report) -> str:
    """The measurements and targets as GitHub-flavoured Markdown tables (for the docs)."""
    lines = [
        f"Measured on {report.machine} ({report.configuration}); {report.bandwidth_text}. "
        "ms per step (for all models of a row), median of the rounds; *vs NumPy* is the speed-up over the NumPy "
        "reference (over the NumPy loop for the K-model rows); *× roofline* is the time over the time to read X once.",
        "",
        "| N × n | method | devices | kernel | steps | ms/step | vs NumPy | × roofline | compile s |",
        "|---:|:---|---:|:---|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        shown = figures(report, row)
        method = row.label + (f" ({row.note})" if row.note else "")
        lines.append(
            f"| {row.samples:,} × {row.features} | {method} | {row.devices} | {row.kernel} | {row.steps:,} | "
            f"{shown.ms_per_step} | {shown.speedup} | {shown.times_roofline} | {shown.compile_s} |"
        )
    lines += ["", "| target | met | measured |", "|:---|:---|:---|"]
    for target in targets(report):
        lines.append(f"| {target.name} | {'yes' if target.met else '**no**'} | {target.detail} |")
    return "\n".join(lines) + "\n"


DOCS = Path("docs/benchmarks.md")
"""The docs page the training benchmark writes its tables into, relative to the project's root."""


def block_name(all_cores: bool) -> str:
    """The generated block of the docs that holds the tables of a configuration."""
    return "training-all-cores" if all_cores else "training"


def markers(name: str) -> tuple[str, str]:
    """The lines that enclose generated block ``name`` in a docs page."""
    return f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"


def _block(path: Path, name: str) -> tuple[list[str], int, int]:
    """The file's lines and the indices of block ``name``'s two marker lines."""
    begin, end = markers(name)
    if not path.is_file():
        raise ArgumentError("path", f"no such file {path}")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    stripped = [line.rstrip("\r\n") for line in lines]
    try:
        first = stripped.index(begin)
        return lines, first, stripped.index(end, first + 1)
    except ValueError:
        raise ArgumentError("path", f"{path} has no lines {begin} and {end} (in that order) to write block {name!r} between") from None


def check_block(path, name: str) -> Path:
    """``path`` as a Path, once it is known to hold block ``name`` (before any work that would fill it)."""
    path = Path(path)
    _block(path, name)
    return path


def write_block(path, name: str, text: str) -> None:
    """Replace what stands between the two :func:`markers` lines of block ``name`` in the file at ``path`` with ``text``.

    Raises:
        ArgumentError: naming ``path``: no such file, or it lacks either marker line.
    """
    path = Path(path)
    lines, first, last = _block(path, name)
    body = text if not text or text.endswith("\n") else text + "\n"
    path.write_text("".join(lines[: first + 1]) + body + "".join(lines[last:]), encoding="utf-8")
