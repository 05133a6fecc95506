r"""Data-parallel training across processes, on one host or several, with ``jax.distributed``.

K processes each hold some rows of X (process $p$ the rows $R_p$, the $R_p$ disjoint and
together all N); the parameters are replicated.  Each step, every device sums its rows' terms
of the loss and the gradient, and ``psum`` adds the partial sums over all the processes'
devices (through gloo on CPU), so every process applies the same update

$$ \frac{\partial C}{\partial \mathbf{w}} = \sum_{p=1}^{K} \frac{2}{N}\sum_{i \in R_p \cap A} (z_i - y_i)\,\mathbf{x}_i, $$

divided by the global N, and ends with the same parameters.  The compiled step is the one
:class:`~verification.train.trainer.Trainer` runs on one process: only the mesh, which here
spans every process's devices, and the batch, assembled from each process's rows
(``verification.train.layout.prepare_batch(..., across_processes=True)``), differ.

Joining changes two process-wide JAX settings: it starts the distributed runtime, and sends CPU
collectives through gloo where no implementation is chosen (``jax_cpu_collectives_implementation``;
without one the CPU devices of different processes cannot add their sums).  Only :func:`join` makes these changes, and only a
program that asks for training across processes calls it.
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass

import jax
import numpy as np
from jax.experimental import multihost_utils

from verification.precision import own_program_scope
from verification.train.errors import ArgumentError
from verification.train.start import bias_for, initial_parameters, projections

JOIN_TIMEOUT_S = 120
"""Default seconds to wait for every process to join: enough to start K processes by hand."""
EXIT_NOT_JOINED = 1
"""Exit status of a process whose partners did not join in time, or were lost."""
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Process:
    """This process's place in the run: ``index`` p of ``count`` K (``jax.process_index()`` of ``jax.process_count()``)."""

    index: int
    count: int


def check_coordinator(address: str) -> str:
    """``address`` must be ``HOST:PORT`` (an IPv6 host in brackets), the port in 1..65535."""
    host, sep, port = str(address).rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ArgumentError("coordinator", f"expected HOST:PORT with a port in 1..65535, got {address!r}")
    return f"{host}:{int(port)}"


def _port_in_use(port: int) -> bool:
    """Whether something already listens on ``port`` here, where process 0 will serve the
    coordinator on every interface (JAX binds ``[::]:port``; a busy port can crash it)."""
    for family, host in ((socket.AF_INET6, "::"), (socket.AF_INET, "")):
        try:
            probe = socket.socket(family)
        except OSError:  # no IPv6 on this host
            continue
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is no obstacle
            try:
                probe.bind((host, port))
            except OSError:
                return True
            return False
    return False


def _check_processes(num_processes, process_id) -> None:
    for name, value in (("num_processes", num_processes), ("process_id", process_id)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{name}: expected an integer, got {value!r}")
    if num_processes is not None and num_processes < 1:
        raise ArgumentError("num_processes", f"must be at least 1, got {num_processes}")
    if process_id is not None and process_id < 0:
        raise ArgumentError("process_id", f"must be at least 0, got {process_id}")
    if None not in (num_processes, process_id) and process_id >= num_processes:
        raise ArgumentError("process_id", f"must be below num_processes = {num_processes}, got {process_id}")


def _end(status: int, message: str) -> None:
    """Write ``message`` to stderr and end the process now, without JAX's exit handlers (which
    would wait for the absent processes at a shutdown barrier)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if message:
        os.write(2, (message.rstrip("\n") + "\n").encode())
    os._exit(status)


def leave(status: int, message: str = "") -> None:
    """End a process that has lost its partners (a collective failed, or Ctrl-C): ``message`` to stderr, exit ``status``.

    A normal exit would wait at JAX's shutdown barrier for processes that are gone, then abort.
    """
    _end(status, message)


def _watch(joined: threading.Event, wake: int | None, timeout: float, where: str) -> None:
    """Until ``joined``: end the process on Ctrl-C (SIGINT's number written to ``wake``) or after ``timeout`` s.

    ``jax.distributed.initialize`` blocks in C++, where Python's own SIGINT handler cannot run,
    and on its own timeout aborts the process with a C++ stack trace.
    """
    deadline = time.monotonic() + timeout
    while not joined.is_set() and (left := deadline - time.monotonic()) > 0:
        if wake is None:
            joined.wait(left)
        elif select.select([wake], [], [], left)[0] and signal.SIGINT in os.read(wake, 64) and not joined.is_set():
            _end(EXIT_INTERRUPTED, f"interrupted while waiting for the other processes {where}")
    if not joined.is_set():
        _end(
            EXIT_NOT_JOINED,
            f"error: the other processes did not join {where} within {timeout:g} s; start all of them (the same "
            "coordinator and number of processes, each its own process id), or allow them longer to join",
        )


def join(coordinator: str | None = None, num_processes: int | None = None, process_id: int | None = None, *,
         timeout: float = JOIN_TIMEOUT_S) -> Process:
    """Join the ``num_processes`` processes of a run; call it before anything else uses JAX.

    Sets ``jax_cpu_collectives_implementation`` to ``"gloo"`` where it is unset (recent JAX
    has it so by default; a choice already made, such as ``"mpi"``, is kept) and calls
    ``jax.distributed.initialize(coordinator, num_processes, process_id)``.  ``coordinator`` is
    ``HOST:PORT`` of process 0, which serves it; every process gives the same one.  Arguments
    left None are detected from the cluster (SLURM, Open MPI, ...; see ``jax.distributed``).

    Blocks until every process has joined.  If they have not within ``timeout`` seconds, or on
    Ctrl-C, it writes why to stderr and ends the process (status ``EXIT_NOT_JOINED`` or 130):
    JAX's runtime would otherwise abort it.

    Raises:
        ValueError, TypeError: a bad argument, named; or too few to join and no cluster to detect them.
        RuntimeError: JAX has already started (its backends run) or joined.
    """
    _check_processes(num_processes, process_id)
    if coordinator is not None:
        coordinator = check_coordinator(coordinator)
    if not (isinstance(timeout, int | float) and not isinstance(timeout, bool) and 0 < timeout < float("inf")):
        raise ArgumentError("timeout", f"expected a number of seconds > 0, got {timeout!r}")
    if coordinator is not None and process_id == 0 and _port_in_use(int(coordinator.rpartition(":")[2])):
        raise ArgumentError("coordinator", f"port {coordinator.rpartition(':')[2]} is in use on this host, where process 0 "
                            "serves the coordinator; choose a free port")
    if jax.distributed.is_initialized():
        raise RuntimeError("join: this process has already joined a distributed run")
    if getattr(jax.config, "jax_cpu_collectives_implementation", None) in (None, "none"):  # a choice made (mpi) is kept
        try:
            jax.config.update("jax_cpu_collectives_implementation", "gloo")
        except RuntimeError as error:
            raise RuntimeError(f"join: call it before anything uses JAX (its backends already run: {error})") from None

    where = f"at {coordinator}" if coordinator else "(coordinator detected from the cluster)"
    joined = threading.Event()
    wake: int | None = None
    previous = write = -1  # the wakeup descriptor before ours (-1: none), and our pipe's write end
    if threading.current_thread() is threading.main_thread():
        read, write = os.pipe()
        os.set_blocking(write, False)
        previous, wake = signal.set_wakeup_fd(write), read
    watchdog = threading.Thread(target=_watch, args=(joined, wake, timeout, where), daemon=True)
    watchdog.start()
    try:
        # JAX's own deadline is never reached: the watchdog ends the process first, with a message.
        limit = int(timeout) + 60
        jax.distributed.initialize(
            coordinator, num_processes, process_id, initialization_timeout=limit, shutdown_timeout_seconds=limit
        )
    except ValueError as error:  # too few arguments and no cluster environment to complete them
        raise ArgumentError("coordinator", f"{error} (give the coordinator, the number of processes and this one's id)") from None
    except jax.errors.JaxRuntimeError as error:  # process 0 could not serve the coordinator
        first = str(error).splitlines()[0]
        raise ArgumentError("coordinator", f"cannot serve {where} ({first}); is the port free on this host?") from None
    finally:
        joined.set()
        if wake is not None:
            signal.set_wakeup_fd(previous)
            os.write(write, b"\0")  # wake the watchdog, which sees ``joined`` and returns
        watchdog.join()
        if wake is not None:
            os.close(wake)
            os.close(write)
    return Process(index=jax.process_index(), count=jax.process_count())


def rows_of_process(n_samples: int, process: Process) -> slice:
    r"""Process p's contiguous share of N rows: $[\lfloor pN/K \rfloor, \lfloor (p+1)N/K \rfloor)$.

    Raises:
        ValueError: N < K, which would leave a process without rows (on every process alike).
    """
    if n_samples < process.count:
        raise ArgumentError("samples", f"N = {n_samples} cannot give each of the {process.count} processes a row")
    return slice(n_samples * process.index // process.count, n_samples * (process.index + 1) // process.count)


def gather(values) -> np.ndarray:
    """``values`` (same shape on every process) from every process, stacked: shape (K, ...).

    A collective: every process calls it.  A 64-bit array travels in 64-bit mode, unrounded.
    """
    values = np.asarray(values)
    with own_program_scope(np.float64 if values.dtype.itemsize == 8 else np.float32):
        return np.asarray(multihost_utils.process_allgather(values)).reshape(-1, *values.shape)


def check_same(hint: str = "give every process the same", **settings) -> None:
    """Every process must hold the same ``settings`` (compared by a hash of each one's repr).

    Processes that disagree on the steps, say, would wait for each other's collectives forever.
    A collective: every process calls it.

    Raises:
        ValueError: naming the settings that differ, followed by ``hint``.
    """
    names = sorted(settings)
    digests = [int.from_bytes(hashlib.sha256(repr(settings[n]).encode()).digest()[:4], "little", signed=True) for n in names]
    every = gather(np.array(digests, dtype=np.int32))
    differ = [n for j, n in enumerate(names) if len(set(every[:, j])) > 1]
    if differ:
        others = f" (nor {', '.join(differ[1:])})" if differ[1:] else ""
        raise ArgumentError(differ[0], f"not the same on every process{others}; {hint}")


def shared_initial_parameters(X, *, seed: int = 0, w0=None, b0=None) -> tuple[np.ndarray, np.ndarray]:
    r"""The single-process default start (``verification.train.start``) from every process's rows ``X``:
    $\mathbf{w}_0$ from ``seed`` and $b_0 = 0.1 - \operatorname{median}_i(\mathbf{w}_0\cdot\mathbf{x}_i)$ over all N samples.

    Each process's own median would give each a different $b_0$: the parameters would not be
    replicated.  A given ``w0`` or ``b0`` is kept as is (checked); a collective: every process calls it.
    """
    w, given = initial_parameters(X, seed=seed, w0=w0, b0=0.0 if b0 is None else b0)
    if b0 is not None:
        return w, given
    z = projections(X, w)
    most = int(gather(np.array(z.shape[0], dtype=np.int32)).max())
    padded = np.full(most, np.nan, dtype=z.dtype)  # every process's share padded to the same shape
    padded[: z.shape[0]] = z
    every = gather(padded).ravel()
    return w, bias_for(every[~np.isnan(every)])
