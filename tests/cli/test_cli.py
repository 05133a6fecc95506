"""The command line as a user meets it: exit codes, stderr, JSON, tables at 80 columns, the
rule listing and the docs' rule table it generates."""

import dataclasses
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

import reference
from verification import cli
from verification.cli.rules import markdown, rules_table
from verification.cli.verify import results_table
from verification.rules import RULES, RULES_BY_NAME

DOCS = Path(__file__).parents[2] / "docs"
LONGEST_NAME = max((rule.name for rule in RULES), key=len)


def _run(*arguments, env=None):
    """``python -m verification ARGUMENTS`` in a subprocess, its output piped."""
    return subprocess.run([sys.executable, "-m", "verification", *arguments], capture_output=True, text=True, env=env)


def _without_columns():
    """The environment without $COLUMNS, as in a pipe from a script."""
    return {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}


# -- verify and its JSON ------------------------------------------------------------------

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


def test_bare_command_json_to_stdout_is_pure_json_with_the_training_check():
    result = _run("--json", "-", "--rule", "mse_grad_w", "--examples", "2")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert document["passed"] is True and [r["name"] for r in document["rules"]] == ["mse_grad_w"]
    training = document["training"]
    assert training["agree"] is True and training["max_param_diff"] <= training["tolerance"]
    assert "trajectories agree" in result.stderr


def test_bare_command_verifies_and_checks_training(capsys):
    status = cli.main(["--examples", "2", "--rule", "mse_grad_w"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "hand-derived and jax.grad trajectories agree" in out


def test_a_failing_rule_sets_exit_status_1(monkeypatch, capsys):
    wrong = dataclasses.replace(RULES_BY_NAME["ew_mul_dx"], derivative=lambda w, x: np.diag(x))
    monkeypatch.setitem(RULES_BY_NAME, "ew_mul_dx", wrong)
    assert cli.main(["verify", "--rule", "ew_mul_dx", "--examples", "20"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "DISAGREES with jax.jacfwd" in out and "worst entry" in out
    assert "0 passed, 1 failed" in out


@pytest.fixture(scope="module")
def piped_verify():
    """``python -m verification verify`` of the rule with the longest name, piped, no $COLUMNS:
    one run for the tests of the entry point and of the width of piped output.  The longest
    name sets the width of the table's rule column, which a too-wide console would not wrap."""
    return _run("verify", "--rule", LONGEST_NAME, "--examples", "2", env=_without_columns())


def test_module_entry_point_runs(piped_verify):
    assert piped_verify.returncode == 0, piped_verify.stderr
    assert LONGEST_NAME in piped_verify.stdout and "1 passed, 0 failed" in piped_verify.stdout


def test_one_rule_is_one_rule_not_one_rules(capsys):
    assert cli.main(["verify", "--rule", "dot_dw", "--examples", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 rule against JAX" in out and "1 example each" in out and "1 rules" not in out


# -- options before the subcommand ------------------------------------------------------

def test_options_before_verify_are_honoured(tmp_path, capsys):
    path = tmp_path / "out.json"
    assert cli.main(["--rule", "dot_dw", "--examples", "3", "--dtype", "float32", "verify", "--rule", "sum_dx",
                     "--json", str(path)]) == 0
    document = json.loads(path.read_text())
    assert [r["name"] for r in document["rules"]] == ["dot_dw", "sum_dx"]
    assert document["dtype"] == "float32" and document["examples"] == 3


@pytest.mark.parametrize(
    "argv, message",
    [(["--rule", "dot_dw", "rules"], "--rule before the subcommand applies to verify and to the bare command, not to rules"),
     (["--dtype", "float64", "train"], "--dtype before the subcommand applies to verify and to the bare command, not to train"),
     (["--examples", "3", "verify", "--examples", "4"], "--examples given twice, as 3 and as 4")],
)
def test_options_before_a_subcommand_are_rejected_where_they_do_not_apply(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


# -- errors and exit statuses -------------------------------------------------------------

@pytest.mark.parametrize(
    "argv, message",
    [(["verify", "--rule", "nope"], "unknown rule 'nope'"),
     (["verify", "--examples", "0"], "--examples: must be at least 1, got 0"),
     (["verify", "--dtype", "float16"], "invalid choice: 'float16'"),
     (["verify", "--rule", "mse_grad"], "unknown rule 'mse_grad'; did you mean mse_grad_w, mse_grad_b?"),
     (["verify", "--rule", "relu"], "did you mean relu_scalar, relu_broadcast?"),
     (["--rule", "dot_dx", "--rule", "chain_vectr"], "unknown rule 'chain_vectr'; did you mean chain_vector")],
)
def test_bad_arguments_exit_2_with_a_message_on_stderr(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("argv", [["verify", "--json"], ["--json"]])
def test_json_into_a_missing_directory_is_refused_before_any_work(argv, tmp_path, capsys):
    missing = tmp_path / "no such directory" / "out.json"
    assert cli.main([*argv, str(missing), "--rule", "dot_dw"]) == 2
    captured = capsys.readouterr()
    assert f"--json: the directory {missing.parent} does not exist" in captured.err
    assert captured.out == ""  # nothing was verified


def test_interrupt_exits_130_without_a_traceback(monkeypatch, capsys):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setitem(RULES_BY_NAME, "dot_dw", dataclasses.replace(RULES_BY_NAME["dot_dw"], derivative=interrupted))
    assert cli.main(["verify", "--rule", "dot_dw", "--examples", "3"]) == 130
    captured = capsys.readouterr()
    assert "interrupted" in captured.err and "Traceback" not in captured.err + captured.out


def test_help_documents_the_exit_statuses(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("0    every rule and check passed", "1    a rule or a check failed", "2    bad usage or input",
                 "130  interrupted (Ctrl-C)"):
        assert line in out


def test_version_comes_from_the_package_metadata(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.split()[-1] == version("matrix-calculus-verified")


def test_usage_names_the_command_the_user_typed():
    script = Path(sys.executable).with_name("matrix-calculus")
    installed = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith("usage: matrix-calculus ")
    module = _run("--help", env={**_without_columns(), "COLUMNS": "80"})
    assert module.stdout.startswith("usage: python -m verification ")
    assert max(map(cell_len, module.stdout.splitlines())) <= 80


# -- tables at 80 columns ------------------------------------------------------------------

def _stats(abs_err, rel_err):
    return SimpleNamespace(max_abs_err=abs_err, max_rel_err=rel_err, passed=True)


def _rendered(renderable, width=80):
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text(styles=False).splitlines()


def test_verify_table_keeps_every_number_and_rule_id_whole_at_80_columns():
    """Widest numbers ``.2g`` prints (``1.2e-300``), every rule: each row's numbers stand whole on
    the row's first line, next to its whole rule id."""
    results = [SimpleNamespace(rule=rule, examples=10_000, passed=i % 7 != 0,
                               oracles={"value": _stats(9e99, 9e99), "jacfwd": _stats(1.2e-300, 3.4e-299), "jacrev": _stats(5.6e-301, 7.8e-298)})
               for i, rule in enumerate(RULES)]
    lines = _rendered(results_table(results, dtype="float64", examples=10_000))
    assert max(map(cell_len, lines)) <= 80
    for r in results:
        row = next(line for line in lines if line.startswith(r.rule.name + " "))
        assert re.search(r"\s10000\s+1\.2e-300\s+7\.8e-298\s+(pass|FAIL)\s*$", row), row
    assert "9e+99" not in "\n".join(lines)  # the value check is not a derivative error


def test_rules_table_keeps_every_rule_id_whole_at_80_columns():
    lines = _rendered(rules_table())
    assert max(map(cell_len, lines)) <= 80
    for rule in RULES:
        assert any(line.startswith(rule.name + " ") for line in lines), rule.name


def test_piped_output_is_80_columns_not_160(piped_verify):
    assert piped_verify.returncode == 0, piped_verify.stderr
    lines = piped_verify.stdout.splitlines()
    assert max(map(cell_len, lines)) <= 80
    assert any(line.startswith(LONGEST_NAME + " ") for line in lines), piped_verify.stdout


# -- the rule listing and the docs' rule table --------------------------------------------------

def test_rules_lists_every_rule(capsys):
    assert cli.main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule in RULES:
        assert rule.name in out


def _row(name, source, references=(), formula="d/dx f"):
    return SimpleNamespace(name=name, formula=formula, section="§9", oracles=("jacfwd", "jacrev"),
                           source=source, references=references)


def test_markdown_groups_by_source_paper_first_with_the_declared_references():
    rows = [_row("late", "extension", (reference.dot_grad_w,)), _row("early", "paper", (reference.sum_grad_x, reference.dot_grad_x)),
            _row("abs", "extension", formula="d|x|/dx = sign(x)")]
    text = markdown(rows)
    assert text.index("### From the paper") < text.index("| `early` |") < text.index("### Extensions") < text.index("| `late` |")
    assert "| `early` | d/dx f | §9 | `reference.sum_grad_x`, `reference.dot_grad_x` | jacfwd, jacrev |" in text
    assert r"| `abs` | d\|x\|/dx = sign(x) | §9 |  | jacfwd, jacrev |" in text
    assert markdown(rows[:1]).startswith("### Extensions")  # an empty group has no heading


def test_markdown_rejects_an_unknown_source():
    with pytest.raises(ValueError, match="rule source"):
        markdown([_row("x", "folklore")])


def _docs_conf():
    """docs/conf.py as a module (it is a script Sphinx runs, not a package)."""
    spec = importlib.util.spec_from_file_location("docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_docs_rule_page_is_generated_from_rules_at_every_build(tmp_path, monkeypatch, capsys):
    """The site's rule table cannot go stale: docs/rules.md includes the file that the build
    writes, when it starts, with what ``rules --markdown --latex`` prints from RULES now."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # conf.py puts the checkout first on it
    conf = _docs_conf()
    page = (DOCS / "rules.md").read_text(encoding="utf-8")
    included = re.findall(r"```\{include\} (\S+)\n```", page)
    assert included == [f"{conf.GENERATED.relative_to(DOCS).as_posix()}/rules.md"], "docs/rules.md does not include the generated table"
    assert "| `" not in page, "a rule row written by hand in docs/rules.md"

    class App:
        """What setup is given, recording what it connects; KaTeX's server is never started."""

        def __init__(self):
            self.connected, self.events = [], SimpleNamespace(listeners={"autodoc-process-docstring": []})

        def connect(self, event, handler, priority=500):
            self.connected.append((event, handler))

        def __getattr__(self, name):  # add_directive, disconnect: nothing to record
            return lambda *args, **kwargs: None

    katex = tmp_path / "katex"
    katex.mkdir()
    (katex / "katex.min.js").touch()  # setup only asks that KaTeX is installed
    monkeypatch.setattr(conf, "KATEX_DIST", katex)
    monkeypatch.setattr(conf.katex.KaTeXServer, "start_server_process", conf.katex.KaTeXServer.start_server_process)  # setup replaces it
    app = App()
    conf.setup(app)
    assert ("builder-inited", conf.rule_table) in app.connected

    monkeypatch.setattr(conf, "GENERATED", tmp_path / "_generated")
    conf.rule_table(app)
    written = (tmp_path / "_generated" / "rules.md").read_text(encoding="utf-8")
    assert cli.main(["rules", "--markdown", "--latex"]) == 0
    assert written == capsys.readouterr().out
    for rule in RULES:
        assert f"| `{rule.name}` |" in written
