"""The ``train`` subcommand: data sources, bad input, checkpoints, divergence, the loss plot."""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import verification.checkpoint
from verification.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from verification.cli.train import register

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("--samples", "120", "--features", "3", "--quiet")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verification")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def cli(*argv) -> tuple[int, str]:
    """Run a subcommand in-process; returns (exit status, what it printed)."""
    args = _parser().parse_args([str(a) for a in argv])
    buffer = io.StringIO()
    status = args.func(args, console=Console(file=buffer, width=240, no_color=True))
    return status, buffer.getvalue()


def test_register_adds_train_and_bench():
    parser = _parser()
    for command in ("train", "bench"):
        args = parser.parse_args([command])
        assert callable(args.func)


def test_trains_the_planted_teacher():
    status, out = cli("train", "--steps", "400", "--learning-rate", "0.3", *SMALL)
    assert status == 0, out
    assert "final loss" in out and "max |w − w*|" in out and "|b − b*|" in out
    error = float(out.split("max |w − w*|")[1].split()[1].strip("│"))
    assert error < 1e-3  # 400 steps recover the teacher


def test_both_gradients_agree_at_every_step():
    status, out = cli("train", "--steps", "50", "--gradient", "both", "--dtype", "float64", *SMALL)
    assert status == 0, out
    assert "hand vs jax.grad" in out and "agree" in out and "DISAGREE" not in out


def _write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _table(rows=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 2))
    y = np.maximum(X @ np.array([0.5, -0.25]) + 0.3, 0)
    return X, y


def test_trains_on_a_csv_file(tmp_path):
    X, y = _table()
    lines = ["size, rooms, price"] + [f"{a},{b},{t}" for (a, b), t in zip(X, y, strict=True)]
    status, out = cli("train", "--data", _write_csv(tmp_path / "houses.csv", lines), "--target", "price", "--steps", "20", "--quiet")
    assert status == 0, out
    assert "size=" in out and "rooms=" in out and "30 samples × 2 features" in out


def test_trains_on_an_npz_file(tmp_path):
    X, y = _table()
    np.savez(tmp_path / "data.npz", X=X, y=y)
    status, out = cli("train", "--data", tmp_path / "data.npz", "--steps", "20", "--quiet")
    assert status == 0, out
    assert "x0=" in out


@pytest.mark.parametrize(
    "lines, target, message",
    [
        (["a,b,price", "1,2,3", "4,abc,6"], "price", r"--data: .*bad\.csv, line 3, column 'b': 'abc' is not a number"),
        (["a,b,price", "1,2,3", "4,,6"], "price", r"line 3, column 'b': '' is not a number"),
        (["a,b,price", "1,nan,3"], "price", r"line 2, column 'b': 'nan' is not finite"),
        (["a,b,price", "1,2"], "price", r"line 2: expected 3 cells, got 2"),
        (["a,b,price", "1,2,3"], "cost", r"--target: no column 'cost' in .*bad\.csv; its columns are a, b, price"),
        (["a,b,price", "1,2,3"], None, r"--target: a CSV file needs the name of its target column"),
        (["price", "1"], "price", r"has only the target column"),
        (["a,b,price"], "price", r"has a header but no data lines"),
    ],
    ids=["text cell", "empty cell", "nan cell", "short line", "missing target", "no target", "no features", "no rows"],
)
def test_bad_csv_is_a_clear_error(tmp_path, lines, target, message):
    path = _write_csv(tmp_path / "bad.csv", lines)
    status, out = cli("train", "--data", path, *(["--target", target] if target else []), "--steps", "2", "--quiet")
    assert status == 2
    assert __import__("re").search(message, " ".join(out.split())), out


@pytest.mark.parametrize(
    "arrays, message",
    [
        (dict(X=np.ones((4, 2))), r"--data: .* needs arrays named 'X' and 'y'; missing \['y'\]"),
        (dict(X=np.ones(4), y=np.ones(4)), r"--data \(X\): expected a 2-D matrix"),
        (dict(X=np.ones((4, 2)), y=np.ones(3)), r"X and y must have the same length: X has 4, y has 3"),
        (dict(X=np.full((4, 2), np.inf), y=np.ones(4)), r"--data \(X\): contains NaN or inf at index \(0, 0\)"),
        (dict(X=np.array([[1, "a"]] * 4, dtype=object), y=np.ones(4)), r"array 'X' in .* holds Python objects"),
    ],
    ids=["missing y", "X 1-D", "lengths", "inf", "objects"],
)
def test_bad_npz_is_a_clear_error(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    status, out = cli("train", "--data", tmp_path / "bad.npz", "--steps", "2", "--quiet")
    assert status == 2
    assert __import__("re").search(message, " ".join(out.split())), out


def test_other_data_errors(tmp_path):
    assert cli("train", "--data", tmp_path / "missing.csv", "--target", "y", "--quiet")[1].count("--data: no such file") == 1
    (tmp_path / "data.txt").write_text("1,2\n")
    assert "expected a .csv or .npz file" in cli("train", "--data", tmp_path / "data.txt", "--quiet")[1]
    status, out = cli("train", "--target", "price", "--quiet")
    assert status == 2 and "--target: names a column of a --data CSV file" in out


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--steps", "0", "argument --steps: must be at least 1, got 0"),
        ("--steps", "ten", "argument --steps: expected an integer, got 'ten'"),
        ("--learning-rate", "0", "argument --learning-rate: must be a finite number > 0, got 0"),
        ("--learning-rate", "-0.1", "argument --learning-rate: must be a finite number > 0, got -0.1"),
        ("--learning-rate", "inf", "argument --learning-rate: must be a finite number > 0, got inf"),
        ("--samples", "0", "argument --samples: must be at least 1"),
        ("--gradient", "numeric", "argument --gradient: invalid choice: 'numeric'"),
        ("--dtype", "float16", "argument --dtype: invalid choice: 'float16'"),
    ],
)
def test_bad_options_name_the_option(capsys, option, value, message):
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["train", option, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_too_many_devices_is_a_clear_error():
    status, out = cli("train", "--devices", "64", *SMALL)
    assert status == 2 and "--devices: asked for 64, but JAX sees" in out


# ---------------------------------------------------------------------------------------------
# Divergence


def test_divergence_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "run.ckpt"
    status, out = cli("train", "--learning-rate", "100", "--steps", "500", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)
    text = " ".join(out.split())
    assert status == 1
    assert "training diverged: the loss is inf at step" in text and "try a smaller learning_rate (try --learning-rate 10)" in text
    step = int(text.split("at step ")[1].split(";")[0])
    saved = load_checkpoint(path)  # written before the chunk that diverged, and whole
    assert saved.step % 5 == 0 and 0 < saved.step <= step
    assert np.all(np.isfinite(saved.w)) and np.isfinite(saved.b) and np.all(np.isfinite(saved.losses))
    assert len(saved.losses) == saved.step


# ---------------------------------------------------------------------------------------------
# Checkpoints


def _state(path: Path) -> Checkpoint:
    return load_checkpoint(path)


def _assert_identical(a: Checkpoint, b: Checkpoint):
    assert a.step == b.step
    assert np.array_equal(a.w, b.w) and a.w.dtype == b.w.dtype
    assert np.array_equal(a.b, b.b)
    assert np.array_equal(a.losses, b.losses)


def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, monkeypatch):
    arguments = ("train", "--steps", "70", "--checkpoint-every", "20", "--learning-rate", "0.2", *SMALL)
    assert cli(*arguments, "--checkpoint", tmp_path / "straight.ckpt")[0] == 0

    real_save, saves = save_checkpoint, []

    def save_then_die(path, checkpoint):
        real_save(path, checkpoint)
        saves.append(checkpoint.step)
        if len(saves) == 2:
            raise KeyboardInterrupt  # the process dies right after its second checkpoint

    monkeypatch.setattr(verification.checkpoint, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        cli(*arguments, "--checkpoint", tmp_path / "resumed.ckpt")
    monkeypatch.setattr(verification.checkpoint, "save_checkpoint", real_save)
    assert _state(tmp_path / "resumed.ckpt").step == 40
    status, out = cli(*arguments, "--checkpoint", tmp_path / "resumed.ckpt")
    assert status == 0 and "resuming from" in out and "at step 40" in out
    _assert_identical(_state(tmp_path / "straight.ckpt"), _state(tmp_path / "resumed.ckpt"))
    assert _state(tmp_path / "resumed.ckpt").step == 70


def test_killed_process_resumes_bit_identical(tmp_path):
    """SIGKILL a real run after it has written a checkpoint, resume it, and compare with a run
    that was never interrupted."""
    arguments = ["train", "--samples", "20000", "--features", "10", "--steps", "60000", "--checkpoint-every", "6000",
                 "--learning-rate", "0.05", "--quiet"]
    killed = tmp_path / "killed.ckpt"
    process = subprocess.Popen([sys.executable, "-m", "verification.cli.train", *arguments, "--checkpoint", str(killed)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not killed.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert killed.exists(), process.stderr.read().decode() if process.poll() is not None else "no checkpoint in 120 s"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL  # it really was killed mid-run
    step = _state(killed).step
    assert 0 < step < 60000
    status, out = cli(*arguments, "--checkpoint", killed)
    assert status == 0 and f"at step {step:,}" in out
    assert cli(*arguments, "--checkpoint", tmp_path / "straight.ckpt")[0] == 0
    _assert_identical(_state(tmp_path / "straight.ckpt"), _state(killed))


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
    _assert_identical(load_checkpoint(path), first)  # the old checkpoint, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]  # no temporary file left behind


def test_checkpoint_of_another_run_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"
    assert cli("train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)[0] == 0
    status, out = cli("train", "--steps", "20", "--learning-rate", "0.05", "--checkpoint", path, *SMALL)
    assert status == 2 and "--checkpoint:" in out and "belongs to another run (learning_rate: 0.1 in the checkpoint, 0.05 now)" in " ".join(out.split())
    status, out = cli("train", "--steps", "20", "--seed", "3", "--checkpoint", path, *SMALL)  # other teacher data
    assert status == 2 and "(data:" in out
    path.write_bytes(b"not a checkpoint")
    status, out = cli("train", "--steps", "20", "--checkpoint", path, *SMALL)
    assert status == 2 and "--checkpoint: cannot read" in out


def test_resuming_a_finished_run_only_reports(tmp_path):
    path = tmp_path / "run.ckpt"
    assert cli("train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)[0] == 0
    status, out = cli("train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)
    assert status == 0 and "at step 10" in out and _state(path).step == 10


# ---------------------------------------------------------------------------------------------
# The loss plot (matplotlib is optional: the 'plot' extra)


def test_plot_writes_the_loss_curve_as_a_png(tmp_path):
    """matplotlib is in the 'test' extra, so this writes a real PNG (the error path is below)."""
    status, out = cli("train", "--steps", "30", "--plot", tmp_path / "loss.png", *SMALL)
    assert status == 0, out
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    status, out = cli("train", "--steps", "30", "--plot", tmp_path / "loss.png", *SMALL)
    assert status == 2
    assert "--plot needs matplotlib: pip install 'matrix-calculus-verified[plot]'" in " ".join(out.split())
    assert not (tmp_path / "loss.png").exists()
