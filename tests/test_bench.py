"""The benchmark runs and reports; speed itself is never asserted (it is measured, in README)."""

from __future__ import annotations

import argparse
import io
import json
import math

import jax
import pytest
from rich.console import Console

from verification import bench
from verification.bench import Measurement, Report, markdown, run_benchmark, targets
from verification.cli.train import _size, format_report, register

TINY = ((64, 3),)


def cli(*argv) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="verification")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    buffer = io.StringIO()
    return args.func(args, console=Console(file=buffer, width=240, no_color=True)), buffer.getvalue()


def test_every_method_is_measured():
    report = run_benchmark(TINY, models=2, rounds=1, steps=20, probe_bytes=2**20, log=lambda _: None)
    methods = {row.method for row in report.rows}
    assert methods == {"numpy reference", "jit hand", "jit autodiff", "jit vmap × 2", "numpy loop × 2"}
    for row in report.rows:
        assert (row.samples, row.features) == (64, 3)
        assert math.isfinite(row.ms_per_step) and row.ms_per_step >= 0
        assert (row.compile_s is not None) == row.method.startswith("jit")
        assert row.models == (2 if "× 2" in row.method else 1)
    assert report.bandwidth_gbs > 0 and report.roofline_ms(64, 3) > 0
    assert 0 < report.median_bandwidth_gbs <= report.bandwidth_gbs  # the roofline uses the best sample
    assert "cores" in report.machine and "JAX" in report.machine
    console = Console(file=io.StringIO(), width=200)
    console.print(format_report(report, 2))
    assert "numpy reference" in console.file.getvalue()
    assert markdown(report, 2).count("\n| 64 × 3 |") == len(report.rows)


def _report(numpy_big, jit_big, numpy_small, jit_small, loop, sweep) -> Report:
    """Hand-made measurements; bandwidth 40 GB/s makes the (1e6, 100) roofline exactly 10 ms."""
    rows = [
        Measurement(1_000_000, 100, "numpy reference", 1, "numpy", 1, 10, numpy_big),
        Measurement(1_000_000, 100, "jit hand", 2, "blocked", 1, 10, jit_big, 1.0),
        Measurement(1_000, 10, "numpy reference", 1, "numpy", 1, 10_000, numpy_small),
        Measurement(1_000, 10, "jit hand", 1, "plain", 1, 10_000, jit_small, 0.2),
        Measurement(1_000, 10, "numpy loop × 64", 1, "numpy", 64, 625, loop),
        Measurement(1_000, 10, "jit vmap × 64", 1, "plain", 64, 625, sweep, 0.3),
    ]
    return Report(machine="test", bandwidth_gbs=40.0, rows=tuple(rows))


@pytest.mark.parametrize(
    "numbers, met",
    [
        ((30.0, 15.0, 0.016, 0.005, 1.0, 0.1), [True, True, True, True]),  # 1.5× roofline, 2×, 3.2×, 10×
        ((30.0, 15.1, 0.015, 0.0051, 0.99, 0.1), [False, False, False, False]),  # just past each line
        ((100.0, 12.0, 0.1, 0.001, 5.0, 0.1), [True, True, True, True]),
    ],
    ids=["on the line", "just past", "well inside"],
)
def test_targets_are_judged_from_the_numbers(numbers, met):
    judged = targets(_report(*numbers))
    assert [t.met for t in judged] == met
    assert "1.5× the one-read roofline" in judged[0].name and "roofline 10.0 ms" in judged[0].detail


def test_the_roofline_target_is_judged_at_the_best_bandwidth_and_shows_the_median():
    """A kernel within 1.5× of a read at the median bandwidth but not at the best still fails."""
    hand_made = _report(30.0, 18.0, 0.016, 0.005, 1.0, 0.1)
    report = Report(machine="test", bandwidth_gbs=40.0, rows=hand_made.rows, median_bandwidth_gbs=25.0)
    roofline = targets(report)[0]
    assert not roofline.met
    assert "1.80× roofline 10.0 ms" in roofline.detail and "1.12× the 16.0 ms of a read at the median bandwidth" in roofline.detail
    assert "median 25.0 GB/s" in markdown(report)


def test_bench_command_writes_json(tmp_path):
    status, out = cli("bench", "--sizes", "64x3", "--models", "2", "--rounds", "1", "--steps", "10", "--json", tmp_path / "b.json", "--markdown")
    assert status == 0, out
    saved = json.loads((tmp_path / "b.json").read_text())
    several = len(jax.devices()) > 1  # then the three jitted methods are also timed on all devices
    assert saved["bandwidth_gbs"] > 0 and len(saved["rows"]) == (8 if several else 5)
    assert "| N × n | method |" in out and "| target | met | measured |" in out


def test_sizes_option():
    assert _size("1e6x100") == (1_000_000, 100) and _size("1000X10") == (1000, 10)
    for bad in ("1e6", "ax3", "0x3"):
        with pytest.raises(Exception, match="SAMPLESxFEATURES|positive"):
            _size(bad)
    assert bench.FULL_SIZES == ((1_000, 10), (100_000, 100), (1_000_000, 100))
