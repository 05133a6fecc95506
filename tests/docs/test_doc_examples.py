"""The examples of the README, of the checker's page (docs/checker.md) and of the training page
(docs/training.md), executed as written, so they cannot rot; the failure the checker's page
shows is what a sign flip prints."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verification.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHECKER = (ROOT / "docs" / "checker.md").read_text(encoding="utf-8")
SECTION = CHECKER.split("## Check your own derivative", 1)[1].split("\n## ", 1)[0]
PYTHON, TEST = re.findall(r"```python\n(.*?)```", SECTION, flags=re.S)
(FAILURE,) = re.findall(r"```text\n(.*?)```", SECTION, flags=re.S)
(FIRST_CHECK,) = re.findall(r"```python\n(.*?)```", README.split("## A first check", 1)[1].split("\n## ", 1)[0], flags=re.S)


TRAINING = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
TRAINING_PYTHON = re.findall(r"```python\n(.*?)```", TRAINING.split("\n## ", 1)[0], flags=re.S)
(TRAINING_COMMANDS,) = re.findall(r"```bash\n(.*?)```", TRAINING.split("## From the command line", 1)[1].split("\n## ", 1)[0],
                                  flags=re.S)
NOT_QUICK = {"--all-cores": "1,000,000 × 100 in float32 is 400 MB of X, and 1,000 steps over it take half a minute"}
"""The training page's commands left out here, and why.  Not run either: the two-host commands and
the Python lines of "Across processes" (one host cannot be two; tests/train/test_train_distributed.py
runs the same across two local processes) and "On a GPU" (an install, and sizes up to 1e7 × 100)."""


def _section(title: str) -> str:
    return CHECKER.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_the_pytree_and_custom_rule_examples_run():
    """The params-dict example (correct, and a bias gradient not summed over the batch, named by
    its leaf) and the custom rule (correct, and with its sign flipped) run as written."""
    for title in ("Parameters in pytrees", "Custom rules"):
        (code,) = re.findall(r"```python\n(.*?)```", _section(title), flags=re.S)
        exec(compile(code, f"docs/checker.md ({title})", "exec"), {})  # noqa: S102 (the page's own example)


def test_the_readmes_first_check_runs():
    namespace = {}
    exec(compile(FIRST_CHECK, "README.md", "exec"), namespace)  # noqa: S102 (the README's own example)
    assert namespace["result"].passed


def test_the_one_point_and_hypothesis_example_runs():
    namespace = {}
    exec(compile(PYTHON, "docs/checker.md", "exec"), namespace)  # noqa: S102 (the page's own example)
    assert "loss: derivative" not in str(namespace["result"])  # it passed: no failure block


def test_the_pytest_example_runs_in_a_users_project(tmp_path):
    definitions = PYTHON.split("result = check_derivative", 1)[0]
    (tmp_path / "test_user.py").write_text(definitions + "\n" + TEST, encoding="utf-8")
    env = {**os.environ, "HYPOTHESIS_PROFILE": "dev"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout  # once per lane


def test_the_failure_shown_is_what_a_sign_flip_prints():
    namespace = {}
    exec(compile(PYTHON.split("result = check_derivative", 1)[0], "docs/checker.md", "exec"), namespace)  # noqa: S102
    from verification import check_derivative

    def wrong(z, y):
        return -namespace["loss_grad"](z, y)

    result = check_derivative(namespace["loss"], wrong, np.array([1000.0, -3.0, 2.0]), np.array([0.0, 1.0, 0.0]),
                              dtype="float64")
    report = str(result)
    for line in FAILURE.strip().splitlines():
        assert line in report, f"docs/checker.md line not in the report:\n{line}\n---\n{report}"


def test_the_training_pages_example_runs(tmp_path, monkeypatch, capsys):
    """In a fresh directory (it writes run.ckpt): trains, sweeps, runs 100,000 steps with a
    checkpoint, and the Session on the same path resumes at the end instead of training again."""
    (code,) = TRAINING_PYTHON
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "docs/training.md", "exec"), namespace)  # noqa: S102 (the page's own example)
    session, run = namespace["session"], namespace["run"]
    assert (tmp_path / "run.ckpt").is_file() and session.resumed_from == session.step == 100_000
    assert run.losses.shape == (100_000,) and capsys.readouterr().out.splitlines()[-1].startswith("100000 ")


def _houses(path: Path) -> None:
    """A CSV like the one the page names: a price from an area and a number of rooms, on
    scales far apart (what ``--standardize`` is for)."""
    rng = np.random.default_rng(0)
    area, rooms = rng.uniform(50, 250, 200), rng.integers(1, 6, 200)
    price = np.maximum(0, 3000 * area + 20_000 * rooms - 100_000 + rng.normal(0, 1000, 200))
    rows = "".join(f"{a:.1f},{r},{p:.0f}\n" for a, r, p in zip(area, rooms, price, strict=True))
    path.write_text("area,rooms,price\n" + rows, encoding="utf-8")


@pytest.mark.parametrize("command", [shlex.split(line, comments=True) for line in TRAINING_COMMANDS.strip().splitlines()
                                     if not NOT_QUICK.keys() & set(shlex.split(line, comments=True))],
                         ids=lambda argv: " ".join(argv[3:]))
def test_the_training_pages_commands_run(command, tmp_path, monkeypatch, capsys):
    """Each command as written (in-process, in a fresh directory, without the progress bar):
    it trains (exit 0) and writes what it says it writes."""
    assert command[:3] == ["python", "-m", "verification"]
    monkeypatch.chdir(tmp_path)
    _houses(tmp_path / "houses.csv")
    status = main([*command[3:], "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "final loss" in captured.out and captured.err == ""
    for option in ("--output", "--plot", "--checkpoint"):
        if option in command:
            assert (tmp_path / command[command.index(option) + 1]).stat().st_size > 0, option
