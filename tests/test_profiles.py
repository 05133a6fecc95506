"""Our hypothesis profiles are the ones in force, also under CI where hypothesis would load its own."""

import os
import subprocess
import sys

import pytest
from conftest import PROFILES, selected_profile
from hypothesis import settings


def test_the_selected_profile_is_loaded():
    # the outer test below says which profile this run must have picked
    name = os.environ.get("EXPECTED_HYPOTHESIS_PROFILE", selected_profile())
    active, ours = settings.default, PROFILES[name]
    assert (active.max_examples, active.deadline, active.derandomize) == (ours.max_examples, None, ours.derandomize)


@pytest.mark.parametrize(
    "env, expected",
    [({"CI": "true"}, "ci"), ({}, "dev"), ({"CI": "true", "HYPOTHESIS_PROFILE": "thorough"}, "thorough")],
    ids=["CI set", "workstation", "explicit"],
)
def test_profile_selection_in_a_fresh_run(env, expected):
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"{__file__}::test_the_selected_profile_is_loaded"],
        env={**clean, **env, "EXPECTED_HYPOTHESIS_PROFILE": expected}, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_our_ci_profile_is_not_hypothesis_builtin():
    """Hypothesis's own "ci" runs 100 examples; if it replaced ours, the checks above would see it."""
    assert PROFILES["ci"].max_examples != 100
