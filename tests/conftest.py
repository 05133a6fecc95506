"""Test-run configuration: hypothesis profiles (registered and loaded here, and only here) and
a strict JAX.

Profiles, chosen by the environment variable HYPOTHESIS_PROFILE (or pytest's
``--hypothesis-profile``):

- ``dev``: the default on a workstation, quick.
- ``ci``: the default when the variable CI is set (as CI does).  Hypothesis registers a
  built-in profile of the same name and loads it by itself when it sees CI; registering ours
  under that name replaces it, and loading it here makes the choice explicit, so the run
  is ours and derandomized rather than silently hypothesis's.
- ``thorough``: many examples, for a long run before a release.

All use ``deadline=None``: the first call of each rule at each shape compiles with XLA
(tens to hundreds of milliseconds, more on a loaded 2-core CI machine), and a deadline would
time that compilation, not the check, producing failures that do not reproduce.
"""

import os

import jax
from hypothesis import settings

PROFILES = {
    "dev": settings(max_examples=15, deadline=None),
    "ci": settings(max_examples=40, deadline=None, derandomize=True, database=None, print_blob=True),
    "thorough": settings(max_examples=500, deadline=None),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)


def selected_profile() -> str:
    return os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")


settings.load_profile(selected_profile())

# Implicit rank promotion (adding a (3,) to a (3, 1)) is an error in the test run, so a JAX
# twin cannot silently broadcast where the math does not.  Scalars are exempt.
jax.config.update("jax_numpy_rank_promotion", "raise")


def pytest_terminal_summary(terminalreporter):
    from verification.oracles import compilation_count

    terminalreporter.write_line(f"oracle compilations (rule × shape × dtype): {compilation_count()}")
