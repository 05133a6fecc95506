r"""What a check costs a user, measured end to end as a user makes the call (no report here).

Three measurements, each in a fresh process, so none inherits another's compiled programs:

- **call cost**: a warm :func:`verification.check_derivative` with the default lanes (the
  process's own lane here, the other in its helper process), median of :data:`CALLS` calls,
  against ``jax.test_util.check_grads(f, args, order=1, modes=("fwd", "rev"))`` in float64 on
  the same function and point (its process has 64-bit mode on, as check_grads needs); the first
  (cold) call apart;
- **a large input**: a vjp check of ``sin(x)·x`` at :data:`LARGE` entries in one lane, warm,
  against one warm jitted ``jax.vjp`` of the same ``f``, and how much the process's peak resident
  memory grows during the check, in arrays of the input's size; and whether a wrong derivative at
  that size is caught;
- **a pytest test**: a hypothesis test calling ``assert_derivative`` once per example (vectors of
  1 to 8 entries, :data:`EXAMPLES` examples) with the default lanes, and with the plugin's
  per-lane pattern (``dtype=derivative_dtype``), against the same test written with
  ``check_grads`` in float64: the test's own duration as pytest reports it.

``python -m verification.bench.checker MEASUREMENT`` runs one measurement in this process and
prints it as JSON; :func:`measure` runs each in a fresh process and collects them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.test_util import check_grads

from verification.check import check_derivative
from verification.precision import x64_enabled

CALLS = 20
"""Warm calls per function; the median is reported."""
LARGE = 1_000_000
"""Entries of the large input."""
EXAMPLES = 100
"""Hypothesis examples of the pytest measurement."""


@dataclass(frozen=True)
class CallCost:
    """One small function: the check's warm median and cold first call, and check_grads's median, in seconds."""

    name: str
    cold: float
    warm: float
    check_grads: float

    @property
    def ratio(self) -> float:
        return self.warm / self.check_grads


@dataclass(frozen=True)
class LargeInput:
    """The large-input vjp check: warm seconds, one jitted vjp's seconds, peak-memory growth in
    arrays of the input's size, and whether a wrong derivative was caught."""

    lane: str
    check: float
    vjp: float
    arrays: float
    caught: bool

    @property
    def ratio(self) -> float:
        return self.check / self.vjp


@dataclass(frozen=True)
class PytestPattern:
    """A hypothesis test's own duration, in seconds, with our checker and with check_grads."""

    pattern: str
    seconds: float
    check_grads: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.check_grads


# -------------------------------------------------------------------------------------------------
# The small functions of the call cost, each with its hand derivative


def _small_cases() -> dict[str, tuple[Callable, Callable, tuple]]:
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((20, 5)), rng.standard_normal(20)

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    return {
        "tanh-sum gradient, 8 entries": (lambda x: jnp.sum(jnp.tanh(x)), lambda x: 1 - np.tanh(x) ** 2,
                                         (np.linspace(-2.0, 2.0, 8),)),
        "softmax Jacobian, 6 entries": (jax.nn.softmax, lambda z: np.diag(softmax(z)) - np.outer(softmax(z), softmax(z)),
                                        (rng.standard_normal(6),)),
        "least squares, 20×5 matrix": (lambda w: jnp.sum((A @ w - b) ** 2), lambda w: 2 * A.T @ (A @ w - b),
                                       (rng.standard_normal(5),)),
    }


def _median_seconds(call: Callable[[], Any], count: int = CALLS) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _call_cost() -> dict:
    out = {}
    for name, (f, derivative, args) in _small_cases().items():
        started = time.perf_counter()
        assert check_derivative(f, derivative, *args).passed
        cold = time.perf_counter() - started
        out[name] = {"cold": cold, "warm": _median_seconds(functools.partial(check_derivative, f, derivative, *args))}
    return out


def _check_grads_cost() -> dict:
    assert x64_enabled(), "check_grads is measured in float64"
    out = {}
    for name, (f, _, args) in _small_cases().items():
        check_grads(f, args, order=1, modes=("fwd", "rev"))
        out[name] = {"warm": _median_seconds(functools.partial(check_grads, f, args, order=1, modes=("fwd", "rev")))}
    return out


def _large_input() -> dict:
    lane = "float64" if x64_enabled() else "float32"
    x = np.random.default_rng(0).standard_normal(LARGE).astype(lane)
    u = np.random.default_rng(1).standard_normal(LARGE).astype(lane)

    def f(x):
        return jnp.sin(x) * x

    def derivative(x, u):
        return (np.cos(x) * x + np.sin(x)) * u

    vjp = jax.jit(lambda x, u: jax.vjp(f, x)[1](u)[0])
    vjp(x, u).block_until_ready()
    one_vjp = _median_seconds(lambda: vjp(x, u).block_until_ready(), 5)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert check_derivative(f, derivative, x, form="vjp", dtype=lane).passed  # the first call compiles
    check = _median_seconds(lambda: check_derivative(f, derivative, x, form="vjp", dtype=lane), 3)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    wrong = check_derivative(f, lambda x, u: derivative(x, u) * (1 + 1e-3 * (np.arange(LARGE) == 7)), x,
                             form="vjp", dtype=lane)
    return {"lane": lane, "check": check, "vjp": one_vjp, "arrays": grown / x.nbytes, "caught": not wrong.passed}


# -------------------------------------------------------------------------------------------------
# The pytest patterns

_TEST_FILE = '''
import jax, jax.numpy as jnp, numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from jax.test_util import check_grads
from verification import assert_derivative

VECTORS = hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-3, 3))
SETTINGS = settings(max_examples={examples}, deadline=None, database=None, derandomize=True)

def f(x):
    return jnp.sum(jnp.tanh(x) ** 2)

def df(x):
    t = np.tanh(x)
    return 2 * t * (1 - t * t)

@SETTINGS
@given(VECTORS)
def test_default_lanes(x):
    assert_derivative(f, df, x)

@SETTINGS
@given(VECTORS)
def test_per_lane(derivative_dtype, x):
    assert_derivative(f, df, x, dtype=derivative_dtype)

@SETTINGS
@given(VECTORS)
def test_check_grads(x):
    check_grads(f, (x,), order=1, modes=("fwd", "rev"))
'''


def _pytest_durations(folder: Path, selection: str, env: dict[str, str]) -> dict[str, float]:
    """Each selected test's call duration, summed over its parametrizations (the plugin's lanes)."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0",
                          "--durations-min=0", "-k", selection, str(folder)],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        raise RuntimeError(f"the pytest measurement failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    totals: dict[str, float] = {}
    for seconds, name in re.findall(r"^([\d.]+)s call\s+\S+::(test_\w+)", run.stdout, flags=re.M):
        totals[name] = totals.get(name, 0.0) + float(seconds)
    return totals


def pytest_patterns(examples: int = EXAMPLES) -> list[PytestPattern]:
    """The two assert_derivative patterns against check_grads, each pytest run in its own process."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "test_patterns.py").write_text(_TEST_FILE.format(examples=examples), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if key not in ("JAX_ENABLE_X64", "HYPOTHESIS_PROFILE")}
        ours = _pytest_durations(path, "test_default_lanes or test_per_lane", env)
        theirs = _pytest_durations(path, "test_check_grads", {**env, "JAX_ENABLE_X64": "1"})
    baseline = theirs["test_check_grads"]
    return [PytestPattern("assert_derivative, default lanes", ours["test_default_lanes"], baseline),
            PytestPattern("assert_derivative(dtype=derivative_dtype), per lane (both)", ours["test_per_lane"],
                          baseline)]


# -------------------------------------------------------------------------------------------------
# Each measurement in a fresh process

MEASUREMENTS: dict[str, Callable[[], dict]] = {"call-cost": _call_cost, "check-grads": _check_grads_cost,
                                               "large-input": _large_input}


def in_fresh_process(measurement: str, *, x64: bool) -> dict:
    """Run ``measurement`` in a new Python process with 64-bit mode as asked; its JSON result."""
    env = {**os.environ, "JAX_ENABLE_X64": "1" if x64 else "0"}
    run = subprocess.run([sys.executable, "-m", "verification.bench.checker", measurement], env=env,
                         capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        raise RuntimeError(f"measurement {measurement} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def call_costs() -> list[CallCost]:
    ours, theirs = in_fresh_process("call-cost", x64=False), in_fresh_process("check-grads", x64=True)
    return [CallCost(name, ours[name]["cold"], ours[name]["warm"], theirs[name]["warm"]) for name in ours]


def large_input(*, x64: bool = True) -> LargeInput:
    return LargeInput(**in_fresh_process("large-input", x64=x64))


if __name__ == "__main__":
    print(json.dumps(MEASUREMENTS[sys.argv[1]]()))


__all__ = ["CALLS", "EXAMPLES", "LARGE", "MEASUREMENTS", "CallCost", "LargeInput", "PytestPattern", "call_costs",
           "in_fresh_process", "large_input", "pytest_patterns"]
