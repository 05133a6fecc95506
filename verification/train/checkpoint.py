"""Training files: checkpoints (the state after a whole number of steps) and the final parameters.

A checkpoint is an ``.npz`` archive (read back with ``allow_pickle=False``) holding the step
reached, ``w``, ``b``, the losses so far, and what the run depends on: learning rate,
gradient, dtype and a fingerprint of the data.  Resuming a run with anything different is
refused, so a resumed run continues exactly the computation that was interrupted.

It is written to a temporary file in the same directory, flushed to disk, then renamed over
the old one (``os.replace`` is atomic on POSIX and Windows): a run killed at any moment
leaves either the previous checkpoint or the new one, never a torn file.  The final parameters
(:func:`save_parameters`) are written the same way, as ``.npz`` or ``.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from verification.train.errors import ArgumentError

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
        digest.update(array.data.cast("B"))
    return digest.hexdigest()


def check_writable(name: str, path, suffixes: tuple[str, ...] | None = None) -> Path:
    """Fail now, naming ``name``, if ``path`` cannot be written later: its directory is missing
    or not writable, it is a directory, or its suffix is not one of ``suffixes``."""
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ArgumentError(name, f"expected a file name ending in {' or '.join(suffixes)}, got {str(path)!r}")
    if path.is_dir():
        raise ArgumentError(name, f"{path} is a directory; expected a file name")
    parent = path.parent
    if not parent.is_dir():
        raise ArgumentError(name, f"the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ArgumentError(name, f"the directory {parent} is not writable")
    return path


def _write_atomically(path, write) -> None:
    """``write(handle)`` into a temporary file next to ``path``, fsync, then rename it over ``path``."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_checkpoint(path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically (temporary file, fsync, rename)."""
    arrays: dict[str, Any] = {f.name: np.asarray(getattr(checkpoint, f.name)) for f in fields(checkpoint)}
    _write_atomically(path, lambda handle: np.savez(handle, format=np.asarray(FORMAT), **arrays))


PARAMETER_SUFFIXES = (".npz", ".json")


def save_parameters(path, *, w, b, losses, final_loss, features=None) -> None:
    """The trained parameters: ``.npz`` with arrays ``w``, ``b``, ``losses``, ``final_loss`` (and
    ``features``, the names), or ``.json`` with the same keys, every weight written in full."""
    path = check_writable("output", path, PARAMETER_SUFFIXES)
    w, b, losses = np.asarray(w), np.asarray(b), np.asarray(losses)
    names = [f"x{j}" for j in range(w.shape[-1])] if features is None else [str(f) for f in features]
    if path.suffix.lower() == ".npz":
        arrays = dict(w=w, b=b, losses=losses, final_loss=np.asarray(final_loss), features=np.asarray(names))
        _write_atomically(path, lambda handle: np.savez(handle, **arrays))
    else:
        document = {"w": w.tolist(), "b": b.tolist(), "features": names, "final_loss": float(final_loss), "losses": losses.tolist()}
        _write_atomically(path, lambda handle: handle.write(json.dumps(document, indent=1).encode()))


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; :class:`ArgumentError` naming ``checkpoint`` if it is not one."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            values = {name: archive[name] for name in archive.files}
    except Exception as error:  # not a zip, truncated, pickled objects, unreadable: all the same to us
        raise ArgumentError("checkpoint", f"cannot read {path} as a checkpoint ({error})") from None
    if "format" not in values or str(values["format"]) != FORMAT or any(f.name not in values for f in fields(Checkpoint)):
        raise ArgumentError("checkpoint", f"{path} is not a checkpoint written by this program")
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
