"""The benchmark runs and reports; speed itself is never asserted (it is measured, in README)."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from rich.console import Console

from verification.cli import main
from verification.cli.bench import format_report, size
from verification.train import bench
from verification.train.bench import JIT_E2E, NUMPY_E2E, SETUP, Measurement, Report, markdown, run_benchmark, targets

TINY = ((64, 3),)


def test_every_method_is_measured():
    report = run_benchmark(TINY, models=2, rounds=1, steps=20, probe_bytes=2**20, log=lambda _: None)
    methods = {row.method for row in report.rows}
    assert methods == {"numpy reference", "jit hand", "jit autodiff", "jit vmap × 2", "numpy loop × 2", NUMPY_E2E, JIT_E2E, SETUP}
    for row in report.rows:
        assert (row.samples, row.features) == (64, 3)
        assert math.isfinite(row.ms_per_step) and row.ms_per_step >= 0
        assert (row.compile_s is not None) == (row.method.startswith("jit") or row.method == JIT_E2E)
        assert row.models == (2 if "× 2" in row.method else 1)
    assert report.bandwidth_gbs > 0 and report.roofline_ms(64, 3) > 0
    assert 0 < report.median_bandwidth_gbs <= report.bandwidth_gbs  # the roofline uses the best sample
    assert "cores" in report.machine and "JAX" in report.machine
    assert report.all_cores is False  # the test process keeps JAX's default configuration
    assert markdown(report, 2).count("\n| 64 × 3 |") == len(report.rows)


def _report(numpy_e2e, jit_e2e, setup_ms, jit_big, numpy_small, jit_small, *, all_cores=False) -> Report:
    """Hand-made measurements; bandwidth 40 GB/s makes the (1e6, 100) roofline exactly 10 ms."""
    rows = [
        Measurement(1_000_000, 100, "numpy reference", 1, "numpy", 1, 10, 50.0),
        Measurement(1_000_000, 100, "jit hand", 1, "plain", 1, 10, jit_big, 1.0),
        Measurement(1_000_000, 100, NUMPY_E2E, 1, "numpy", 1, 100, numpy_e2e),
        Measurement(1_000_000, 100, JIT_E2E, 1, "plain", 1, 100, jit_e2e, 1.0),
        Measurement(1_000_000, 100, SETUP, 1, "plain", 1, 0, setup_ms),
        Measurement(1_000, 10, "numpy reference", 1, "numpy", 1, 10_000, numpy_small),
        Measurement(1_000, 10, "jit hand", 1, "features", 1, 10_000, jit_small, 0.2),
    ]
    return Report(machine="test", bandwidth_gbs=40.0, rows=tuple(rows), all_cores=all_cores)


@pytest.mark.parametrize(
    "numbers, all_cores, met",
    [
        ((50.0, 33.5, 45.0, 15.0, 0.020, 0.006), False, [True, True, True, True]),  # 0.67×, 3 steps, 1.5×, 0.3×
        ((50.0, 33.6, 45.4, 15.1, 0.020, 0.0061), False, [False, False, False, False]),  # just past each line
        ((50.0, 20.0, 10.0, 12.0, 0.020, 0.002), True, [True, True, True, True]),  # 0.4× with all cores
        ((50.0, 20.1, 10.0, 12.0, 0.020, 0.002), True, [False, True, True, True]),
    ],
    ids=["on the lines", "just past", "all cores on the line", "all cores just past"],
)
def test_targets_are_judged_from_the_numbers(numbers, all_cores, met):
    judged = targets(_report(*numbers, all_cores=all_cores))
    assert [t.met for t in judged] == met
    assert ("0.4×" if all_cores else "0.67×") in judged[0].name
    assert "roofline 10.0 ms" in judged[2].detail


def test_the_roofline_target_is_judged_at_the_best_bandwidth_and_shows_the_median():
    """A kernel within 1.5× of a read at the median bandwidth but not at the best still fails."""
    hand_made = _report(50.0, 30.0, 30.0, 18.0, 0.02, 0.005)
    report = Report(machine="test", bandwidth_gbs=40.0, rows=hand_made.rows, median_bandwidth_gbs=25.0)
    roofline = next(t for t in targets(report) if "roofline" in t.name)
    assert not roofline.met
    assert "1.80× roofline 10.0 ms" in roofline.detail and "1.12× the 16.0 ms of a read at the median bandwidth" in roofline.detail
    assert "median 25.0 GB/s" in markdown(report)


def test_the_table_keeps_every_number_whole_at_80_columns():
    report = _report(5123.456, 3217.891, 61.234, 28.765, 0.0251, 0.00321)
    console = Console(file=io.StringIO(), width=80, no_color=True)
    console.print(format_report(report, 64))
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    for row in report.rows:  # each number is printed on one line, never folded into two
        assert f"{row.ms_per_step:.4g}" in text, f"{row.ms_per_step:.4g} split or cut:\n{text}"
    assert "…" not in text
    assert "issue" not in text and "targets" in text
    assert "device(s)" not in markdown(report)


def test_bench_command_writes_json_and_the_readme(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# Speed\n<!-- bench: default -->\nold table\n<!-- /bench: default -->\nafter\n")
    status = main(["bench", "--sizes", "64x3", "--models", "2", "--rounds", "1", "--steps", "10",
                   "--json", str(tmp_path / "b.json"), "--markdown", "--readme", str(readme)])
    out = capsys.readouterr().out
    assert status == 0, out
    saved = json.loads((tmp_path / "b.json").read_text())
    assert saved["bandwidth_gbs"] > 0 and len(saved["rows"]) == 8 and saved["all_cores"] is False
    assert "| N × n | method |" in out and "| target | met | measured |" in out
    written = readme.read_text()
    assert "old table" not in written and "| N × n | method |" in written and written.endswith("<!-- /bench: default -->\nafter\n")


def test_bench_output_paths_are_checked_before_any_work(tmp_path, capsys):
    status = main(["bench", "--sizes", "64x3", "--json", str(tmp_path / "missing" / "b.json")])
    captured = capsys.readouterr()
    assert status == 2 and "--json: the directory" in captured.err and "does not exist" in captured.err
    assert captured.out == ""  # nothing measured
    status = main(["bench", "--sizes", "64x3", "--readme", str(tmp_path / "nope.md")])
    assert status == 2 and "--readme: no such file" in capsys.readouterr().err


def test_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match=re.escape("<!-- bench: default -->")):
        bench.write_readme(readme, _report(50.0, 30.0, 30.0, 18.0, 0.02, 0.005))


def test_sizes_option():
    assert size("1e6x100") == (1_000_000, 100) and size("1000X10") == (1000, 10)
    for bad in ("1e6", "ax3", "0x3"):
        with pytest.raises(Exception, match="SAMPLESxFEATURES|positive"):
            size(bad)
    assert bench.FULL_SIZES == ((1_000, 10), (100_000, 100), (1_000_000, 100))
