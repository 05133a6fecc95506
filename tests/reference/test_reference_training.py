r"""``reference.stable_learning_rate``: ``fraction``/$\lambda_{max}$ of $\frac{2}{N}\hat X^T\hat X$, pinned by a
value worked by hand and by an independent computation of the same matrix (the loss's Hessian
with every sample active, from ``reference.mse_loss_hessian``)."""

import numpy as np
import pytest

import reference

EPS = np.finfo(np.float64).eps


def test_stable_learning_rate_by_hand():
    # X = I₂: X̂ = [[1, 0, 1], [0, 1, 1]], X̂ᵀX̂ = [[1, 0, 1], [0, 1, 1], [1, 1, 2]] with eigenvectors
    # (1, 1, 2) → 3, (1, −1, 0) → 1, (1, 1, −1) → 0; (2/N)·3 = 3 with N = 2, so 0.5/3 and 1/3
    assert reference.stable_learning_rate(np.eye(2)) == pytest.approx(1 / 6, rel=4 * EPS)
    assert reference.stable_learning_rate(np.eye(2), 1.0) == pytest.approx(1 / 3, rel=4 * EPS)


@pytest.mark.parametrize("shape", [(7, 1), (5, 3), (2, 4), (40, 6)])
@pytest.mark.parametrize("fraction", [1.0, 0.25])
def test_stable_learning_rate_is_one_over_the_largest_curvature_of_the_loss(shape, fraction):
    """With every sample active (w = 0, b = 1: every z = 1), the loss's Hessian in ŵ = [w; b] is
    (2/N)X̂ᵀX̂ itself, built by ``mse_loss_hessian`` from X̂ = [X, 1⃗] row by row.

    Tolerance: the two matrices hold the same sums of N products in other orders, so they differ
    entry-wise by at most N·ε times the entries' magnitude, and eigvalsh adds a backward error of
    a few (n+1)·ε·λ_max; every entry is at most trace(X̂ᵀX̂) <= (n+1)·λ_max, hence the relative
    bound 4(N + n + 1)(n + 1)·ε.
    """
    N, n = shape
    X = np.random.default_rng(N * 100 + n).normal(size=shape) * 3 + 1  # a mean away from 0: the bias column matters
    hessian = reference.mse_loss_hessian(np.zeros(n), 1.0, X, np.zeros(N))
    largest = np.linalg.eigvalsh(hessian)[-1]
    assert reference.stable_learning_rate(X, fraction) == pytest.approx(fraction / largest, rel=4 * (N + n + 1) * (n + 1) * EPS)
