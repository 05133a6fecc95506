"""Training across processes (``jax.distributed``): two processes on 127.0.0.1 reproduce one
process's run; a process whose partners never come fails clearly and soon; bad options are named."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.cli import main
from verification.train import initial_parameters, stable_learning_rate, train, trajectory_tolerance
from verification.train.data import planted_teacher
from verification.train.distributed import EXIT_NOT_JOINED, Process, check_coordinator, join, rows_of_process

ROOT = Path(__file__).resolve().parents[2]
SAMPLES, FEATURES, SEED, STEPS = 1001, 10, 3, 10
"""An odd N: the processes hold 500 and 501 rows, so one process's share is padded (masked rows)
to the other's shape.  Few steps: the teacher has no noise, so a wrong reduction still converges
to w*, b*; only the trajectory before convergence tells it apart."""
TEACHER = ("--samples", SAMPLES, "--features", FEATURES, "--seed", SEED, "--steps", STEPS, "--quiet")
JOIN_TIMEOUT = 3
STARTUP_S = 30
"""Seconds a process may take to start Python and JAX on a loaded CI machine, whose few cores every process shares."""


def free_port() -> int:
    """A TCP port free on every interface now (the coordinator binds to all of them)."""
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def start(*arguments, env: dict | None = None) -> subprocess.Popen:
    """``python -m verification train ARGUMENTS`` in a subprocess (``env`` added to this one's), output captured."""
    command = [sys.executable, "-m", "verification", "train", *(str(a) for a in arguments)]
    environment = None if env is None else {**os.environ, **env}
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"still running after {timeout} s:\n{out}\n{err}")
    return process.returncode, out, err


def load(path: Path) -> dict:
    with np.load(path) as archive:
        return {name: archive[name] for name in ("w", "b", "losses")}


@pytest.fixture(scope="module")
def problem():
    """The planted teacher the CLI builds from ``TEACHER``, its default start and a stable rate."""
    teacher = planted_teacher(SAMPLES, FEATURES, seed=SEED)
    w0, b0 = initial_parameters(teacher.X, seed=SEED)
    return teacher, w0, b0, stable_learning_rate(teacher.X)


def differences(run: dict, reference: dict, teacher, w0, b0, rate, steps: int = STEPS) -> list[str]:
    r"""What keeps ``run`` from being ``reference`` up to float32 rounding; empty when it is.

    The two runs add the same terms in another order (a sum per process, then across processes),
    so they differ by rounding alone.  :func:`~verification.train.trajectory_tolerance` bounds that:
    each step's gradient sums N terms, whose rounding in any order is below $(N+4)\,\varepsilon_{32}$
    times the magnitude of the summed terms, $G \le 2\sqrt{C}\,\mathrm{rms}(\hat x)$; at a stable learning
    rate these errors add up, not grow, over the steps: $T\,(\eta\,(N+4)\,\varepsilon_{32}\,G + 2\varepsilon_{32}\,\theta_{max})$.
    """
    parameter_tol, loss_tol = trajectory_tolerance(
        teacher.X, steps=steps, learning_rate=rate, w0=w0, b0=b0, losses=reference["losses"], dtype=np.float32
    )
    problems = []
    for name, tolerance in (("w", parameter_tol), ("b", parameter_tol), ("losses", loss_tol)):
        if np.shape(run[name]) != np.shape(reference[name]):
            problems.append(f"{name}: shape {np.shape(run[name])}, expected {np.shape(reference[name])}")
            continue
        gap = float(np.max(np.abs(np.asarray(run[name], np.float64) - np.asarray(reference[name], np.float64))))
        if not gap <= tolerance:
            problems.append(f"{name}: differs by {gap:.3g}, tolerance {tolerance:.3g}")
    return problems


def test_two_processes_reproduce_one(tmp_path, problem):
    teacher, w0, b0, rate = problem
    common = (*TEACHER, "--learning-rate", repr(rate))
    single = finish(start(*common, "--output", tmp_path / "single.npz"))
    assert single[0] == 0, single

    coordinator = f"127.0.0.1:{free_port()}"
    processes = [
        start(*common, "--coordinator", coordinator, "--num-processes", 2, "--process-id", index, "--devices", 2,
              "--join-timeout", 60, "--output", tmp_path / f"process{index}.npz")
        for index in (0, 1)
    ]
    for index, process in enumerate(processes):
        status, out, err = finish(process)
        assert status == 0, (index, out, err)
        assert f"process {index} of 2" in " ".join(out.split()), out

    reference = load(tmp_path / "single.npz")
    runs = [load(tmp_path / f"process{index}.npz") for index in (0, 1)]
    for run in runs:
        assert differences(run, reference, teacher, w0, b0, rate) == []
    # Every process applies the same update to the same parameters (the reduced sums are
    # replicated bit for bit), so the parameters they hold are identical, not merely close.
    for name in ("w", "b", "losses"):
        np.testing.assert_array_equal(runs[0][name], runs[1][name])

    # The comparison rejects what a wrong reduction would produce, on the same start point:
    first = rows_of_process(SAMPLES, Process(0, 2))
    X, y = teacher.X, teacher.y
    twice = np.r_[np.arange(first.stop), np.arange(SAMPLES - first.stop)]  # process 0's rows held by both
    wrong = {
        "no sum across processes (process 0's rows alone)": dict(X=X[first], y=y[first], learning_rate=rate),
        "each process divides by its own N": dict(X=X, y=y, learning_rate=2 * rate),
        "a process holds another's rows": dict(X=X[twice], y=y[twice], learning_rate=rate),
    }
    for fault, arguments in wrong.items():
        result = train(steps=STEPS, w0=w0, b0=b0, dtype=np.float32, **arguments)
        planted = {"w": result.w, "b": result.b, "losses": result.losses}
        assert differences(planted, reference, teacher, w0, b0, rate) != [], fault


def test_a_divergence_suggests_the_same_rate_in_every_process(problem):
    """The suggestion comes from the whole data set's X̂ᵀX̂, summed across the processes, not
    from each process's own rows: both say the same rate, the one of all N samples."""
    teacher = problem[0]
    coordinator = f"127.0.0.1:{free_port()}"
    processes = [start(*TEACHER, "--learning-rate", "1e6", "--coordinator", coordinator, "--num-processes", 2,
                       "--process-id", index, "--join-timeout", 60) for index in (0, 1)]
    suggested = []
    for index, process in enumerate(processes):
        status, out, err = finish(process)
        assert status == 1 and "training diverged" in err, (index, out, err)
        suggested.append(float(re.search(r"--learning-rate (\S+) is stable for it", err).group(1)))
    assert suggested[0] == suggested[1]
    assert suggested[0] == pytest.approx(stable_learning_rate(teacher.X), rel=1e-2)  # printed to 3 digits
    # what each process's own rows would suggest differs, as printed: the test tells the two apart
    own = [f"{stable_learning_rate(teacher.X[rows_of_process(SAMPLES, Process(p, 2))]):.3g}" for p in (0, 1)]
    assert own[0] != own[1]


def slurm_port() -> int:
    """A free port among those JAX's SLURM detection picks from (61440 + the job id modulo 4096)."""
    for port in range(61440 + 1000, 65536):
        try:
            with socket.socket() as probe:
                probe.bind(("", port))
            return port
        except OSError:
            continue
    pytest.fail("no free port in 62440..65535")


def test_distributed_detects_the_processes_from_slurm(tmp_path):
    """``--distributed`` alone: JAX reads the coordinator, the count and this process's id from
    the SLURM variables ``srun`` sets (here for two tasks on 127.0.0.1).  X is large enough
    (18 MB) for the row-major layout, which the first test (a small X, feature-major) does not reach."""
    samples, features, steps = 45_001, 100, 3
    teacher = planted_teacher(samples, features, seed=0)
    w0, b0 = initial_parameters(teacher.X, seed=0)
    rate = stable_learning_rate(teacher.X)
    job = slurm_port() - 61440
    processes = []
    for index in (0, 1):
        slurm = {"SLURM_JOB_ID": str(job), "SLURM_STEP_NODELIST": "127.0.0.1", "SLURM_NTASKS": "2",
                 "SLURM_PROCID": str(index), "SLURM_LOCALID": str(index)}
        processes.append(start("--samples", samples, "--features", features, "--steps", steps, "--learning-rate", repr(rate),
                               "--quiet", "--distributed", "--join-timeout", 60, "--output", tmp_path / f"process{index}.npz",
                               env=slurm))
    for index, process in enumerate(processes):
        status, out, err = finish(process)
        assert status == 0, (index, out, err)
        assert f"process {index} of 2" in " ".join(out.split()), out
    runs = [load(tmp_path / f"process{index}.npz") for index in (0, 1)]
    for name in ("w", "b", "losses"):
        np.testing.assert_array_equal(runs[0][name], runs[1][name])

    one = train(teacher.X, teacher.y, steps=steps, learning_rate=rate, w0=w0, b0=b0, dtype=np.float32)
    reference = {"w": one.w, "b": one.b, "losses": one.losses}
    assert differences(runs[0], reference, teacher, w0, b0, rate, steps) == []


def clear_failure(status: int, err: str, coordinator: str) -> bool:
    """Exit status 1 with one line naming the problem and the coordinator: no Python
    traceback, no C++ stack trace."""
    return status == EXIT_NOT_JOINED and "did not join" in err and coordinator in err and "Traceback" not in err and "Check failure" not in err


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> dict[int, tuple]:
    """Process 0 (the coordinator) and process 1 of two, each alone, each with its own
    coordinator address: started together, as they wait out the same join timeout.  Per index:
    (exit status, stdout, stderr, coordinator, seconds from start to exit, output path)."""
    runs = {}
    for index in (0, 1):
        coordinator, output = f"127.0.0.1:{free_port()}", tmp_path_factory.mktemp(f"alone{index}") / "w.npz"
        process = start("--samples", 50, "--features", 2, "--steps", 5, "--quiet", "--coordinator", coordinator,
                        "--num-processes", 2, "--process-id", index, "--join-timeout", JOIN_TIMEOUT, "--output", output)
        runs[index] = (process, coordinator, output, time.monotonic())
    outcomes = {}
    for index, (process, coordinator, output, began) in runs.items():
        status, out, err = finish(process, timeout=JOIN_TIMEOUT + 2 * STARTUP_S)
        outcomes[index] = (status, out, err, coordinator, time.monotonic() - began, output)
    return outcomes


@pytest.mark.parametrize("index", [0, 1])
def test_a_process_alone_fails_clearly_and_soon(alone, index):
    status, out, err, coordinator, elapsed, output = alone[index]
    assert clear_failure(status, err, coordinator), (status, out, err)
    assert JOIN_TIMEOUT <= elapsed <= JOIN_TIMEOUT + STARTUP_S
    assert not output.exists()


def test_a_coordinator_port_in_use_is_named(capsys):
    """Checked before JAX tries to serve it (then failing with a traceback, or crashing), and
    before any JAX setting changes: safe in this process."""
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["train", "--samples", "50", "--features", "2", "--steps", "2", "--quiet",
                       "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id", "0"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert f"--coordinator: port {port} is in use" in err and "Traceback" not in err, err


def test_jax_alone_would_abort_unclearly():
    """Without the watchdog, JAX ends a lonely process itself, with a C++ stack trace: the
    failure the test above must tell apart from a clear one."""
    coordinator = f"127.0.0.1:{free_port()}"
    code = (
        "import jax; jax.config.update('jax_cpu_collectives_implementation', 'gloo'); "
        f"jax.distributed.initialize({coordinator!r}, 2, 1, initialization_timeout=1)"
    )
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=2 * STARTUP_S)
    assert process.returncode != 0
    assert not clear_failure(process.returncode, process.stderr, coordinator), process.stderr


@given(count=st.integers(1, 64), extra=st.integers(0, 10_000))
def test_the_processes_share_the_rows(count, extra):
    samples = count + extra
    shares = [rows_of_process(samples, Process(index, count)) for index in range(count)]
    assert shares[0].start == 0 and shares[-1].stop == samples
    for before, after in zip(shares, shares[1:], strict=False):
        assert before.stop == after.start  # contiguous, disjoint, in order
    sizes = [share.stop - share.start for share in shares]
    assert max(sizes) - min(sizes) <= 1


def test_fewer_rows_than_processes_is_refused():
    with pytest.raises(ValueError, match="N = 3 cannot give each of the 4 processes a row"):
        rows_of_process(3, Process(0, 4))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("--coordinator", "nohost"), "coordinator"),
        (("--coordinator", "127.0.0.1:0"), "coordinator"),
        (("--num-processes", 2, "--process-id", 2), "process-id"),
        (("--num-processes", 0), "num-processes"),
        (("--process-id", -1), "process-id"),
        (("--join-timeout", 0), "join-timeout"),
    ],
)
def test_bad_options_are_named(arguments, message, capsys):
    """Checked before joining, so before any JAX setting changes: safe in this process."""
    status = main(["train", "--samples", "20", "--features", "2", "--steps", "2", "--quiet", *(str(a) for a in arguments)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "--" + message in err and "Traceback" not in err, err


@pytest.mark.parametrize("address", ["nohost", "host:", ":80", "host:0", "host:65536", "host:http"])
def test_check_coordinator_rejects(address):
    with pytest.raises(ValueError, match="coordinator"):
        check_coordinator(address)


def test_check_coordinator_accepts():
    assert check_coordinator("10.0.0.1:1234") == "10.0.0.1:1234"
    assert check_coordinator("[::1]:80") == "[::1]:80"


@pytest.mark.parametrize(
    "arguments, name",
    [
        (dict(num_processes=0), "num_processes"),
        (dict(num_processes=2, process_id=2), "process_id"),
        (dict(process_id=-1), "process_id"),
        (dict(num_processes=2.0), "num_processes"),
        (dict(coordinator="nohost"), "coordinator"),
        (dict(coordinator="127.0.0.1:1234", num_processes=2, process_id=0, timeout=0), "timeout"),
    ],
)
def test_join_names_a_bad_argument_before_touching_jax(arguments, name):
    with pytest.raises((ValueError, TypeError), match=name):
        join(**arguments)


def test_join_after_jax_has_started_is_refused():
    """The distributed runtime must start before JAX's backends; this process's already run."""
    jnp.zeros(1).block_until_ready()
    with pytest.raises(RuntimeError, match="before any JAX"):
        join(f"127.0.0.1:{free_port()}", 1, 0, timeout=5)
