"""The hand derivative's own rounding noise ρ is measured at its float32 point and at neighbours
whose float32 rounding is independent of the point's: a float32 sum that happens to be exact at
the point (so the hand shows no rounding there) must not leave ρ blind."""

import dataclasses

import numpy as np
import pytest

from verification.check.lane import LaneChecker
from verification.check.spec import make_spec, prepare

N = 16


def variance_gradient(x):
    """2x/n − 2Σx/n²: the sum of values near 1000 rounds in float32 unless its last bits fit."""
    return 2 * x / N - 2 * np.sum(x) / N**2


def exact_sum_point(seed):
    """Values near 1000 whose float32 sum is exact: multiples of 2⁻¹⁰, the ulp of the sum."""
    x = 1000.0 + np.round(np.random.default_rng(seed).standard_normal(N) * 2**10) / 2**10
    assert np.float32(x.astype(np.float32).sum(dtype=np.float32)) == x.sum()
    return x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rho_is_not_blind_where_the_point_itself_rounds_exactly(dtype):
    spec = make_spec(lambda x: ((x - x.mean()) ** 2).mean(), variance_gradient, wrt=0, form="jacobian", primal=None,
                     static=(), names=None, kinks="jax", rtol=None, atol=None, seed=0, name="variance")
    blind = 0
    for seed in range(200):
        lane = LaneChecker(dataclasses.replace(spec, seed=seed), np.dtype(dtype))
        args = prepare(lane.spec, (exact_sum_point(seed),), np.dtype(dtype))
        hand = variance_gradient(args[0].astype(np.float32))
        assert np.array_equal(hand, variance_gradient(args[0].astype(np.float32).astype(np.float64)))  # exact here
        rho = lane.hand_noise(lane.float32_points(args, (), stream=0), lane.float32_points((), (), stream=1),
                              lane.structure(args))
        blind += not np.any(rho[0])
    assert blind == 0
