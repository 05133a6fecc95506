"""The examples of the README and of the checker's page (docs/checker.md), executed as written, so
they cannot rot; the failure the checker's page shows is what a sign flip prints."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHECKER = (ROOT / "docs" / "checker.md").read_text(encoding="utf-8")
SECTION = CHECKER.split("## Check your own derivative", 1)[1].split("\n## ", 1)[0]
PYTHON, TEST = re.findall(r"```python\n(.*?)```", SECTION, flags=re.S)
(FAILURE,) = re.findall(r"```text\n(.*?)```", SECTION, flags=re.S)
(FIRST_CHECK,) = re.findall(r"```python\n(.*?)```", README.split("## A first check", 1)[1].split("\n## ", 1)[0], flags=re.S)


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
