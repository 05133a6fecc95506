r"""Where gradient descent starts: $\mathbf{w}_0 \sim \mathcal{N}(0, I/n)$ and a bias that is never dead.

$\mathbf{w} = 0, b = 0$ puts every $z_i$ on the kink, where the gradient is exactly 0 and training
never moves.  :func:`initial_parameters` puts the median $z_i$ at 0.1 instead,
$b_0 = 0.1 - \operatorname{median}_i(\mathbf{w}_0\cdot\mathbf{x}_i)$, so at least half the samples start
active, whatever the scale or offset of X.  Plain NumPy; training across processes takes the
median over every process's rows (``verification.train.distributed.initial_parameters``).
"""

from __future__ import annotations

import math

import numpy as np

from reference.checks import as_vector, check_initial

ACTIVE_MEDIAN = 0.1
"""$z$ of the median sample at the start: above the kink, so half the samples are active."""


def as_float_array(X) -> np.ndarray:
    """X as a floating array: integers in float64, floating X in its own precision (no copy)."""
    X = np.asarray(X)
    return X if X.dtype.kind == "f" else X.astype(np.float64)


def initial_weights(n_features: int, *, seed: int = 0, w0=None) -> np.ndarray:
    r"""``w0`` as given (checked), or $\mathcal{N}(0, I/n)$ drawn from ``seed``; float64, shape (n,)."""
    drawn = np.random.default_rng(seed).standard_normal(n_features) / math.sqrt(n_features) if w0 is None else w0
    return as_vector("w0", drawn).astype(np.float64)


def projections(X, w0: np.ndarray) -> np.ndarray:
    r"""$z_i - b = \mathbf{w}_0\cdot\mathbf{x}_i$, in X's precision: no float64 copy of a float32 X."""
    X = as_float_array(X)
    return X @ w0.astype(X.dtype)


def bias_for(z: np.ndarray) -> np.ndarray:
    r"""$b_0 = 0.1 - \operatorname{median}(z)$ for ``z`` the samples' $\mathbf{w}_0\cdot\mathbf{x}_i$."""
    return np.asarray(ACTIVE_MEDIAN - float(np.median(z)), dtype=np.float64)


def initial_parameters(X, *, seed: int = 0, w0=None, b0=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Default start point (see the module docstring); a given ``w0`` or ``b0`` is kept as is (checked).

    Returns float64 arrays of shapes (n,) and ().
    """
    X = as_float_array(X)
    n_features = X.shape[1]
    w = initial_weights(n_features, seed=seed, w0=w0)
    if b0 is None:
        b0 = bias_for(projections(X, w)) if w.shape == (n_features,) else 0.0
    w, b = check_initial(w, b0, n_features)
    return w.astype(np.float64), b.astype(np.float64)
