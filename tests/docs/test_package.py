"""The package as a user imports it: the plugin loads without JAX, and the public names resolve."""

import inspect
import subprocess
import sys

import verification


def test_loading_the_plugin_imports_no_jax():
    """pytest loads the plugin in every run of a project that has the package installed."""
    code = "import sys, verification.pytest_plugin; print(sorted(m for m in ('jax', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves():
    for name in verification.__all__:
        assert getattr(verification, name) is not None, name
    assert sorted(dir(verification)) == sorted(verification.__all__)


def test_train_is_a_plain_subpackage_whose_train_function_trains():
    """``verification.train`` is the subpackage (a module, not callable), whichever import comes
    first; ``verification.train.train`` is the function."""
    code = ("import verification.train.data, verification, inspect, types; "
            "print(type(verification.train) is types.ModuleType, callable(verification.train), "
            "list(inspect.signature(verification.train.train).parameters)[:2])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True False ['X', 'y']"
    assert inspect.isfunction(verification.train.train)
