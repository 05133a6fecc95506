"""The tolerance and the rounding-noise model, pinned from both sides: the documented formula,
an error just below the allowed amount passes and just above fails, and the noise estimate
bounds the true rounding error without exceeding the model's own bound."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from verification import check_derivative
from verification.compare import NOISE_FACTOR, RELATIVE_ULPS, SCALE_ULPS, tolerance
from verification.noise import rounding_noise
from verification.precision import own_program_scope as lane

LANES = ["float64", "float32"]

def test_tolerance_formula_is_pinned():
    """The documented rule, max(C·noise + R·ε·|oracle| + tiny/ε, S·ε·max|oracle|), with C = 8,
    R = 4 and S = 4; entry-wise, the first term alone."""
    assert (NOISE_FACTOR, RELATIVE_ULPS, SCALE_ULPS) == (8.0, 4.0, 4.0)
    eps, tiny = np.finfo(np.float64).eps, np.finfo(np.float64).tiny / np.finfo(np.float64).eps
    oracle, noise = np.array([2.0, 0.0]), np.array([1e-10, 0.0])
    np.testing.assert_array_equal(tolerance(oracle, noise, dtype=np.float64, entrywise=True),
                                  [8e-10 + 8 * eps + tiny, tiny])
    np.testing.assert_array_equal(tolerance(oracle, noise, dtype=np.float64), [8e-10 + 8 * eps + tiny, 4 * eps * 2.0])
    # batched: each point (axis 0) has its own scale
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_array_equal(tolerance(np.array([[1.0, 0.0], [1e-3, 0.0]]), dtype=np.float32, batched=True)[:, 1],
                                  [4 * eps32, 4 * eps32 * np.float64(1e-3)])
    assert tolerance(np.array([3.0]), dtype=np.float64, rtol=0.1, atol=1.0)[0] == pytest.approx(1.3)

@pytest.mark.parametrize("dtype", LANES)
def test_tolerance_holds_from_both_sides(dtype):
    """An error just below the allowed amount passes, just above fails, entry by entry."""
    f = lambda x: jnp.sum(jnp.sin(x) * jnp.exp(x))  # noqa: E731
    x = np.array([0.3, 2.0, -1.5])
    with lane(dtype):
        truth = np.asarray(jax.jacfwd(f)(x.astype(dtype)), np.float64)
    first = check_derivative(f, lambda x: truth, x, dtype=dtype)
    assert first.passed
    allowed = [c.allowed for c in first.comparisons if c.oracle in ("jacfwd", "jacrev", "grad")]
    assert len(allowed) == 3 and all(np.all(a > 0) for a in allowed)
    low, high = np.minimum.reduce(allowed), np.maximum.reduce(allowed)
    assert check_derivative(f, lambda x: truth + 0.9 * low, x, dtype=dtype).passed
    over = check_derivative(f, lambda x: truth + np.where(np.arange(3) == 1, 1.1, 0.0) * high, x, dtype=dtype)
    assert not over.passed and all(c.worst_index == (1,) for c in over.failures)

def test_noise_estimate_covers_the_real_rounding_error():
    """1 − tanh²(18.25) is all rounding in float64: the true value is 4e^{-36.5}/(1 + e^{-36.5})²."""
    truth = 4 * np.exp(-36.5) / (1 + np.exp(-36.5)) ** 2
    with lane(np.float64):
        value, noise = rounding_noise(jax.grad(jnp.tanh))(0, 18.25)
    assert NOISE_FACTOR * float(noise) >= abs(float(value) - truth) > 0
    # one multiplication of exact inputs: one perturbation of ε|x|, plus the rounding of the result
    with lane(np.float64):
        value, noise = rounding_noise(lambda a, b: a * b)(0, 1.1, 3.3)
    assert 0 < float(noise) <= 2 * np.finfo(np.float64).eps * abs(float(value))

def test_noise_model_is_pinned_from_both_sides():
    """The noise is the largest deviation of 8 perturbed evaluations under the documented model,
    not a wider or narrower one.  Upper bounds, per entry: the model's perturbation, plus half an
    ulp (at most ε|v|/2) for rounding the perturbed result, plus, for exp, XLA's own error of up
    to 2 ulps on the perturbed argument.  Lower bounds: the largest of 8 deviations |r| (r uniform
    in [-1, 1]) averages 8/9 of the bound, their mean only 1/2."""
    eps = np.finfo(np.float64).eps
    rng = np.random.default_rng(0)
    with lane(np.float64):
        # one multiplication: r·ε|v|
        x, y = rng.uniform(1, 1.4, 1000), rng.uniform(1, 1.4, 1000)
        value, noise = (np.asarray(a) for a in rounding_noise(lambda a, b: a * b)(0, x, y))
        ratio = noise / (eps * np.abs(value))
        assert ratio.max() <= 1 + 0.5 and ratio.mean() >= 0.7
        # a library function: its argument perturbed by r·ε|z| (so exp moves by ε|z|·v), its result by r·8ε·v
        z = np.linspace(-3, 3, 200)
        value, noise = (np.asarray(a) for a in rounding_noise(jnp.exp)(0, z))
        assert np.all(noise <= (np.abs(z) + 8 + 2 + 0.5) * eps * value)
        assert np.mean(noise / ((np.abs(z) + 8) * eps * value)) >= 0.6
        # a sum of K terms: r·ε√K·Σ|x|
        K = 10_000
        value, noise = rounding_noise(jnp.sum)(0, np.ones(K))
        bound = eps * np.sqrt(K) * K
        assert 0.5 * bound <= float(noise) <= bound + np.spacing(float(K)) / 2
