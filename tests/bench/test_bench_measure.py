"""The measurement (``verification.bench.measure``): every method is timed; speed itself is never
asserted (it is measured, in the docs)."""

from __future__ import annotations

import math

from verification.bench.measure import FULL, QUICK, Settings, run_benchmark, steps_for
from verification.bench.report import Method, markdown

TINY = Settings(sizes=((64, 3),), models=2, rounds=1, steps=20, probe_bytes=2**20)


def test_every_method_is_measured():
    report = run_benchmark(TINY, log=lambda _: None)
    assert {row.method for row in report.rows} == set(Method)
    assert {row.label for row in report.rows} >= {"jit vmap × 2", "numpy loop × 2"}
    for row in report.rows:
        assert (row.samples, row.features) == (64, 3)
        assert math.isfinite(row.ms_per_step) and row.ms_per_step >= 0
        assert (row.compile_s is not None) == (row.method in (Method.JIT_HAND, Method.JIT_AUTODIFF, Method.JIT_VMAP, Method.JIT_E2E))
        assert row.models == (2 if row.method.many_models else 1)
    assert report.bandwidth_gbs > 0 and report.roofline_ms(64, 3) > 0
    assert 0 < report.median_bandwidth_gbs <= report.bandwidth_gbs  # the roofline uses the best sample
    assert "cores" in report.machine and "JAX" in report.machine
    assert report.all_cores is False  # the test process keeps JAX's default configuration
    assert markdown(report).count("\n| 64 × 3 |") == len(report.rows)


def test_the_settings():
    assert FULL.sizes == ((1_000, 10), (100_000, 100), (1_000_000, 100)) and FULL.models == 64
    assert QUICK.models == 8 and max(s * n for s, n in QUICK.sizes) < 10**6
    assert steps_for(1_000, 10) == 10_000 and steps_for(10**8, 100) == 5  # 10 GB of X, within 5 to 10,000
