"""The report (``verification.bench.report``): targets judged from the numbers, rows found by
their method, the docs block written between its markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verification.bench.report import (
    DOCS,
    Measurement,
    Method,
    Report,
    block_name,
    check_block,
    figures,
    markdown,
    markers,
    speedup_over_numpy,
    targets,
    write_block,
)
from verification.train import ArgumentError

ROOT = Path(__file__).resolve().parents[2]


def hand_made(numpy_e2e, jit_e2e, setup_ms, jit_big, numpy_small, jit_small, *, all_cores=False, median=None) -> Report:
    """Hand-made measurements; bandwidth 40 GB/s makes the (1e6, 100) roofline exactly 10 ms."""
    rows = [
        Measurement(1_000_000, 100, Method.NUMPY, 1, "numpy", 1, 10, 50.0),
        Measurement(1_000_000, 100, Method.JIT_HAND, 1, "plain", 1, 10, jit_big, 1.0),
        Measurement(1_000_000, 100, Method.NUMPY_E2E, 1, "numpy", 1, 100, numpy_e2e),
        Measurement(1_000_000, 100, Method.JIT_E2E, 1, "plain", 1, 100, jit_e2e, 1.0),
        Measurement(1_000_000, 100, Method.SETUP, 1, "plain", 1, 0, setup_ms),
        Measurement(1_000, 10, Method.NUMPY, 1, "numpy", 1, 10_000, numpy_small),
        Measurement(1_000, 10, Method.JIT_HAND, 1, "features", 1, 10_000, jit_small, 0.2),
        Measurement(1_000, 10, Method.NUMPY_LOOP, 1, "numpy", 8, 625, 8 * numpy_small),
        Measurement(1_000, 10, Method.JIT_VMAP, 1, "features", 8, 625, 0.8 * numpy_small),
    ]
    return Report(machine="test", bandwidth_gbs=40.0, rows=tuple(rows), all_cores=all_cores, median_bandwidth_gbs=median)


@pytest.mark.parametrize(
    "numbers, all_cores, met",
    [
        ((50.0, 33.5, 45.0, 15.0, 0.020, 0.006), False, [True, True, True, True, True]),  # 0.67×, 3 steps, 1.5×, 0.3×, 10×
        ((50.0, 33.6, 45.4, 15.1, 0.020, 0.0061), False, [False, False, False, False, True]),  # just past each line
        ((50.0, 20.0, 10.0, 12.0, 0.020, 0.002), True, [True, True, True, True, True]),  # 0.4× with all cores
        ((50.0, 20.1, 10.0, 12.0, 0.020, 0.002), True, [False, True, True, True, True]),
    ],
    ids=["on the lines", "just past", "all cores on the line", "all cores just past"],
)
def test_targets_are_judged_from_the_numbers(numbers, all_cores, met):
    judged = targets(hand_made(*numbers, all_cores=all_cores))
    assert [t.met for t in judged] == met
    assert ("0.4×" if all_cores else "0.67×") in judged[0].name
    assert "roofline 10.0 ms" in judged[2].detail
    assert "vmap over 8 models ≥ 10×" in judged[4].name and "= 10.0×" in judged[4].detail


def test_the_roofline_target_is_judged_at_the_best_bandwidth_and_shows_the_median():
    """A kernel within 1.5× of a read at the median bandwidth but not at the best still fails."""
    report = hand_made(50.0, 30.0, 30.0, 18.0, 0.02, 0.005, median=25.0)
    roofline = next(t for t in targets(report) if "roofline" in t.name)
    assert not roofline.met
    assert "1.80× roofline 10.0 ms" in roofline.detail and "1.12× the 16.0 ms of a read at the median bandwidth" in roofline.detail
    assert "median 25.0 GB/s" in markdown(report)


def test_rows_are_found_by_their_method_not_their_label():
    report = hand_made(50.0, 30.0, 30.0, 18.0, 0.02, 0.005)
    assert report.find((1_000, 10), Method.JIT_VMAP).label == "jit vmap × 8"
    assert report.find((1_000, 10), Method.JIT_E2E) is None and report.find((5, 5), Method.NUMPY) is None
    assert report.find((1_000_000, 100), Method.JIT_HAND, devices=2) is None


def test_each_row_is_compared_with_the_numpy_row_of_the_same_work():
    report = hand_made(50.0, 25.0, 30.0, 18.0, 0.02, 0.005)
    by_method = {(r.samples, r.method): r for r in report.rows}
    assert speedup_over_numpy(report, by_method[1_000_000, Method.JIT_E2E]) == 2.0  # 50 / 25: the end-to-end NumPy row
    assert speedup_over_numpy(report, by_method[1_000, Method.JIT_VMAP]) == pytest.approx(10.0)  # the NumPy loop
    assert speedup_over_numpy(report, by_method[1_000, Method.JIT_HAND]) == pytest.approx(4.0)  # the single NumPy run
    shown = figures(report, by_method[1_000_000, Method.SETUP])
    assert shown.speedup == "" and shown.times_roofline == "3.00" and shown.compile_s == ""


def test_markdown_has_a_row_per_measurement_and_a_line_per_target():
    report = hand_made(50.0, 30.0, 30.0, 18.0, 0.02, 0.005)
    text = markdown(report)
    assert text.count("\n| 1,000,000 × 100 |") + text.count("\n| 1,000 × 10 |") == len(report.rows)
    assert text.count("| yes |") + text.count("| **no** |") == len(targets(report))
    assert "device(s)" not in text


def test_a_block_is_written_between_its_markers_and_nothing_else_moves(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Speed\n<!-- generated: training -->\nold table\n<!-- end generated: training -->\nafter\n"
                    "<!-- generated: harness -->\nkept\n<!-- end generated: harness -->\n")
    write_block(page, "training", "| new |\n| table |")
    assert page.read_text() == ("# Speed\n<!-- generated: training -->\n| new |\n| table |\n<!-- end generated: training -->\n"
                                "after\n<!-- generated: harness -->\nkept\n<!-- end generated: harness -->\n")
    write_block(page, "harness", "")
    assert "kept" not in page.read_text() and "| new |" in page.read_text()
    assert markers("training") == ("<!-- generated: training -->", "<!-- end generated: training -->")
    assert (block_name(False), block_name(True)) == ("training", "training-all-cores")


@pytest.mark.parametrize(
    "text",
    ["no markers\n", "<!-- end generated: training -->\n<!-- generated: training -->\n", "<!-- generated: training -->\n"],
    ids=["none", "in the wrong order", "no end"],
)
def test_a_page_without_the_markers_is_refused_naming_the_path(tmp_path, text):
    page = tmp_path / "page.md"
    page.write_text(text)
    for call in (lambda: write_block(page, "training", "x"), lambda: check_block(page, "training")):
        with pytest.raises(ArgumentError, match=re.escape(f"path: {page} has no lines <!-- generated: training -->")):
            call()
    assert page.read_text() == text
    with pytest.raises(ArgumentError, match=r"^path: no such file"):
        check_block(tmp_path / "missing.md", "training")


def test_the_docs_page_has_a_block_per_configuration_with_the_prose_outside(tmp_path):
    """Writing one configuration's tables replaces that block alone: the other block, the hand
    prose between them and the other benchmarks' blocks stay as they were."""
    real = (ROOT / DOCS).read_text(encoding="utf-8")
    for all_cores in (False, True):
        begin, end = markers(block_name(all_cores))
        assert real.count(begin + "\n") == 1 and real.count(end + "\n") == 1
        inside = real[real.index(begin + "\n") + len(begin) + 1: real.index(end + "\n")]
        assert inside.startswith("Measured on ") and "<!--" not in inside, "hand prose inside a generated block"
        assert ("one CPU device per core" in inside.splitlines()[0]) is all_cores
    page = tmp_path / "benchmarks.md"
    for all_cores in (False, True):
        page.write_text(real, encoding="utf-8")
        write_block(page, block_name(all_cores), "new tables\n")
        written = page.read_text(encoding="utf-8")
        begin, end = markers(block_name(all_cores))
        before, after = real[: real.index(begin)], real[real.index(end):]
        assert written == f"{before}{begin}\nnew tables\n{after}"
