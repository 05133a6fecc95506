r"""Data to train the neuron on: a planted teacher, or the user's CSV / ``.npz`` file.

A planted teacher draws $X$ with standard normal entries, $\mathbf{w}^* \sim \mathcal{N}(0, I/n)$,
$b^* = 0.5$, and sets $y_i = \max(0, \mathbf{w}^*\cdot\mathbf{x}_i + b^*)$ (plus optional Gaussian
noise): the loss is 0 at $(\mathbf{w}^*, b^*)$, and about 69 % of the samples are active there.

:func:`standardize` rescales a user's features to mean 0 and variance 1, and maps the weights
found on them back to the original units.

Loaders check everything they read and say where it is wrong: the file, line and column of
a cell that is not a number, the argument name (``target``) for a missing column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reference.checks import as_real_array, check_data
from verification.train.errors import ArgumentError

TEACHER_BIAS = 0.5


@dataclass(frozen=True)
class Teacher:
    """Samples ``X`` (N, n), targets ``y`` (N,) and the planted parameters ``w`` (n,), ``b`` ()."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    b: np.ndarray


def planted_teacher(samples: int = 1000, features: int = 10, *, seed: int = 0, noise: float = 0.0, dtype=np.float64) -> Teacher:
    r"""$y = \max(0, X\mathbf{w}^* + b^*) + \text{noise}\cdot\mathcal{N}(0, 1)$, computed in ``dtype``."""
    for name, value in (("samples", samples), ("features", features)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArgumentError(name, f"expected a positive integer, got {value!r}")
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal(features) / math.sqrt(features)).astype(dtype)
    b = np.asarray(TEACHER_BIAS, dtype=dtype)
    X = rng.standard_normal((samples, features), dtype=dtype)
    y = np.maximum(X @ w + b, 0)
    if noise:
        y += (noise * rng.standard_normal(samples)).astype(dtype)
    return Teacher(X=X, y=y, w=w, b=b)


@dataclass(frozen=True)
class Dataset:
    """Loaded data: ``X`` (N, n), ``y`` (N,), and the ``features`` names (column names or x0, x1, …)."""

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]


def check_arrays(X, y) -> tuple[np.ndarray, np.ndarray]:
    """``reference.checks.check_data`` of a file's arrays, a bad ``X`` or ``y`` an :class:`ArgumentError` naming it.

    ``reference.checks`` begins each message with the name it is given, which is dropped from
    the ``problem`` here.
    """
    arrays = []
    for name, value, ndim in (("X", X, 2), ("y", y, 1)):
        try:
            arrays.append(as_real_array(name, value, ndim=ndim))
        except (TypeError, ValueError) as error:
            raise ArgumentError(name, str(error).removeprefix(f"{name}: ")) from None
    if arrays[0].shape[0] == 0:
        raise ArgumentError("X", f"needs at least one sample (row), got shape {arrays[0].shape}")
    return check_data(*arrays)  # the lengths


def load_csv(path, target: str) -> Dataset:
    """A CSV file with a header line; column ``target`` is y, every other column a feature.

    Raises:
        ValueError: ``target`` is not a column; a line has the wrong number of cells; a cell
            is empty, not a number, NaN or inf (the message gives line and column).
    """
    path = Path(path)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise ArgumentError("data", f"{path} is empty; expected a header line naming the columns")
        header = [name.strip() for name in header]
        if target not in header:
            raise ArgumentError("target", f"no column {target!r} in {path}; its columns are {', '.join(header)}")
        if len(header) < 2:
            raise ArgumentError("data", f"{path} has only the target column {target!r}; it needs at least one feature")
        rows = []
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise ArgumentError("data", f"{path}, line {line}: expected {len(header)} cells, got {len(row)}")
            values = []
            for name, cell in zip(header, row, strict=True):
                try:
                    value = float(cell)
                except ValueError:
                    raise ArgumentError("data", f"{path}, line {line}, column {name!r}: {cell!r} is not a number") from None
                if not math.isfinite(value):
                    raise ArgumentError("data", f"{path}, line {line}, column {name!r}: {cell!r} is not finite (NaN or inf)")
                values.append(value)
            rows.append(values)
    if not rows:
        raise ArgumentError("data", f"{path} has a header but no data lines")
    table = np.array(rows, dtype=np.float64)
    column = header.index(target)
    X = np.delete(table, column, axis=1)
    features = tuple(name for i, name in enumerate(header) if i != column)
    X, y = check_arrays(X, table[:, column])
    return Dataset(X=X, y=y, features=features)


def load_npz(path) -> Dataset:
    """A NumPy ``.npz`` archive holding arrays ``X`` (N, n) and ``y`` (N,), read with ``allow_pickle=False``."""
    path = Path(path)
    with np.load(path, allow_pickle=False) as archive:
        missing = [name for name in ("X", "y") if name not in archive.files]
        if missing:
            raise ArgumentError("data", f"{path} needs arrays named 'X' and 'y'; missing {missing}, found {archive.files}")
        arrays = {}
        for name in ("X", "y"):
            try:
                arrays[name] = archive[name]
            except ValueError:  # object arrays need pickle, which is refused
                raise ArgumentError("data", f"array {name!r} in {path} holds Python objects; only numeric arrays are read") from None
    X, y = check_arrays(arrays["X"], arrays["y"])
    return Dataset(X=X, y=y, features=tuple(f"x{j}" for j in range(X.shape[1])))


def load_data(path, target: str | None = None) -> Dataset:
    """``.csv`` (needs ``target``) or ``.npz`` (arrays X and y), chosen by the file's suffix."""
    path = Path(path)
    if not path.is_file():
        raise ArgumentError("data", f"no such file {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if target is None:
            raise ArgumentError("target", "a CSV file needs the name of its target column")
        return load_csv(path, target)
    if suffix == ".npz":
        if target is not None:
            raise ArgumentError("target", "applies to CSV files only; an .npz file holds arrays 'X' and 'y'")
        return load_npz(path)
    raise ArgumentError("data", f"expected a .csv or .npz file, got {path.name!r}")


@dataclass(frozen=True)
class Standardized:
    r"""Features rescaled as $x'_{ij} = (x_{ij} - \mu_j) / \sigma_j$; ``X`` holds the $x'$.

    A neuron $\max(0, \mathbf{w}'\cdot\mathbf{x}' + b')$ on them is the neuron
    $\max(0, \mathbf{w}\cdot\mathbf{x} + b)$ on the original features with $w_j = w'_j / \sigma_j$ and
    $b = b' - \sum_j w'_j \mu_j / \sigma_j$ (:meth:`original`).
    """

    X: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def original(self, w, b) -> tuple[np.ndarray, np.ndarray]:
        """The weights and bias in the original units, from those found on the standardized ``X``."""
        w = np.asarray(w, dtype=np.float64) / self.scale
        return w, np.asarray(float(b) - float(w @ self.mean))


def standardize(X) -> Standardized:
    r"""Each column to mean 0 and standard deviation 1 (a constant column is only centred).

    Features on very different scales (house areas next to room counts) make the largest stable
    learning rate tiny for some weights and a dead neuron likely; standardized, one rate suits all.
    """
    X = check_data(X, np.zeros(np.shape(X)[0] if np.ndim(X) == 2 else 0))[0].astype(np.float64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    return Standardized(X=(X - mean) / scale, mean=mean, scale=scale)
