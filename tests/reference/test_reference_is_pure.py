"""``import reference`` must not import JAX: a reader can learn from it with NumPy alone."""

import subprocess
import sys


def modules_loaded_by(package: str) -> set[str]:
    """Import ``package`` in a fresh interpreter and return the top-level modules it loaded."""
    code = f"import sys, {package}; print('\\n'.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_reference_does_not_import_jax():
    loaded = modules_loaded_by("reference")
    assert "numpy" in loaded
    assert "jax" not in loaded and "jaxlib" not in loaded


def test_the_check_can_fail():
    """Meta-test: the same check sees JAX when a package does import it."""
    assert "jax" in modules_loaded_by("verification.oracles")
