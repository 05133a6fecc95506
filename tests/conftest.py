"""Test-run configuration specific to this repository's own suite.

The hypothesis profiles (``dev``, ``ci``, ``thorough``) and the ``derivative_dtype`` fixture come
from the package's pytest plugin (``verification.pytest_plugin``, installed with the package),
exactly as in a user's project; nothing here repeats them.
"""

import os

import jax

# Implicit rank promotion (adding a (3,) to a (3, 1)) is an error in the test run, so a JAX
# twin cannot silently broadcast where the math does not.  Scalars are exempt.  The variable
# carries the setting into the worker processes that verify rules in parallel.
os.environ["JAX_NUMPY_RANK_PROMOTION"] = "raise"
jax.config.update("jax_numpy_rank_promotion", "raise")


def pytest_terminal_summary(terminalreporter):
    from verification.oracles import compilation_count

    terminalreporter.write_line(f"oracle compilations (rule × shape × dtype): {compilation_count()}")
