"""A check reads ``f`` once per function object while the objects it refers to stay the same
(pickling a function by value is the largest part of a small check's cost); a global rebound or a
custom rule given another ``bwd`` is seen by the next check, in both lanes (for a function sent
to the other lane's process by value: a lambda, a closure, a function of ``__main__``)."""

import jax
import jax.numpy as jnp
import numpy as np

from verification import check_custom_rule, check_derivative

SCALE = 2.0


def test_a_global_rebound_between_checks_is_seen(monkeypatch):
    scaled_sum = lambda x: jnp.sum(SCALE * x)  # noqa: E731 (a lambda: pickled by value)
    x = np.linspace(-1.0, 1.0, 5)
    assert check_derivative(scaled_sum, lambda x: np.full_like(x, 2.0), x).passed
    monkeypatch.setattr(__import__(__name__), "SCALE", 3.0)
    assert check_derivative(scaled_sum, lambda x: np.full_like(x, 3.0), x).passed
    assert not check_derivative(scaled_sum, lambda x: np.full_like(x, 2.0), x).passed


def test_a_custom_rule_given_another_bwd_is_seen():
    @jax.custom_vjp
    def tanh_sum(x):
        return jnp.sum(jnp.tanh(x))

    def fwd(x):
        return tanh_sum(x), x

    def wrong(x, g):  # a factor 2 too many
        return (2.0 * g * (1.0 - jnp.tanh(x) ** 2),)

    def right(x, g):
        return (g * (1.0 - jnp.tanh(x) ** 2),)

    x = np.linspace(-2.0, 2.0, 6)
    tanh_sum.defvjp(fwd, wrong)
    assert not check_custom_rule(tanh_sum, x).passed
    tanh_sum.defvjp(fwd, right)
    assert check_custom_rule(tanh_sum, x).passed
    tanh_sum.defvjp(fwd, wrong)
    assert not check_custom_rule(tanh_sum, x).passed


def test_a_function_whose_module_the_other_lane_cannot_import_is_sent_by_value(tmp_path):
    import importlib.util
    import sys

    source = tmp_path / "loaded_by_path.py"
    source.write_text("import jax.numpy as jnp\n\ndef cube_sum(x):\n    return jnp.sum(x ** 3)\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("loaded_by_path_only", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["loaded_by_path_only"] = module  # importable here only: its folder is on no sys.path
    try:
        spec.loader.exec_module(module)
        x = np.linspace(-1.0, 1.0, 4)
        for _ in range(2):  # the second check reuses what the first sent
            assert check_derivative(module.cube_sum, lambda x: 3 * x**2, x).passed
            assert not check_derivative(module.cube_sum, lambda x: 2 * x**2, x).passed
    finally:
        del sys.modules["loaded_by_path_only"]
