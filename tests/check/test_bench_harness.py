"""``python -m verification bench-harness``: the harness's own speed, as a table and into the README."""

from verification.cli import main


def test_times_the_verification_and_writes_the_readme_table(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- bench: harness -->\nold\n<!-- /bench: harness -->\nafter\n", encoding="utf-8")
    assert main(["bench-harness", "--examples", "16", "--rule", "dot_dw", "--jobs", "1", "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and text.startswith("before\n") and text.endswith("after\n")
    assert "| verify, 1 rule × 16, 1 job |" in text and "| passed |" in text
    assert "verify, 1 rule × 16, 1 job" in capsys.readouterr().out


def test_bad_readme_and_rule_are_usage_errors_before_any_work(tmp_path, capsys):
    no_markers = tmp_path / "README.md"
    no_markers.write_text("nothing here\n", encoding="utf-8")
    assert main(["bench-harness", "--readme", str(no_markers)]) == 2
    assert "lacks the markers" in capsys.readouterr().err
    assert main(["bench-harness", "--rule", "dot"]) == 2
    assert "--rule: unknown rule 'dot'" in capsys.readouterr().err


def test_rules_verified_in_worker_processes_come_back_in_order_lane_by_lane():
    from verification.rules import get_rule
    from verification.verify import verify_rules

    rules = [get_rule("sum_dx"), get_rule("dot_dw")]
    results = verify_rules(rules, dtype=["float32", "float64"], examples=32, jobs=2)
    assert [(r.rule.name, r.dtype) for r in results] == [("sum_dx", "float32"), ("dot_dw", "float32"),
                                                         ("sum_dx", "float64"), ("dot_dw", "float64")]
    assert all(r.passed and r.examples >= 32 and r.compilations >= 1 for r in results)
    assert {"jacfwd", "jacrev", "grad"} <= set(results[1].oracles)
