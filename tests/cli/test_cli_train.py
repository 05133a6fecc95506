"""The ``train`` subcommand as a user meets it: data sources, bad input, output paths checked
first, checkpoints and resuming, Ctrl-C, divergence, a dead neuron, all weights written, the plot."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from reference.training import stable_learning_rate
from verification.cli import main
from verification.train.checkpoint import Checkpoint, load_checkpoint
from verification.train.data import planted_teacher

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("--samples", "120", "--features", "3", "--quiet")


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """Tables wide enough that the tests can read values off one line."""
    monkeypatch.setenv("COLUMNS", "200")


def cli(capsys, *argv) -> tuple[int, str, str]:
    """Run ``python -m verification`` in-process: (exit status, stdout, stderr), whitespace folded."""
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, " ".join(captured.out.split()), " ".join(captured.err.split())


def _run(*argv, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "verification", *map(str, argv)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, **options)


def test_trains_the_planted_teacher(capsys):
    status, out, err = cli(capsys, "train", "--steps", "400", "--learning-rate", "0.3", *SMALL)
    assert status == 0, err
    assert "final loss" in out and "max |w − w*|" in out and "|b − b*|" in out
    error = float(out.split("max |w − w*|")[1].split()[0].strip("│"))
    assert error < 1e-3  # 400 steps recover the teacher
    assert "1 cpu device" in out and "device(s)" not in out


def test_both_gradients_agree_at_every_step(capsys):
    status, out, err = cli(capsys, "train", "--steps", "50", "--gradient", "both", "--dtype", "float64", *SMALL)
    assert status == 0, err
    assert "hand vs jax.grad" in out and "agree" in out and "DISAGREE" not in out


def _write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _table(rows=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 2))
    y = np.maximum(X @ np.array([0.5, -0.25]) + 0.3, 0)
    return X, y


def test_trains_on_a_csv_file(tmp_path, capsys):
    X, y = _table()
    lines = ["size, rooms, price"] + [f"{a},{b},{t}" for (a, b), t in zip(X, y, strict=True)]
    status, out, err = cli(capsys, "train", "--data", _write_csv(tmp_path / "houses.csv", lines), "--target", "price", "--steps", "20", "--quiet")
    assert status == 0, err
    assert "size=" in out and "rooms=" in out and "houses.csv" in out


def test_trains_on_an_npz_file(tmp_path, capsys):
    X, y = _table()
    np.savez(tmp_path / "data.npz", X=X, y=y)
    status, out, err = cli(capsys, "train", "--data", tmp_path / "data.npz", "--steps", "20", "--quiet")
    assert status == 0, err
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
def test_bad_csv_is_a_clear_error_on_stderr(tmp_path, capsys, lines, target, message):
    path = _write_csv(tmp_path / "bad.csv", lines)
    status, out, err = cli(capsys, "train", "--data", path, *(["--target", target] if target else []), "--steps", "2", "--quiet")
    assert status == 2 and out == ""
    assert re.search(message, err), err


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
def test_bad_npz_is_a_clear_error(tmp_path, capsys, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    status, out, err = cli(capsys, "train", "--data", tmp_path / "bad.npz", "--steps", "2", "--quiet")
    assert status == 2 and out == ""
    assert re.search(message, err), err


def test_other_data_errors(tmp_path, capsys):
    assert cli(capsys, "train", "--data", tmp_path / "missing.csv", "--target", "y", "--quiet")[2].count("--data: no such file") == 1
    (tmp_path / "data.txt").write_text("1,2\n")
    assert "expected a .csv or .npz file" in cli(capsys, "train", "--data", tmp_path / "data.txt", "--quiet")[2]
    status, _, err = cli(capsys, "train", "--target", "price", "--quiet")
    assert status == 2 and "--target: names a column of a --data CSV file" in err


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--steps", "0", "argument --steps: must be at least 1, got 0"),
        ("--steps", "ten", "argument --steps: expected an integer, got 'ten'"),
        ("--learning-rate", "ten", "argument --learning-rate: expected a number, got 'ten'"),
        ("--samples", "0", "argument --samples: must be at least 1"),
        ("--gradient", "numeric", "argument --gradient: invalid choice: 'numeric'"),
        ("--dtype", "float16", "argument --dtype: invalid choice: 'float16'"),
    ],
)
def test_bad_options_name_the_option(capsys, option, value, message):
    status, out, err = cli(capsys, "train", option, value)
    assert status == 2 and message in err and out == ""


@pytest.mark.parametrize("value, shown", [("0", "0.0"), ("-0.5", "-0.5"), ("inf", "inf"), ("nan", "nan")])
def test_a_bad_learning_rate_is_the_library_s_error_naming_the_option(capsys, value, shown):
    """The command line reads the number; the library (``Session``) says what is wrong with it,
    and the command line names the option."""
    status, out, err = cli(capsys, "train", "--learning-rate", value, *SMALL)
    assert (status, out) == (2, "")
    assert err == f"error: --learning-rate: must be a finite number > 0, got {shown}"


def test_too_many_devices_is_a_clear_error(capsys):
    status, _, err = cli(capsys, "train", "--devices", "64", *SMALL)
    assert status == 2 and "--devices: asked for 64, but JAX sees" in err


# ---------------------------------------------------------------------------------------------
# Output paths: checked before any work


@pytest.mark.parametrize("option, name", [("--plot", "loss.png"), ("--checkpoint", "run.ckpt"), ("--output", "w.npz")])
def test_an_output_path_in_a_missing_directory_fails_before_training(tmp_path, capsys, option, name):
    started = time.perf_counter()
    status, out, err = cli(capsys, "train", "--steps", "100000", option, tmp_path / "missing" / name, *SMALL)
    assert status == 2 and out == ""
    assert f"{option}: the directory {tmp_path / 'missing'} does not exist" in err
    assert "Traceback" not in err
    assert time.perf_counter() - started < 60  # 100,000 steps were not run first


def test_output_suffix_is_checked(tmp_path, capsys):
    status, _, err = cli(capsys, "train", "--output", tmp_path / "w.txt", *SMALL)
    assert status == 2 and "--output: expected a file name ending in .npz or .json" in err


# ---------------------------------------------------------------------------------------------
# Every weight, written with --output


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_output_writes_every_weight(tmp_path, capsys, suffix):
    path = tmp_path / f"params{suffix}"
    status, out, err = cli(capsys, "train", "--steps", "30", "--samples", "200", "--features", "10", "--output", path, "--quiet")
    assert status == 0, err
    shown = re.findall(r"x\d+=(-?[0-9.e+-]+[0-9])", out)
    assert len(shown) == 8 and "10 in all: --output writes them" in out  # the table shows 8 of 10
    if suffix == ".npz":
        with np.load(path) as saved:
            w, b, losses, features = saved["w"], saved["b"], saved["losses"], list(saved["features"])
    else:
        saved = json.loads(path.read_text())
        w, b, losses, features = np.array(saved["w"]), np.array(saved["b"]), np.array(saved["losses"]), saved["features"]
    assert w.shape == (10,) and b.shape == () and losses.shape == (30,)
    assert features == [f"x{j}" for j in range(10)]
    assert [float(v) for v in shown] == pytest.approx(w[:8].tolist(), rel=1e-5)  # printed to 6 digits


# ---------------------------------------------------------------------------------------------
# Divergence


def test_divergence_suggests_a_rate_from_the_data_once(tmp_path, capsys):
    path = tmp_path / "run.ckpt"
    status, out, err = cli(capsys, "train", "--learning-rate", "1e6", "--steps", "500", "--checkpoint", path,
                           "--checkpoint-every", "1", *SMALL)
    assert status == 1 and out == ""
    assert "training diverged: the loss is inf at step" in err and err.count("try") == 0
    assert "--learning-rate 1e+06 is too large for this data" in err and "learning_rate" not in err
    suggested = float(re.search(r"--learning-rate (\S+) is stable for it", err).group(1))
    teacher = planted_teacher(120, 3, seed=0)
    assert suggested == pytest.approx(stable_learning_rate(teacher.X), rel=1e-2)  # printed to 3 digits
    step = int(err.split("at step ")[1].split(";")[0].replace(",", ""))
    saved = load_checkpoint(path)  # written before the chunk that diverged, and whole
    assert 0 < saved.step <= step
    assert np.all(np.isfinite(saved.w)) and np.isfinite(saved.b) and len(saved.losses) == saved.step
    # the suggestion trains
    status, out, err = cli(capsys, "train", "--learning-rate", f"{suggested}", "--steps", "500", *SMALL)
    assert status == 0 and "diverged" not in err


# ---------------------------------------------------------------------------------------------
# A dead neuron


HOUSES = ["area,rooms,age,price"] + [
    f"{a},{r},{g},{p}" for a, r, g, p in
    [(1400, 3, 20, 245000), (1600, 3, 15, 312000), (1700, 4, 30, 279000), (1875, 4, 12, 308000),
     (1100, 2, 40, 199000), (1550, 3, 25, 219000), (2350, 5, 8, 405000), (2450, 4, 5, 324000)]
]


def test_a_dead_neuron_is_detected_and_standardize_fixes_it(tmp_path, capsys):
    """Eight houses, features in the thousands: at the default rate the first step throws every
    sample inactive, the gradient is 0 from then on, and the loss stays at mean(y²)."""
    path = _write_csv(tmp_path / "houses.csv", HOUSES)
    status, out, err = cli(capsys, "train", "--data", path, "--target", "price", "--steps", "200", "--quiet")
    assert status == 1
    assert "warning: the neuron is dead: no sample has w·x + b > 0 at the end" in err and "--standardize" in err
    assert "verification.train" not in err  # the command line's remedy, not the library's
    assert "0.0% of the samples" in out
    status, out, err = cli(capsys, "train", "--data", path, "--target", "price", "--steps", "200", "--standardize",
                           "--learning-rate", "0.1", "--quiet")
    assert status == 0 and "dead" not in err, err


def test_standardized_weights_are_reported_in_the_original_units(tmp_path, capsys):
    X, y = _table(rows=40)
    X = X * np.array([1000.0, 0.01]) + np.array([5000.0, 0.0])
    y = np.maximum(X @ np.array([0.0005, -25.0]) - 2.2, 0)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    path = tmp_path / "w.json"
    status, _, err = cli(capsys, "train", "--data", tmp_path / "data.npz", "--standardize", "--steps", "3000",
                         "--learning-rate", "0.2", "--dtype", "float64", "--output", path, "--quiet")
    assert status == 0, err
    saved = json.loads(path.read_text())
    prediction = np.maximum(X @ np.array(saved["w"]) + saved["b"], 0)  # the weights apply to the raw features
    assert float(np.mean((prediction - y) ** 2)) == pytest.approx(saved["final_loss"], rel=1e-6, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Checkpoints, resuming, Ctrl-C


def _assert_identical(a: Checkpoint, b: Checkpoint):
    assert a.step == b.step
    assert np.array_equal(a.w, b.w) and a.w.dtype == b.w.dtype
    assert np.array_equal(a.b, b.b)
    assert np.array_equal(a.losses, b.losses)


LONG_RUN_STEPS = 60000
LONG_RUN = ["train", "--samples", "20000", "--features", "10", "--steps", str(LONG_RUN_STEPS), "--checkpoint-every", "3000",
            "--learning-rate", "0.05", "--quiet"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Checkpoint:
    """The long run never interrupted, once for the tests that resume one: its final checkpoint."""
    path = tmp_path_factory.mktemp("straight") / "straight.ckpt"
    assert main([*LONG_RUN, "--checkpoint", str(path)]) == 0
    return load_checkpoint(path)


def _start_and_stop(path: Path, how: int) -> subprocess.Popen:
    """Start a long run, wait for its first checkpoint, then send it ``how`` (SIGINT or SIGKILL).

    The run starts with SIGINT at its default action, as from a terminal: a test run started as a
    background job of a script has SIGINT ignored, and a child would inherit that.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen([sys.executable, "-m", "verification", *LONG_RUN, "--checkpoint", str(path)],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 120
    while not path.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert path.exists(), process.stderr.read() if process.poll() is not None else "no checkpoint in 120 s"
    os.kill(process.pid, how)
    process.wait(timeout=120)
    return process


def test_ctrl_c_stops_cleanly_keeps_the_checkpoint_and_says_how_to_resume(tmp_path, capsys, uninterrupted):
    path = tmp_path / "run.ckpt"
    process = _start_and_stop(path, signal.SIGINT)
    err = process.stderr.read()
    process.stdout.close(), process.stderr.close()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    step = load_checkpoint(path).step
    assert 0 < step < LONG_RUN_STEPS
    assert f"holds step {step:,}: resume with" in " ".join(err.split())
    status, _, err = cli(capsys, *LONG_RUN, "--checkpoint", path)  # resumed: exactly the uninterrupted run
    assert status == 0 and f"at step {step:,}" in err
    _assert_identical(uninterrupted, load_checkpoint(path))


def test_killed_process_resumes_bit_identical(tmp_path, capsys, uninterrupted):
    """SIGKILL a real run after it has written a checkpoint: the file is whole, and resuming
    gives what a run never interrupted gives."""
    killed = tmp_path / "killed.ckpt"
    process = _start_and_stop(killed, signal.SIGKILL)
    process.stdout.close(), process.stderr.close()
    assert process.returncode == -signal.SIGKILL  # it really was killed mid-run
    step = load_checkpoint(killed).step
    assert 0 < step < LONG_RUN_STEPS
    status, _, err = cli(capsys, *LONG_RUN, "--checkpoint", killed)
    assert status == 0 and f"at step {step:,}" in err
    _assert_identical(uninterrupted, load_checkpoint(killed))


def test_resuming_with_fewer_steps_than_the_checkpoint_is_an_error(tmp_path, capsys):
    path = tmp_path / "run.ckpt"
    assert cli(capsys, "train", "--steps", "20", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)[0] == 0
    status, out, err = cli(capsys, "train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)
    assert status == 2 and out == ""
    assert "--steps: the checkpoint" in err and "is already at step 20, past the 10 asked for" in err
    assert load_checkpoint(path).step == 20


def test_checkpoint_of_another_run_is_refused(tmp_path, capsys):
    path = tmp_path / "run.ckpt"
    assert cli(capsys, "train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)[0] == 0
    status, _, err = cli(capsys, "train", "--steps", "20", "--learning-rate", "0.05", "--checkpoint", path, *SMALL)
    assert status == 2 and "--checkpoint:" in err and "belongs to another run (learning_rate: 0.1 in the checkpoint, 0.05 now)" in err
    status, _, err = cli(capsys, "train", "--steps", "20", "--seed", "3", "--checkpoint", path, *SMALL)  # other teacher data
    assert status == 2 and "(data:" in err
    path.write_bytes(b"not a checkpoint")
    status, _, err = cli(capsys, "train", "--steps", "20", "--checkpoint", path, *SMALL)
    assert status == 2 and "--checkpoint: cannot read" in err


def test_resuming_a_finished_run_only_reports(tmp_path, capsys):
    path = tmp_path / "run.ckpt"
    assert cli(capsys, "train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)[0] == 0
    status, out, err = cli(capsys, "train", "--steps", "10", "--checkpoint", path, "--checkpoint-every", "5", *SMALL)
    assert status == 0 and "at step 10" in err and "final loss" in out and load_checkpoint(path).step == 10


# ---------------------------------------------------------------------------------------------
# The loss plot (matplotlib is optional: the 'plot' extra)


def test_plot_writes_the_loss_curve_titled_with_the_data_and_the_rate(tmp_path, capsys):
    """matplotlib is in the 'test' extra, so this writes a real PNG (the error path is below)."""
    path = tmp_path / "loss.png"
    status, _, err = cli(capsys, "train", "--steps", "30", "--learning-rate", "0.07", "--plot", path, *SMALL)
    assert status == 0, err
    png = path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    title = png.split(b"Title\x00", 1)[1].split(b"\x00", 1)[0].decode("latin-1")
    assert "planted teacher 120 × 3" in title.replace("\xc3\x97", "×") or "planted teacher 120" in title
    assert "learning rate 0.07" in title


def test_plot_without_matplotlib_names_the_source_install_and_fails_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.chdir(ROOT)
    status, out, err = cli(capsys, "train", "--steps", "30", "--plot", tmp_path / "loss.png", *SMALL)
    assert status == 2 and out == ""
    assert '--plot needs matplotlib: pip install ".[plot]"' in err
    assert not (tmp_path / "loss.png").exists()
