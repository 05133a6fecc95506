"""The public names of ``reference`` are its topic modules' ``__all__``, re-exported in a form type
checkers follow; each topic has its page on the documentation site."""

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import reference

ROOT = Path(__file__).resolve().parents[2]
NOT_TOPICS = {"checks"}  # the argument checks the rules share: not public API


def _defined_here(module) -> set[str]:
    """Public functions and classes the module itself defines."""
    return {name for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__}


def test_every_module_of_the_package_is_a_topic_or_declared_otherwise():
    modules = {info.name for info in pkgutil.iter_modules(reference.__path__)}
    assert modules - NOT_TOPICS == set(reference.TOPICS)


@pytest.mark.parametrize("topic", reference.TOPICS)
def test_a_topic_lists_every_public_function_it_defines_and_the_package_exports_it(topic):
    module = importlib.import_module(f"reference.{topic}")
    assert set(module.__all__) == _defined_here(module), f"reference/{topic}.py: __all__ is not its public functions"
    for name in module.__all__:
        assert getattr(reference, name) is getattr(module, name), f"reference.{name} is not reference.{topic}.{name}"


def test_the_package_exports_nothing_else():
    topics = [importlib.import_module(f"reference.{topic}") for topic in reference.TOPICS]
    assert sorted(reference.__all__) == sorted(name for module in topics for name in module.__all__)
    assert len(set(reference.__all__)) == len(reference.__all__), "two topics export the same name"


@pytest.mark.parametrize("topic", reference.TOPICS)
def test_every_topic_has_its_page(topic):
    page = ROOT / "docs" / "reference" / f"{topic}.md"
    assert page.is_file(), f"docs/reference/{topic}.md is missing"
    assert f".. public-members:: reference.{topic}\n" in page.read_text(encoding="utf-8")
    assert f"\n{topic}\n" in (ROOT / "docs" / "reference" / "index.md").read_text(encoding="utf-8"), "not in the toctree"
