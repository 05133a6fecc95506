"""Every example in a docstring of ``reference`` and ``verification`` (the ``>>>`` lines the
documentation site shows as code) runs and prints what the docstring says."""

import doctest
import importlib
import pkgutil

import pytest

import reference
import verification

SKIPPED_MODULES = {"verification.__main__"}  # importing it runs the command line


def _modules():
    for package in (reference, verification):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if info.name not in SKIPPED_MODULES:
                yield info.name


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            if test.examples:
                yield pytest.param(test, id=test.name)


EXAMPLES = list(_examples())
"""The docstrings' examples, found in every module of both packages."""


def test_the_docstrings_have_examples():
    modules = {test.values[0].name.split(".")[0] for test in EXAMPLES}
    assert modules == {"reference", "verification"}, f"examples found only in {modules}"


@pytest.mark.parametrize("test", EXAMPLES)
def test_the_example_runs_as_written(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    output: list[str] = []
    runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)
