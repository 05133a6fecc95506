"""A check leaves the user's process as it found it: their compiled programs stay compiled, their
own traces (closures over NumPy integer and float arrays included) give the same results and
raise nothing, their settings are unchanged, and the checker's caches stay bounded; in either
lane order, with 64-bit mode off (this process) or on (a subprocess)."""

import gc
import subprocess
import sys
import threading
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from verification import check_derivative
from verification.check.lane import STRUCTURES
from verification.oracles import compilation_count
from verification.programs import CACHED_PROGRAMS, LOCAL_PROGRAMS

LABELS = np.array([0, 2, 1, 2])
SCALE = np.array([[0.5, 2.0, -1.0]])
Z = np.random.default_rng(0).normal(size=(4, 3))


def xent(z):
    """Closes over a NumPy integer array (the labels) and a float array: the case that breaks
    under a scoped ``jax.enable_x64`` in JAX itself."""
    return -jnp.sum(jax.nn.log_softmax(z * SCALE)[jnp.arange(4), LABELS])


def dxent(z):
    e = np.exp(z * SCALE - (z * SCALE).max(1, keepdims=True))
    s = e / e.sum(1, keepdims=True)
    s[np.arange(4), LABELS] -= 1
    return s * SCALE


def _settings():
    return (jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision, jax.config.jax_default_device,
            jax.config.jax_numpy_dtype_promotion)


@pytest.mark.parametrize("order", [("float32", "float64"), ("float64", "float32"), (None,)],
                         ids=["float32 then float64", "float64 then float32", "both lanes"])
def test_the_users_own_traces_work_before_between_and_after_checks(order):
    before = _settings()
    expected = float(xent(Z))
    for dtype in order:
        assert check_derivative(xent, dxent, Z, dtype=dtype).passed
        assert _settings() == before
        # the user's code between checks: eager, jitted, and traced for its shape
        assert float(xent(Z)) == expected
        assert float(jax.jit(xent)(jnp.asarray(Z))) == pytest.approx(expected, rel=1e-6)
        assert jax.eval_shape(xent, jax.ShapeDtypeStruct(Z.shape, jnp.float32)).shape == ()
    assert _settings() == before


def test_a_check_keeps_the_users_compiled_programs():
    """A jitted program of the user's is traced once, whatever checks run in between (a cleared
    cache would trace it again)."""
    traces = []

    @jax.jit
    def users_program(x):
        traces.append(1)
        return jnp.sin(x) @ x

    x = jnp.arange(5.0)
    users_program(x)
    for dtype in ("float32", "float64", None):
        assert check_derivative(lambda v: jnp.sum(v ** 3), lambda v: 3 * v ** 2, np.array([1.0, -2.0]), dtype=dtype).passed
        users_program(x)
    assert len(traces) == 1


def test_with_64_bit_mode_on_globally_the_user_is_left_as_found():
    """The same in a process whose user turned 64-bit mode on: then float32 is the other lane."""
    script = """
import jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_enable_x64", True)
from verification import check_derivative
LABELS = np.array([0, 2, 1, 2])
def xent(z):
    return -jnp.sum(jax.nn.log_softmax(z)[jnp.arange(4), LABELS])
def dxent(z):
    e = np.exp(z - z.max(1, keepdims=True)); s = e / e.sum(1, keepdims=True); s[np.arange(4), LABELS] -= 1
    return s
z = np.random.default_rng(0).normal(size=(4, 3))
expected = float(xent(z))
for dtype in ("float32", "float64", None, "float32"):
    assert check_derivative(xent, dxent, z, dtype=dtype).passed, dtype
    assert jax.config.jax_enable_x64 and jax.config.jax_default_matmul_precision is None
    assert float(xent(z)) == expected and float(jax.jit(xent)(z)) == expected
    assert jax.jit(xent)(z).dtype == jnp.float64
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def _check_a_closure_once() -> weakref.ref:
    """Check a function closing over an array; the array lives on only in the checker's caches."""
    closure = np.arange(3.0)
    check_derivative(lambda x: jnp.sum(x * closure), lambda x: closure, np.ones(3), dtype="float32")
    return weakref.ref(closure)


def test_a_new_lambda_per_example_compiles_once_per_shape_and_is_not_kept_alive(monkeypatch):
    """Programs are named by content: a hypothesis test that builds a new ``f`` per example
    compiles once per shape; the cache is bounded, so an ``f`` (and its closure) is released
    once enough other programs have run."""
    first = compilation_count()
    for k in range(6):
        f = lambda x: jnp.sum(jnp.tanh(x))  # noqa: E731  a new function object each time
        assert check_derivative(f, lambda x: 1 - np.tanh(x) ** 2, np.linspace(-1, 1, 3 + k % 2), dtype="float32").passed
    assert compilation_count() - first == 2  # two shapes
    # The caches that hold an f: its compiled programs, and its derivative's structure.
    caches = (LOCAL_PROGRAMS, STRUCTURES)
    assert all(cache.size == CACHED_PROGRAMS for cache in caches)
    # An f is released after bound + 1 other programs whatever the bound: a bound of 4 proves it
    # with 5 compilations instead of CACHED_PROGRAMS + 1.
    for cache in caches:
        monkeypatch.setattr(cache, "size", 4)
    kept = _check_a_closure_once()
    for k in range(4 + 1):
        check_derivative(lambda x, k=k: jnp.sum(x) * k, lambda x, k=k: np.full_like(x, k), np.ones(2), dtype="float32")
    gc.collect()
    assert kept() is None and all(len(cache) <= 4 for cache in caches)


def test_an_f_that_cannot_travel_to_the_other_lane_is_named():
    lock = threading.Lock()

    def f(x):
        with lock:
            return jnp.sum(x ** 2)

    other = "float64" if not jax.config.jax_enable_x64 else "float32"
    with pytest.raises(TypeError, match=r"^f: the float\d\d lane runs in a separate process"):
        check_derivative(f, lambda x: 2 * x, np.ones(3), dtype=other)
    native = "float32" if other == "float64" else "float64"
    assert check_derivative(f, lambda x: 2 * x, np.ones(3), dtype=native).passed


def test_an_error_in_f_in_the_other_lane_is_the_users_error():
    def f(x):
        if x.shape[0] > 2:
            raise ValueError("x: my own message")
        return jnp.sum(x)

    with pytest.raises(ValueError, match="x: my own message"):
        check_derivative(f, lambda x: np.ones_like(x), np.ones(3))
