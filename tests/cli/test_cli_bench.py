"""The ``bench`` subcommand: parse, measure, print at 80 columns, write JSON and the docs block;
output paths are checked before any work."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from verification.bench.report import Measurement, Method, Report
from verification.cli import main
from verification.cli.bench import format_report, size

ROOT = Path(__file__).resolve().parents[2]
SMALL_RUN = ["--quick", "--sizes", "64x3", "--models", "2", "--rounds", "1", "--steps", "10"]
"""The smallest run that fills every table: ``--quick`` for its small bandwidth probe (the
other settings are given); what a command writes, not what it measures, is under test here."""


def hand_made() -> Report:
    rows = [
        Measurement(1_000_000, 100, Method.NUMPY, 1, "numpy", 1, 10, 5123.456),
        Measurement(1_000_000, 100, Method.JIT_HAND, 2, "rows, blocked", 1, 10, 28.765, 1.0),
        Measurement(1_000_000, 100, Method.NUMPY_E2E, 1, "numpy", 1, 100, 5123.456, note="ms/step over the whole call"),
        Measurement(1_000_000, 100, Method.JIT_E2E, 2, "rows, blocked", 1, 100, 3217.891, 1.0, "ms/step over the whole call"),
        Measurement(1_000_000, 100, Method.SETUP, 2, "rows, blocked", 1, 0, 61.234, note="ms in all, once per data set"),
        Measurement(1_000, 10, Method.NUMPY, 1, "numpy", 1, 10_000, 0.0251),
        Measurement(1_000, 10, Method.JIT_HAND, 1, "features", 1, 10_000, 0.00321, 0.2),
        Measurement(1_000, 10, Method.NUMPY_LOOP, 1, "numpy", 64, 625, 1.604, note="17 of 64 models timed, scaled ×3.76"),
        Measurement(1_000, 10, Method.JIT_VMAP, 1, "features", 64, 625, 0.0727, 0.39),
    ]
    return Report(machine="AMD EPYC, 2 cores; JAX on 1 × cpu (cpu)", bandwidth_gbs=40.0, rows=tuple(rows), median_bandwidth_gbs=22.0)


def test_the_table_keeps_every_number_whole_at_80_columns():
    report = hand_made()
    console = Console(file=io.StringIO(), width=80, no_color=True)
    console.print(format_report(report))
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    for row in report.rows:  # each number is printed on one line, never folded into two
        assert f"{row.ms_per_step:.4g}" in text, f"{row.ms_per_step:.4g} split or cut:\n{text}"
    assert "…" not in text and "targets" in text and "jit vmap × 64" in text


def test_bench_command_writes_json_and_the_docs_block(tmp_path, capsys):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Speed\n<!-- generated: training -->\nold table\n<!-- end generated: training -->\nafter\n")
    status = main(["bench", *SMALL_RUN, "--json", str(tmp_path / "b.json"), "--markdown", "--write-docs", str(page)])
    out = capsys.readouterr().out
    assert status == 0, out
    saved = json.loads((tmp_path / "b.json").read_text())
    assert saved["bandwidth_gbs"] > 0 and len(saved["rows"]) == 8 and saved["all_cores"] is False
    assert {row["method"] for row in saved["rows"]} >= {"jit hand", "jit vmap × 2", "data setup (Trainer.from_data)"}
    assert "| N × n | method |" in out and "| target | met | measured |" in out
    written = page.read_text()
    assert "old table" not in written and "| N × n | method |" in written
    assert written.endswith("<!-- end generated: training -->\nafter\n")


def test_the_old_readme_option_writes_the_same_block(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text("<!-- generated: training -->\n<!-- end generated: training -->\n")
    assert main(["bench", *SMALL_RUN, "--readme", str(page)]) == 0
    assert "| N × n | method |" in page.read_text()
    capsys.readouterr()


def test_bench_output_paths_are_checked_before_any_work(tmp_path, capsys):
    status = main(["bench", "--sizes", "64x3", "--json", str(tmp_path / "missing" / "b.json")])
    captured = capsys.readouterr()
    assert status == 2 and "--json: the directory" in captured.err and "does not exist" in captured.err
    assert captured.out == ""  # nothing measured
    status = main(["bench", "--sizes", "64x3", "--write-docs", str(tmp_path / "nope.md")])
    captured = capsys.readouterr()
    assert status == 2 and "--write-docs: no such file" in captured.err and captured.out == ""
    (tmp_path / "plain.md").write_text("no markers\n")
    status = main(["bench", "--sizes", "64x3", "--write-docs", str(tmp_path / "plain.md")])
    captured = capsys.readouterr()
    assert status == 2 and "--write-docs:" in captured.err and "<!-- generated: training -->" in captured.err
    assert captured.out == ""


def test_sizes_option():
    assert size("1e6x100") == (1_000_000, 100) and size("1000X10") == (1000, 10)
    for bad in ("1e6", "ax3", "0x3"):
        with pytest.raises(Exception, match="SAMPLESxFEATURES|positive"):
            size(bad)


ALL_CORES = """
import os, sys
os.cpu_count = lambda: 2  # two CPU devices whatever this machine has
from verification.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_all_cores_writes_its_own_block_and_leaves_the_default_one(tmp_path):
    """In a fresh process (JAX takes its devices when it starts): ``--all-cores`` measures on one
    CPU device per core and fills block ``training-all-cores``; block ``training`` is kept."""
    page = tmp_path / "benchmarks.md"
    page.write_text("<!-- generated: training -->\ndefault tables\n<!-- end generated: training -->\nprose\n"
                    "<!-- generated: training-all-cores -->\nold\n<!-- end generated: training-all-cores -->\n")
    argv = ["bench", "--all-cores", *SMALL_RUN, "--json", tmp_path / "b.json", "--write-docs", page]
    done = subprocess.run([sys.executable, "-c", ALL_CORES, *map(str, argv)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "b.json").read_text())["all_cores"] is True
    written = page.read_text()
    assert written.startswith("<!-- generated: training -->\ndefault tables\n<!-- end generated: training -->\nprose\n"
                              "<!-- generated: training-all-cores -->\nMeasured on ")
    assert "one CPU device per core" in written and "old" not in written
    assert written.endswith("<!-- end generated: training-all-cores -->\n")
