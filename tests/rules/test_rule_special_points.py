"""The ReLU tie at z = 0 and other points where a convention decides the answer.

Random data almost never lands exactly on the kink, so these are exact, deterministic tests.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import reference
from verification import check_derivative
from verification.compare import format_comparison
from verification.precision import DTYPES
from verification.rules import SPECIAL_POINTS, get_rule
from verification.verify import check_example


@pytest.mark.parametrize("dtype", list(DTYPES.values()), ids=list(DTYPES))
@pytest.mark.parametrize("point", SPECIAL_POINTS, ids=lambda p: f"{p.rule}: {p.why}")
def test_reference_matches_every_oracle_at_special_point(point, dtype):
    for c in check_example(get_rule(point.rule), *point.args, dtype=dtype):
        assert c.ok, format_comparison(c)


@pytest.mark.parametrize("z", [0.0, -0.0])
def test_relu_derivative_at_the_kink_is_zero_everywhere_but_jnp_maximum(z):
    # by hand, the paper's §5 convention: d/dz max(0, z) = 0 for z <= 0
    assert reference.relu_derivative(z) == 0.0
    assert jax.grad(jax.nn.relu)(z) == 0.0
    assert jax.grad(lambda z: jnp.where(z > 0, z, 0.0))(z) == 0.0
    # the documented difference: lax.max splits a tie 0.5/0.5 (jax-ml/jax#2342)
    assert jax.grad(lambda z: jnp.maximum(z, 0.0))(z) == 0.5


def test_harness_tells_jnp_maximum_from_the_paper_at_the_kink():
    rule = get_rule("relu_scalar")
    maximum = dataclasses.replace(rule, function=lambda z: jnp.maximum(z, 0.0))
    failed = [c for c in check_example(maximum, 0.0) if not c.ok]
    assert failed and all(c.worst_index == () for c in failed)
    message = format_comparison(failed[0])
    assert "relu_scalar" in message and "0.5" in message


def test_kink_is_named_and_the_policy_decides():
    """At z = 0 the one-sided derivatives are 0 and 1: a hand derivative of 1 is JAX's other side."""
    relu = get_rule("relu_broadcast")
    ones_at_tie = lambda x: np.diag((x >= 0).astype(float))  # noqa: E731
    point = np.array([-1.0, 0.0, 2.0])
    strict = check_derivative(relu.function, ones_at_tie, point)
    assert not strict.passed
    assert any("not differentiable" in n and "from above" in n for n in strict.notes), str(strict)
    assert check_derivative(relu.function, ones_at_tie, point, kinks="either").passed
    # a value that is neither one-sided derivative is still rejected under "either"
    assert not check_derivative(relu.function, lambda x: 0.5 * ones_at_tie(x), point, kinks="either").passed
    # "fail" rejects the kink even for JAX's own convention
    assert not check_derivative(relu.function, relu.derivative, point, kinks="fail").passed
    assert check_derivative(relu.function, relu.derivative, point).passed


def test_relu_is_one_just_above_the_kink():
    tiny = np.finfo(np.float32).tiny  # the smallest normal float32; subnormals are never drawn
    assert reference.relu_derivative(np.float32(tiny)) == 1.0
    assert jax.grad(jax.nn.relu)(jnp.float32(tiny)) == 1.0


def test_mse_divides_by_all_samples_at_the_kink():
    # by hand for the mse_grad_b special point: z = (0, 2, -1), y = (1, 3, 2); only sample 1
    # is active, e_1 = 2 - 3 = -1, so dC/db = (2/3)(-1) and dC/dw = (2/3)(-1)(2, 1)
    point = next(p for p in SPECIAL_POINTS if p.rule == "mse_grad_b")
    np.testing.assert_allclose(reference.mse_loss_grad_b(*point.args), -2 / 3, rtol=1e-15)
    np.testing.assert_allclose(reference.mse_loss_grad_w(*point.args), [-4 / 3, -2 / 3], rtol=1e-15)
