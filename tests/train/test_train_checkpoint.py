"""Training files (``verification.train.checkpoint``): written atomically, read back checked,
and every weight written in full."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verification.train import ArgumentError
from verification.train.checkpoint import Checkpoint, check_writable, load_checkpoint, save_checkpoint, save_parameters


def assert_identical(a: Checkpoint, b: Checkpoint):
    assert a.step == b.step
    assert np.array_equal(a.w, b.w) and a.w.dtype == b.w.dtype
    assert np.array_equal(a.b, b.b)
    assert np.array_equal(a.losses, b.losses)


def test_parameters_are_written_in_full(tmp_path):
    w, b, losses = np.arange(12.0), np.asarray(0.5), np.linspace(1, 0, 7)
    save_parameters(tmp_path / "p.npz", w=w, b=b, losses=losses, final_loss=0.01)
    save_parameters(tmp_path / "p.json", w=w, b=b, losses=losses, final_loss=0.01, features=[f"f{j}" for j in range(12)])
    with np.load(tmp_path / "p.npz") as saved:
        assert np.array_equal(saved["w"], w) and saved["b"] == 0.5 and np.array_equal(saved["losses"], losses)
    document = json.loads((tmp_path / "p.json").read_text())
    assert document["w"] == w.tolist() and document["features"][-1] == "f11" and document["final_loss"] == 0.01
    with pytest.raises(ArgumentError, match=r"^output: expected a file name ending in \.npz or \.json"):
        save_parameters(tmp_path / "p.csv", w=w, b=b, losses=losses, final_loss=0.01)


def test_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt"
    first = Checkpoint(3, np.ones(2), np.asarray(0.5), np.arange(3.0), 0.1, "hand", "float64", "abc")
    save_checkpoint(path, first)

    def torn_write(handle, **arrays):
        handle.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", torn_write)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, Checkpoint(6, np.zeros(2), np.asarray(0.0), np.arange(6.0), 0.1, "hand", "float64", "abc"))
    monkeypatch.undo()
    assert_identical(load_checkpoint(path), first)  # the old checkpoint, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]  # no temporary file left behind


def test_what_is_not_a_checkpoint_is_refused_by_name(tmp_path):
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ArgumentError, match=r"^checkpoint: cannot read .*junk\.ckpt as a checkpoint"):
        load_checkpoint(tmp_path / "junk.ckpt")
    np.savez(tmp_path / "other.npz", w=np.ones(2))
    with pytest.raises(ArgumentError, match=r"^checkpoint: .*other\.npz is not a checkpoint written by this program"):
        load_checkpoint(tmp_path / "other.npz")


def test_an_unwritable_path_is_named_before_any_work(tmp_path):
    with pytest.raises(ArgumentError, match=r"^plot: the directory .*missing does not exist") as caught:
        check_writable("plot", tmp_path / "missing" / "loss.png", (".png",))
    assert caught.value.argument == "plot"
    with pytest.raises(ArgumentError, match=r"^plot: .* is a directory"):
        check_writable("plot", tmp_path)
