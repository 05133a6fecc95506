"""``python -m verification bench-harness``: the harness's own speed and what a check costs, as
tables and into the benchmark page's blocks; bad input is a usage error before any work."""

import dataclasses

from verification.bench import checker
from verification.cli import main
from verification.cli.harness import cost_rows

PAGE = "before\n<!-- generated: harness -->\nold\n<!-- end generated: harness -->\nafter\n"


def test_times_the_verification_and_writes_the_docs_block(tmp_path, capsys):
    page = tmp_path / "benchmarks.md"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["bench-harness", "--examples", "16", "--rule", "dot_dw", "--jobs", "1", "--skip-checker",
                 "--write-docs", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "old" not in text and text.startswith("before\n") and text.endswith("after\n")
    assert "| verify, 1 rule × 16, 1 job |" in text and "| passed |" in text
    assert "verify, 1 rule × 16, 1 job" in capsys.readouterr().out


def test_bad_page_and_rule_are_usage_errors_before_any_work(tmp_path, capsys):
    no_markers = tmp_path / "benchmarks.md"
    no_markers.write_text("nothing here\n", encoding="utf-8")
    assert main(["bench-harness", "--write-docs", str(no_markers)]) == 2
    assert "--write-docs:" in capsys.readouterr().err
    assert main(["bench-harness", "--rule", "dot"]) == 2
    assert "--rule: unknown rule 'dot'" in capsys.readouterr().err


def test_each_cost_is_judged_against_its_target():
    calls = [checker.CallCost("f", cold=1.0, warm=0.004, check_grads=0.008),
             checker.CallCost("g", cold=1.0, warm=0.012, check_grads=0.008)]
    large = checker.LargeInput(lane="float64", check=0.3, vjp=0.007, arrays=60.0, caught=True)
    patterns = [checker.PytestPattern("default lanes", 9.0, 4.0), checker.PytestPattern("per lane", 3.6, 4.0)]
    rows = cost_rows(calls, large, patterns)
    assert [row[-1] for row in rows] == ["yes", "no", "yes", "no", "yes", "yes", "no"]
    assert rows[0][3] == "0.50" and rows[2][3] == "43" and rows[3][1] == "60"
    assert all(len(" | ".join(row)) < 200 for row in rows)


def test_a_call_cost_is_measured_in_a_fresh_process():
    measured = checker.in_fresh_process("call-cost", x64=False)
    assert set(measured) == {"tanh-sum gradient, 8 entries", "softmax Jacobian, 6 entries", "least squares, 20×5 matrix"}
    assert all(0 < m["warm"] < m["cold"] for m in measured.values())


def test_rules_verified_in_worker_processes_come_back_in_order_lane_by_lane():
    from verification.rules import get_rule
    from verification.verify import verify_rules

    rules = [get_rule("sum_dx"), get_rule("dot_dw")]
    results = verify_rules(rules, dtype=["float32", "float64"], points=32, jobs=2)
    assert [(r.rule.name, r.dtype) for r in results] == [("sum_dx", "float32"), ("dot_dw", "float32"),
                                                         ("sum_dx", "float64"), ("dot_dw", "float64")]
    assert all(r.passed and r.points >= 32 and r.compilations >= 1 for r in results)
    assert {"jacfwd", "jacrev", "grad"} <= set(results[1].oracles)


def test_the_false_alarm_corpus_fails_the_command_on_a_false_alarm(monkeypatch, capsys):
    from verification.corpus import CASES, runner
    from verification.corpus.case import scaled

    case = CASES[0]
    command = ["bench-harness", "--examples", "4", "--rule", "dot_dw", "--jobs", "1", "--skip-checker",
               "--false-alarms", "1"]
    monkeypatch.setattr(runner, "CASES", (case,))
    assert main(command) == 0
    assert "| **all** | | **0** | **0** |" in capsys.readouterr().out
    # the case's "correct" derivative made wrong: every draw is a false alarm
    monkeypatch.setattr(runner, "CASES", (dataclasses.replace(case, derivative=scaled(case.derivative, 1.001)),))
    assert main(command) == 1
    err = capsys.readouterr().err
    assert f"false alarm, {case.name}" in err and "the false-alarm corpus (2 false alarms" in err
