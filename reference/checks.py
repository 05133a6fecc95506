"""Input checks shared by every reference rule.

Each check names the argument it rejects, so a caller sees ``w: ...`` rather than a
traceback from deep inside NumPy.  Integer arrays are accepted and computed in float64;
floating arrays keep their precision (float32 stays float32).
"""

from __future__ import annotations

import numbers

import numpy as np


def as_real_array(name: str, value, *, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite real floating array, or raise naming ``name``.

    Raises:
        TypeError: ``value`` is not numeric (strings, objects), boolean or complex.
        ValueError: ``value`` has the wrong number of dimensions, or holds NaN or inf.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested sequences
        raise TypeError(f"{name}: cannot be read as a numeric array ({error})") from None
    kind = array.dtype.kind
    if kind in "iu":
        array = array.astype(np.float64)
    elif kind == "b":
        raise TypeError(f"{name}: expected real numbers, got a boolean array")
    elif kind == "c":
        raise TypeError(f"{name}: expected real numbers, got complex dtype {array.dtype}")
    elif kind != "f":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        wanted = {0: "a scalar", 1: "a 1-D vector", 2: "a 2-D matrix"}.get(ndim, f"{ndim}-D")
        raise ValueError(f"{name}: expected {wanted}, got an array of shape {array.shape}")
    # A finite sum proves every entry finite (NaN and inf propagate through it) in one pass
    # without a boolean copy of the array; only a non-finite sum, overflow included, looks closer.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(array)
    if not np.isfinite(total) and not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        where = f" at index {bad}" if bad else ""
        raise ValueError(f"{name}: contains NaN or inf{where} (value {array[bad]!r})")
    return array


def as_vector(name: str, value) -> np.ndarray:
    """``as_real_array`` for a 1-D vector."""
    return as_real_array(name, value, ndim=1)


def as_scalar(name: str, value) -> np.ndarray:
    """``as_real_array`` for a 0-d scalar."""
    return as_real_array(name, value, ndim=0)


def same_length(**vectors: np.ndarray) -> int:
    """Check that every named vector has the same length and return it."""
    lengths = {name: v.shape[0] for name, v in vectors.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length: {described}")
    return next(iter(lengths.values()))


def nonzero(rule: str, name: str, array: np.ndarray) -> np.ndarray:
    """Decision D6: a point outside the rule's domain (a zero divisor) is an error."""
    if np.ndim(array) == 0:
        if array == 0:
            raise ValueError(f"{rule}: {name} must be nonzero (the rule divides by it), but {name} == 0")
        return array
    zeros = np.argwhere(array == 0)
    if zeros.size:
        index = tuple(int(i) for i in zeros[0])
        raise ValueError(
            f"{rule}: {name} must be nonzero (the rule divides by it), but {name}{list(index)} == 0"
        )
    return array


def batch(w, b, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check the arguments of the loss C(w, b, X, y): X is N×n, y has N entries, w has n."""
    w = as_vector("w", w)
    b = as_scalar("b", b)
    X = as_real_array("X", X, ndim=2)
    y = as_vector("y", y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows: X has {X.shape[0]}, y has {y.shape[0]}")
    if X.shape[1] != w.shape[0]:
        raise ValueError(f"X must have one column per weight: X has {X.shape[1]} columns, w has {w.shape[0]} entries")
    return w, b, X, y


def check_steps(steps) -> int:
    """``steps`` must be an integer >= 1."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"steps: expected an integer, got {type(steps).__name__} {steps!r}")
    if steps < 1:
        raise ValueError(f"steps: must be at least 1, got {steps}")
    return int(steps)


def check_learning_rate(learning_rate) -> float:
    """``learning_rate`` must be a finite real number > 0."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate: expected a real number, got {type(learning_rate).__name__} {learning_rate!r}")
    rate = float(learning_rate)
    if not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"learning_rate: must be a finite number > 0, got {learning_rate}")
    return rate


def check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X must be a finite 2-D (N, n) array and y a finite vector of N targets."""
    X = as_real_array("X", X, ndim=2)
    y = as_vector("y", y)
    same_length(X=X, y=y)
    if X.shape[0] == 0:
        raise ValueError(f"X: needs at least one sample (row), got shape {X.shape}")
    return X, y


def check_initial(w0, b0, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """w0 must be a finite vector with one entry per column of X, b0 a finite scalar."""
    w0 = as_vector("w0", w0)
    b0 = as_scalar("b0", b0)
    if w0.shape[0] != n_features:
        raise ValueError(f"w0: needs one entry per column of X ({n_features}), got {w0.shape[0]}")
    return w0, b0
