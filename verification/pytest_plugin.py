r"""The pytest plugin of matrix-calculus-verified: hypothesis profiles and the float64/float32 lanes.

Installed with the package (a ``pytest11`` entry point named ``matrix_calculus``), so it is
active in any project whose environment has the package; ``-p no:matrix_calculus`` turns it
off.  It provides:

- the hypothesis profiles ``dev`` (quick; the default on a workstation), ``ci`` (the default
  when the environment variable ``CI`` is set or hypothesis detects a CI system: derandomized,
  no example database, failing examples printed as reproduction blobs) and ``thorough`` (many
  examples, for a long run before a release).  The profile is chosen by hypothesis's own
  ``--hypothesis-profile NAME``, else the environment variable ``HYPOTHESIS_PROFILE``, else a
  profile the project's ``conftest.py`` loaded itself, else ``ci``/``dev`` as above.
  Hypothesis registers and loads a built-in ``ci`` profile by itself under CI; this plugin
  registers its own under that name and loads it explicitly, so a CI run is never silently
  hypothesis's.  The three names are this plugin's: a project's own profiles need other names;
- the option ``--derivative-dtypes`` (comma-separated, ``float64,float32`` by default) and the
  argument ``derivative_dtype``: a test that names it among its arguments (as it would a
  fixture) runs once per chosen lane and receives the NumPy dtype (``np.float64`` or
  ``np.float32``) to pass on as ``dtype=``.  The test itself runs in the process's own JAX
  configuration, untouched: the checker runs the lane that differs from it in a helper process,
  so a test of a function that closes over NumPy integer arrays passes in both lanes, in either
  order, and leaves nothing behind for the next test.  It works with ``@given`` (hypothesis's health check
  rejects function-scoped fixtures, so this is a parametrization, not a fixture) and yields to
  an explicit ``@pytest.mark.parametrize("derivative_dtype", ...)``.

Example, in a user's test file (no conftest needed)::

    import jax.numpy as jnp
    import numpy as np
    from hypothesis import given
    from verification import assert_derivative, strategies as S

    def f(x):
        return jnp.sum(jnp.tanh(x))

    @given(x=S.vectors(dtype=np.float64))
    def test_tanh_sum_gradient(derivative_dtype, x):
        assert_derivative(f, lambda x: 1 - np.tanh(x) ** 2, x, dtype=derivative_dtype)

Run with ``pytest --derivative-dtypes float32 --hypothesis-profile thorough``.

The plugin defers its own imports to the hooks that need them (hypothesis when pytest
configures, NumPy at collection), and the
``verification`` package imports its names on first use: loading the plugin imports no JAX.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import pytest

LANES = ("float64", "float32")
"""The lanes a check runs in, by name, in the default order: the names of
:data:`verification.precision.DTYPES`, spelled out so that loading the plugin imports no NumPy
(a test holds them equal)."""

PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 15},
    "ci": {"max_examples": 40, "derandomize": True, "database": None, "print_blob": True},
    "thorough": {"max_examples": 500},
}
"""Keyword arguments of ``hypothesis.settings`` per profile.  Every profile also has
``deadline=None``: the first call of a check at each new shape and dtype compiles with XLA
(tens to hundreds of milliseconds, more on a loaded CI machine), and a deadline would time
that compilation, not the check, producing failures that do not reproduce."""


def parse_dtypes(text: str) -> tuple[str, ...]:
    """``"float64,float32"`` -> ``("float64", "float32")``: known names, no repeats, at least one."""
    names = tuple(part.strip() for part in text.split(","))
    unknown = [name for name in names if name not in LANES]
    if unknown or not text.strip():
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(LANES)}, got {text!r}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a lane is named twice in {text!r}")
    return names


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("matrix_calculus", "derivative checks (matrix-calculus-verified)")
    group.addoption(
        "--derivative-dtypes", dest="derivative_dtypes", type=parse_dtypes, default=LANES,
        metavar="LANES",
        help="comma-separated lanes a test using the derivative_dtype fixture runs in "
             f"(default: {','.join(LANES)})",
    )


def selected_profile(config: pytest.Config) -> str:
    """The hypothesis profile this run uses (see the module docstring for the order)."""
    from hypothesis import settings

    chosen = config.getoption("--hypothesis-profile", None) or os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    current = settings.get_current_profile_name()
    if current not in ("default", "ci"):  # the project's conftest loaded its own
        return current
    return "ci" if os.environ.get("CI") or current == "ci" else "dev"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: registered before hypothesis's own plugin loads --hypothesis-profile by name
    if config.getoption("help", False) or config.getoption("version", False):
        return  # nothing runs: importing hypothesis would only slow the help text down
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    # parent: hypothesis's defaults, not whatever is loaded now (under CI that is hypothesis's
    # own ci profile, whose derandomize and health-check choices would leak into ours)
    defaults = settings.get_profile("default")
    for name, kwargs in PROFILE_SETTINGS.items():
        settings.register_profile(name, parent=defaults, deadline=None, **kwargs)
    name = selected_profile(config)
    try:
        settings.load_profile(name)
    except InvalidArgument as error:
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE: no hypothesis profile named {name!r} ({error})") from None


def pytest_report_header(config: pytest.Config) -> str:
    return f"derivative lanes: {', '.join(config.getoption('derivative_dtypes'))}"


def _explicitly_parametrized(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if "derivative_dtype" in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A direct parametrization, not a fixture: hypothesis fails a @given test that uses a
    # function-scoped fixture (its health check), and a wider-scoped one would reorder tests
    # and keep the lane open across tests that did not ask for it.
    if "derivative_dtype" in metafunc.fixturenames and not _explicitly_parametrized(metafunc):
        import numpy as np

        lanes = metafunc.config.getoption("derivative_dtypes")
        metafunc.parametrize("derivative_dtype", [getattr(np, name) for name in lanes], ids=lanes)
