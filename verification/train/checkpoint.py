"""Training checkpoints: the parameters after a whole number of steps, written atomically.

A checkpoint is an ``.npz`` archive (read back with ``allow_pickle=False``) holding the step
reached, ``w``, ``b``, the losses so far, and what the run depends on: learning rate,
gradient, dtype and a fingerprint of the data.  Resuming a run with anything different is
refused, so a resumed run continues exactly the computation that was interrupted.

It is written to a temporary file in the same directory, flushed to disk, then renamed over
the old one (``os.replace`` is atomic on POSIX and Windows): a run killed at any moment
leaves either the previous checkpoint or the new one, never a torn file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

FORMAT = "relu-neuron-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """The state of a run after ``step`` steps.

    Attributes:
        step: steps taken so far.
        w: weights after ``step`` steps, shape (n,).
        b: bias, shape ().
        losses: the loss before each of the ``step`` steps, shape (step,).
        learning_rate, gradient, dtype, data: what the run depends on; ``data`` is
            :func:`fingerprint` of X and y.
    """

    step: int
    w: np.ndarray
    b: np.ndarray
    losses: np.ndarray
    learning_rate: float
    gradient: str
    dtype: str
    data: str

    def mismatch(self, **expected) -> str | None:
        """The first setting that differs from ``expected`` (as ``"name: saved vs now"``), or None."""
        for name, value in expected.items():
            saved = getattr(self, name)
            if saved != value:
                return f"{name}: {saved!r} in the checkpoint, {value!r} now"
        return None


def fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of the shapes, dtypes and bytes of X and y."""
    digest = hashlib.sha256()
    for array in (X, y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def save_checkpoint(path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    arrays = {f.name: np.asarray(getattr(checkpoint, f.name)) for f in fields(checkpoint)}
    descriptor, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, format=np.asarray(FORMAT), **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; ValueError if it is not one."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            values = {name: archive[name] for name in archive.files}
    except Exception as error:  # not a zip, truncated, pickled objects, unreadable: all the same to us
        raise ValueError(f"checkpoint: cannot read {path} as a checkpoint ({error})") from None
    if "format" not in values or str(values["format"]) != FORMAT or any(f.name not in values for f in fields(Checkpoint)):
        raise ValueError(f"checkpoint: {path} is not a checkpoint written by this program")
    return Checkpoint(
        step=int(values["step"]),
        w=values["w"],
        b=values["b"],
        losses=values["losses"],
        learning_rate=float(values["learning_rate"]),
        gradient=str(values["gradient"]),
        dtype=str(values["dtype"]),
        data=str(values["data"]),
    )
