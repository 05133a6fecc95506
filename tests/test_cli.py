"""The command line: exit codes, the report, JSON, and the rule listing."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from verification import cli
from verification.rules import RULES, RULES_BY_NAME


def test_verify_one_rule_writes_json(tmp_path, capsys):
    path = tmp_path / "out.json"
    status = cli.main(["verify", "--rule", "ew_div_dx", "--rule", "mse_grad_b", "--examples", "5", "--json", str(path)])
    assert status == 0
    document = json.loads(path.read_text())
    assert document["passed"] is True
    assert [r["name"] for r in document["rules"]] == ["ew_div_dx", "mse_grad_b"]
    first = document["rules"][0]
    assert {"name", "formula", "examples", "passed", "oracles"} <= set(first)
    assert first["examples"] == 5
    assert {"jacfwd", "jacrev"} <= set(first["oracles"])
    assert {"max_abs_err", "max_rel_err", "passed"} == set(first["oracles"]["jacfwd"])
    assert "grad" in document["rules"][1]["oracles"]
    out = capsys.readouterr().out
    assert "ew_div_dx" in out and "2 passed, 0 failed" in out


def test_json_to_stdout_is_pure_json(capsys):
    assert cli.main(["verify", "--rule", "sum_dx", "--examples", "3", "--dtype", "float32", "--json", "-"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["dtype"] == "float32" and document["rules"][0]["passed"]
    assert "sum_dx" in captured.err  # the table went to stderr


def test_a_failing_rule_sets_exit_status_1(monkeypatch, capsys):
    wrong = dataclasses.replace(RULES_BY_NAME["ew_mul_dx"], reference=lambda w, x: np.diag(x))
    monkeypatch.setitem(RULES_BY_NAME, "ew_mul_dx", wrong)
    assert cli.main(["verify", "--rule", "ew_mul_dx", "--examples", "20"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "Rule ew_mul_dx w.r.t. x DISAGREES with jax.jacfwd" in out and "worst entry" in out


def test_rules_lists_every_rule(capsys):
    assert cli.main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule in RULES:
        assert rule.name in out


@pytest.mark.parametrize(
    "argv, message",
    [(["verify", "--rule", "nope"], "unknown rule 'nope'"), (["verify", "--examples", "0"], "--examples must be at least 1"),
     (["verify", "--dtype", "float16"], "invalid choice: 'float16'")],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "verification", "verify", "--rule", "relu_scalar", "--examples", "3"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "relu_scalar" in result.stdout and "1 passed, 0 failed" in result.stdout


def test_bare_command_verifies_and_checks_training(capsys):
    status = cli.main(["--examples", "2", "--rule", "mse_grad_w"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "hand-derived and jax.grad trajectories agree" in out
