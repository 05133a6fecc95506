"""This repository's own test run uses the package's pytest plugin, as a user's project would:
its hypothesis profiles are the ones in force, and they say what they promise."""

import argparse

import pytest
from hypothesis import HealthCheck, settings

from verification.precision import DTYPES
from verification.pytest_plugin import LANES, PROFILE_SETTINGS, parse_dtypes


def test_this_run_uses_the_plugin_and_one_of_its_profiles(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("matrix_calculus")
    name = settings.get_current_profile_name().split("-with-")[0]  # hypothesis's verbosity variants
    assert name in PROFILE_SETTINGS
    active = settings.default
    for key, value in {**PROFILE_SETTINGS[name], "deadline": None}.items():
        assert getattr(active, key) == value, key


@pytest.mark.parametrize("name", list(PROFILE_SETTINGS))
def test_every_profile_has_no_deadline_and_every_health_check(name):
    """No deadline (the first call at a shape compiles); nothing inherited from hypothesis's own ci."""
    profile = settings.get_profile(name)
    assert profile.deadline is None
    assert HealthCheck.too_slow not in profile.suppress_health_check


def test_ci_is_reproducible_and_distinct_from_hypothesis_builtin():
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.print_blob
    assert ci.max_examples != 100  # hypothesis's own "ci" runs 100; replacing ours would show


def test_profiles_grow_from_dev_to_thorough():
    dev, ci, thorough = (settings.get_profile(name).max_examples for name in ("dev", "ci", "thorough"))
    assert dev < ci < thorough and thorough >= 500
    assert not settings.get_profile("dev").derandomize and not settings.get_profile("thorough").derandomize


@pytest.mark.parametrize("text, lanes", [
    ("float64,float32", ("float64", "float32")),
    ("float32", ("float32",)),
    (" float32 , float64 ", ("float32", "float64")),
])
def test_lane_lists_parse(text, lanes):
    assert parse_dtypes(text) == lanes


@pytest.mark.parametrize("text", ["", "float16", "float64,", "float64,float64", "f64", "float64 float32"])
def test_bad_lane_lists_are_rejected(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_dtypes(text)


def test_the_plugins_lanes_are_the_precision_modules():
    assert LANES == tuple(DTYPES)

