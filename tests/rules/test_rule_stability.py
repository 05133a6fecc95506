"""The rules at extreme magnitudes: logits of 1e3, activations in their saturated tails, norms of
vectors near the ends of the float64 range.  No overflow, no warning, and the values by hand."""

import math
import warnings

import numpy as np
import pytest

import reference

EPS = np.finfo(np.float64).eps
HUGE = np.array([1e3, -1e3, 0.0, 999.0])


@pytest.fixture
def no_overflow():
    """Overflow, invalid operations, division by zero and any warning are errors (underflow to 0 is expected)."""
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_softmax_family_at_logits_of_magnitude_1e3(no_overflow, close):
    # e^{z − max z} = [1, 0, e^{−1000}, e^{−1}] up to underflow: s = [1, 0, 0, e⁻¹]/(1 + e⁻¹).
    s = np.array([1.0, 0.0, 0.0, math.exp(-1)]) / (1 + math.exp(-1))
    close(reference.softmax(HUGE), s)
    close(reference.logsumexp(HUGE), 1000 + math.log1p(math.exp(-1)), scale=1000)
    close(reference.logsumexp_grad(HUGE), s)
    close(reference.softmax_jacobian(HUGE), np.diag(s) - np.outer(s, s))
    close(reference.logsumexp_hessian(HUGE), np.diag(s) - np.outer(s, s))
    close(reference.log_softmax_jacobian(HUGE), np.eye(4) - s[None, :])
    close(reference.softmax_cross_entropy_grad(HUGE, [0.0, 1, 0, 0]), s - [0, 1, 0, 0])
    # the wrong class has log-probability −2000 − log(1 + e⁻¹): finite, not −inf
    close(reference.softmax_cross_entropy(HUGE, [0.0, 1, 0, 0]), 2000 + math.log1p(math.exp(-1)), scale=2000)
    # a tie between two huge logits: s = [1/2, 1/2]
    close(reference.softmax_jacobian([1e3, 1e3]), [[0.25, -0.25], [-0.25, 0.25]])
    close(reference.softmax_jacobian([-1e3, -1e3]), [[0.25, -0.25], [-0.25, 0.25]])


@pytest.mark.parametrize("z", [40.0, -40.0, 1e3, -1e3, 800.0])
def test_activations_at_large_magnitude(no_overflow, z, close):
    tail = math.exp(-abs(z))  # e^{−|z|}, 0 once it underflows
    # σ′(z) = e^{−|z|}/(1 + e^{−|z|})² = e^{−|z|} to double precision here; tanh′ = 4e^{−2|z|} likewise.
    close(reference.sigmoid_derivative(z), tail, scale=tail)
    close(reference.tanh_derivative(z), 4 * tail**2, scale=tail**2)
    close(reference.softplus_derivative(z), 1.0 if z > 0 else tail, scale=max(tail, EPS))
    close(reference.sigmoid(z), 1.0 if z > 0 else tail, scale=max(tail, EPS))
    close(reference.softplus(z), max(z, 0.0), scale=abs(z))


def test_l2_norm_grad_of_tiny_and_huge_vectors(no_overflow, close):
    close(reference.l2_norm_grad([3e-200, -4e-200]), [0.6, -0.8])
    close(reference.l2_norm_grad([3e200, 4e200]), [0.6, 0.8])
