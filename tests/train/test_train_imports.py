"""The training modules and the training benchmark's stand in a line: no import cycle (the
package itself counted: a submodule that imports ``verification.train`` runs its ``__init__``), no import
inside a function but the optional matplotlib, and no private name taken from another module."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRAINING_BENCH = ("__init__.py", "measure.py", "report.py")
"""``verification.bench``'s modules for training (``checker.py`` measures the checker, whose owners answer for it)."""
MODULES = sorted([*ROOT.glob("verification/train/*.py"), *(ROOT / "verification/bench" / name for name in TRAINING_BENCH),
                  *(ROOT / "verification/cli" / name for name in ("train.py", "bench.py", "console.py")), ROOT / "reference/training.py"])
OPTIONAL = {("verification.cli.train", "matplotlib"), ("verification.cli.train", "matplotlib.pyplot")}
"""Imported when used: matplotlib is an optional dependency (the ``plot`` extra)."""


def name_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> list[tuple[ast.stmt, str, list[str], bool]]:
    """(statement, module, names, inside a function) for every absolute import of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = {id(node) for function in ast.walk(tree) if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
              for node in ast.walk(function)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name, [], id(node) in inside) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node, node.module, [alias.name for alias in node.names], id(node) in inside))
    return found


def dependencies(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` names in an import: ``from verification.train import
    start`` names the package (whose ``__init__`` imports every submodule) as well as ``start``."""
    out = set()
    for _, target, names, _ in imports(path):
        out |= {target, *(f"{target}.{name}" for name in names)}
    return (out & known) - {module}


def test_no_import_cycle():
    known = {name_of(path) for path in MODULES}
    graph = {name_of(path): dependencies(name_of(path), path, known) for path in MODULES}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("path", MODULES, ids=name_of)
def test_imports_at_the_top_and_only_public_names(path):
    module = name_of(path)
    for statement, target, names, inside in imports(path):
        assert not inside or (module, target) in OPTIONAL, f"{module}:{statement.lineno} imports {target} inside a function"
        for name in names:
            assert not name.startswith("_") or name == "annotations", (
                f"{module}:{statement.lineno} imports the private {target}.{name}")
