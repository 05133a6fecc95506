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


def test_train_is_callable_whichever_import_comes_first():
    """Importing a submodule first binds the subpackage to ``verification.train``: it still trains."""
    code = ("import verification.train.data, verification, inspect; "
            "print(callable(verification.train), list(inspect.signature(verification.train).parameters)[:2])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True ['X', 'y']"
    assert inspect.signature(verification.train) == inspect.signature(verification.train.train)
