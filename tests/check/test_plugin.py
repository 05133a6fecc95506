"""The pytest plugin in a user's own project: a fresh pytest process (``pytester``) in an empty
directory, with the plugin loaded by its entry point as after ``pip install``."""

import re

import pytest
from hypothesis import settings

from verification.pytest_plugin import PROFILE_SETTINGS

pytest_plugins = ["pytester"]

CI_VARIABLES = ("CI", "TF_BUILD", "BUILDKITE", "CIRCLECI", "CIRRUS_CI", "GITHUB_ACTIONS", "GITLAB_CI",
                "CODEBUILD_BUILD_ID", "HEROKU_TEST_RUN_ID", "TEAMCITY_VERSION", "bamboo.buildKey",
                "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI")
"""Every variable by which hypothesis detects a CI system (and loads its own ``ci`` profile)."""

PROFILE_PROBE = """
from hypothesis import settings

def test_profile():
    s = settings.default
    print(f"PROFILE {settings.get_current_profile_name()} {s.max_examples} {s.derandomize} {s.deadline} {s.database is None}")
"""


@pytest.fixture
def user_project(pytester, monkeypatch):
    """An empty project, run on a workstation: no CI variable, no profile chosen."""
    for name in (*CI_VARIABLES, "HYPOTHESIS_PROFILE", "PYTEST_ADDOPTS", "JAX_ENABLE_X64"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def expected(name: str) -> str:
    # built on hypothesis's own defaults, as the plugin builds them, not on the profile this
    # test run itself has loaded (under CI that is our derandomized "ci")
    ours = settings(settings.get_profile("default"), deadline=None, **PROFILE_SETTINGS[name])
    return f"PROFILE {name} {ours.max_examples} {ours.derandomize} None {ours.database is None}"


def run_profile_probe(project, *args):
    project.makepyfile(test_probe=PROFILE_PROBE)
    result = project.runpytest_subprocess("-s", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    return result


@pytest.mark.parametrize(
    "env, args, profile",
    [
        ({}, (), "dev"),
        ({"CI": "true"}, (), "ci"),
        ({"GITHUB_ACTIONS": "true"}, (), "ci"),
        ({"HYPOTHESIS_PROFILE": "thorough"}, (), "thorough"),
        ({"CI": "true", "HYPOTHESIS_PROFILE": "thorough"}, (), "thorough"),
        ({"CI": "true"}, ("--hypothesis-profile", "dev"), "dev"),
        ({"HYPOTHESIS_PROFILE": "dev"}, ("--hypothesis-profile=thorough",), "thorough"),
    ],
    ids=["workstation", "CI set", "CI detected by hypothesis", "variable", "variable over CI", "option over CI",
         "option over variable"],
)
def test_profile_selection(user_project, monkeypatch, env, args, profile):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run_profile_probe(user_project, *args).stdout.fnmatch_lines(["*" + expected(profile)])


def test_under_ci_our_profile_replaces_hypothesis_builtin(user_project, monkeypatch):
    """Hypothesis's own ``ci`` runs 100 examples with the too_slow health check off; ours must be the one in force."""
    monkeypatch.setenv("CI", "1")
    user_project.makepyfile(test_probe=f"""
        from hypothesis import HealthCheck, settings

        def test_ci():
            assert settings.get_current_profile_name() == "ci"
            assert settings.default.max_examples == {PROFILE_SETTINGS['ci']['max_examples']} != 100
            assert HealthCheck.too_slow not in settings.default.suppress_health_check
    """)
    user_project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_profile_the_project_loads_itself_stands(user_project):
    user_project.makeconftest("""
        from hypothesis import settings
        settings.register_profile("mine", max_examples=7, deadline=None)
        settings.load_profile("mine")
    """)
    run_profile_probe(user_project).stdout.fnmatch_lines(["*PROFILE mine 7 False None *"])


def test_an_unknown_profile_is_a_usage_error(user_project, monkeypatch):
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "quick")
    user_project.makepyfile(test_probe=PROFILE_PROBE)
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*HYPOTHESIS_PROFILE*quick*"])


LANE_PROBE = """
import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, strategies as st
from verification import assert_derivative

GLOBAL_X64 = jax.config.jax_enable_x64
LABELS = np.array([0, 2, 1, 2])


def xent(z):
    return -jnp.sum(jax.nn.log_softmax(z)[jnp.arange(4), LABELS])


def dxent(z):
    e = np.exp(z - z.max(1, keepdims=True))
    s = e / e.sum(1, keepdims=True)
    s[np.arange(4), LABELS] -= 1
    return s


Z = np.random.default_rng(0).normal(size=(4, 3))


def test_lane(derivative_dtype):
    # the test body runs in the process's own configuration: the lane is the checker's business
    assert jax.config.jax_enable_x64 == GLOBAL_X64
    assert jax.config.jax_default_matmul_precision is None
    assert_derivative(xent, dxent, Z, dtype=derivative_dtype)
    # the user's own code, closing over a NumPy integer array, still traces and runs afterwards
    float(jax.jit(xent)(jnp.asarray(Z)))
    float(xent(Z))
    print("LANE", np.dtype(derivative_dtype).name)


@given(x=st.floats(-1, 1))
def test_lane_with_given(derivative_dtype, x):
    assert jnp.asarray(x).dtype == (np.float64 if GLOBAL_X64 else np.float32)
    assert_derivative(lambda v: jnp.sin(v) * LABELS[1], lambda v: np.cos(v) * LABELS[1], x, dtype=derivative_dtype)


def test_global_configuration_is_unchanged_after():
    assert jax.config.jax_enable_x64 == GLOBAL_X64
    assert jax.config.jax_default_matmul_precision is None
    float(jax.jit(xent)(jnp.asarray(Z)))
"""


@pytest.mark.parametrize(
    "global_x64, option, lanes",
    [("0", (), ["float64", "float32"]), ("1", (), ["float64", "float32"]),
     ("1", ("--derivative-dtypes", "float32"), ["float32"]),
     ("0", ("--derivative-dtypes=float32,float64",), ["float32", "float64"])],
    ids=["default, x64 off globally", "default, x64 on globally", "float32, x64 on globally", "float32 first"],
)
def test_each_test_runs_once_per_lane_and_leaves_the_process_as_it_was(user_project, monkeypatch, global_x64, option, lanes):
    monkeypatch.setenv("JAX_ENABLE_X64", global_x64)
    user_project.makepyfile(test_lanes=LANE_PROBE)
    result = user_project.runpytest_subprocess("-s", "-v", "-p", "no:cacheprovider", *option)
    result.assert_outcomes(passed=2 * len(lanes) + 1)
    assert re.findall(r"LANE (\w+)", result.stdout.str()) == lanes
    result.stdout.fnmatch_lines([f"*test_lane_with_given[[]{name}[]] PASSED*" for name in lanes], consecutive=False)
    result.stdout.fnmatch_lines([f"derivative lanes: {', '.join(lanes)}"])


def test_an_explicit_parametrization_takes_precedence(user_project):
    user_project.makepyfile(test_explicit="""
        import jax.numpy as jnp
        import numpy as np
        import pytest

        @pytest.mark.parametrize("derivative_dtype", [np.float32])
        def test_lane(derivative_dtype):
            assert jnp.zeros(1).dtype == np.float32
    """)
    user_project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("value", ["float16", "float64,float64"])  # the parser itself: test_profiles.py
def test_a_bad_lane_list_is_a_usage_error_naming_the_option(user_project, value):
    user_project.makepyfile(test_lanes=LANE_PROBE)
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", f"--derivative-dtypes={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--derivative-dtypes*"])


def test_a_failing_assert_derivative_shows_the_report_not_library_frames(user_project):
    user_project.makepyfile(test_user="""
        import jax.numpy as jnp
        import numpy as np
        from hypothesis import given
        from verification import assert_derivative, strategies as S

        def f(x):
            return jnp.sum(jnp.tanh(x))

        def wrong_gradient(x):
            return 1 - np.tanh(x)  # should be 1 - tanh(x)**2

        @given(x=S.vectors(n=3, min_magnitude=0.5, allow_zero=False))
        def test_tanh_sum(derivative_dtype, x):
            assert_derivative(f, wrong_gradient, x, dtype=derivative_dtype)
    """)
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--derivative-dtypes=float64")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    # the report itself: its verdict line and the table of the worst entries, at a shrunk point
    assert "check of f (jacobian, float64" in output and "DISAGREES with jax.jacfwd" in output
    assert "worst entry" in output and "Failing test case" in output
    # the traceback's frames ("path:line: ...") are the user's only: no JAX, NumPy or checker
    # internals (hypothesis's explain phase may still list covered library lines, not as frames)
    assert set(re.findall(r"^(\S+\.py):\d+: ", output, flags=re.MULTILINE)) == {"test_user.py"}


def test_the_help_lists_the_option(user_project):
    result = user_project.runpytest_subprocess("--help")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*--derivative-dtypes=LANES*"])
