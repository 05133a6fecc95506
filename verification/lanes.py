r"""Where each precision lane runs: in this process, or in a helper process of the other precision.

JAX's 64-bit mode is a process-wide setting whose scoped form is not safe beside other JAX code
(:mod:`verification.precision`).  A check must leave the user's process as it found it, so a
lane whose precision is not the one ``jax_enable_x64`` gives here runs its programs in a helper
process started with the flag set the other way: ``python -m verification.lanes``, one per
setting, started on first use and kept until this process exits.  It runs on the CPU (unless
``JAX_PLATFORMS`` says otherwise) and never preallocates accelerator memory.

What crosses to it: the program (builder, the user's ``f`` and parameters, pickled with
``cloudpickle``) and its inputs as NumPy arrays; what comes back: the outputs as NumPy arrays,
and how many programs it compiled.  The hand derivative, the comparison and the report stay
here.  Requests go one after another; a check sends its request for the helper's lane first and
runs its own lane while the helper works, so on two cores the lanes overlap.

Example:
    >>> import numpy as np
    >>> runner(np.float32 if not x64_enabled() else np.float64).remote
    False
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import socket
import subprocess
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

import cloudpickle
import jax
import numpy as np

from verification import oracles
from verification.precision import check_dtype, runs_here, x64_enabled
from verification.programs import LOCAL_PROGRAMS, LocalRunner, Pending, Program, ProgramCache, program

PROTOCOL = 5
"""Pickle protocol of the requests and replies: out-of-band buffers for large arrays."""

MIRRORED = ("jax_numpy_rank_promotion", "jax_numpy_dtype_promotion", "jax_default_prng_impl",
            "jax_debug_nans", "jax_debug_infs", "jax_softmax_custom_jvp", "jax_enable_custom_prng")
"""The settings of this process that change what a user's function computes or whether it
traces: the helper takes them as they are here at each request (its 64-bit mode excepted)."""


def _settings() -> dict[str, Any]:
    return {name: getattr(jax.config, name) for name in MIRRORED if hasattr(jax.config, name)}


class LaneProcessError(RuntimeError):
    """The helper process of a lane failed (exited, or could not load the program)."""


class RemoteRunner:
    """The client of one helper process: runs a lane's programs there."""

    remote = True

    def __init__(self, x64: bool):
        self.x64 = x64
        self.lane = "float64" if x64 else "float32"
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._connection: Connection | None = None
        self._pid = 0
        self._sequence = 0
        self._replies: dict[int, tuple] = {}

    # -- the process ----------------------------------------------------------------------------
    def _ensure_started(self) -> Connection:
        if self._connection is not None and self._pid == os.getpid() and self._process is not None \
                and self._process.poll() is None:
            return self._connection
        self._close()
        ours, theirs = socket.socketpair()
        env = dict(os.environ, JAX_ENABLE_X64="1" if self.x64 else "0", XLA_PYTHON_CLIENT_PREALLOCATE="false")
        env.setdefault("JAX_PLATFORMS", "cpu")
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "verification.lanes", str(theirs.fileno()), self.lane],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=_stderr_fd(), env=env)
        self._connection = Connection(ours.detach())
        self._pid = os.getpid()
        self._connection.send_bytes(pickle.dumps({"sys_path": list(sys.path)}, protocol=PROTOCOL))
        return self._connection

    def _close(self) -> None:
        connection, process, self._connection, self._process = self._connection, self._process, None, None
        self._replies.clear()
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()
        if process is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                process.wait(timeout=5)
            if process.poll() is None:
                process.kill()

    # -- requests -------------------------------------------------------------------------------
    def submit(self, prog: Program, *call: Any) -> Pending:
        """Send ``prog`` and its inputs; the outputs come with ``.result()``."""
        if prog.payload is None:
            raise TypeError(f"f: the {self.lane} lane runs in a separate process (JAX's 64-bit mode is "
                            f"process-wide), and f cannot be sent there because it cannot be pickled. "
                            f"Check only the lane of this process (dtype={'float32' if self.x64 else 'float64'!r}), "
                            "or close f over picklable values")
        with self._lock:
            connection = self._ensure_started()
            self._sequence += 1
            sequence = self._sequence
            try:
                connection.send_bytes(pickle.dumps((sequence, prog.key, prog.payload, call, _settings()),
                                                   protocol=PROTOCOL))
            except OSError as error:
                self._close()
                raise LaneProcessError(f"the {self.lane} lane's process is gone ({error})") from None
        return Pending(wait=lambda: self._outcome(prog, call, sequence))

    def _receive(self, sequence: int) -> tuple:
        with self._lock:
            while sequence not in self._replies:
                connection = self._connection
                if connection is None:
                    raise LaneProcessError(f"the {self.lane} lane's process was restarted; its reply is lost")
                try:
                    reply = pickle.loads(connection.recv_bytes())
                except (EOFError, OSError):
                    code = self._process.poll() if self._process is not None else None
                    self._close()
                    raise LaneProcessError(f"the {self.lane} lane's process exited (status {code}); "
                                           "its error, if any, is on stderr above") from None
                self._replies[reply[0]] = reply
            return self._replies.pop(sequence)

    def _outcome(self, prog: Program, call: tuple, sequence: int) -> Any:
        _, ok, value, compiled = self._receive(sequence)
        oracles.count_compilations(compiled)
        if ok:
            return value
        stage, error, text = value
        if stage == "load" and prog.payload is not None and _module_of(prog.function) is not None:
            # f's module cannot be imported there (a test module run by path): send it by value
            return self.submit(_by_value(prog), *call).result()
        if error is not None:
            if hasattr(error, "add_note"):
                error.add_note(f"(raised in the {self.lane} lane, which runs in a separate process)")
            raise error
        raise LaneProcessError(f"in the {self.lane} lane's process: {text}")


def _stderr_fd() -> int | None:
    """The helper's standard output goes to our standard error: prints of a user's ``f`` must
    never land in a command's JSON on standard output."""
    try:
        return sys.__stderr__.fileno() if sys.__stderr__ is not None else None
    except (OSError, ValueError):
        return None


def _module_of(function: Any) -> Any:
    name = getattr(function, "__module__", None)
    if not isinstance(name, str) or name in ("__main__", "builtins") or name.startswith(("jax", "numpy")):
        return None
    return sys.modules.get(name)


def _by_value(prog: Program) -> Program:
    """``prog`` re-pickled with the module of its function by value (cloudpickle's registry is
    restored at once: a library call leaves no state behind)."""
    module = _module_of(prog.function)
    cloudpickle.register_pickle_by_value(module)
    try:
        return program(prog.builder, prog.function, **prog.params)
    finally:
        cloudpickle.unregister_pickle_by_value(module)


_REMOTE: dict[bool, RemoteRunner] = {}


def runner(dtype: Any) -> LocalRunner | RemoteRunner:
    """The runner of the lane ``dtype``: this process when its precision is native here, else
    the helper process of the other ``jax_enable_x64`` setting."""
    dtype = check_dtype(dtype)
    if runs_here(dtype):
        return LocalRunner(LOCAL_PROGRAMS)
    x64 = dtype == np.float64
    if x64 not in _REMOTE:
        _REMOTE[x64] = RemoteRunner(x64)
    return _REMOTE[x64]


@atexit.register
def _stop_helpers() -> None:
    for remote in _REMOTE.values():
        remote._close()


# -------------------------------------------------------------------------------------------------
# The helper process


def serve(fd: int) -> None:
    """Answer requests on the socket ``fd`` until it closes."""
    connection = Connection(fd)
    try:
        init = pickle.loads(connection.recv_bytes())
    except EOFError:
        return
    sys.path[:] = [p for p in init["sys_path"] if p] + [""]
    cache = ProgramCache()
    local = LocalRunner(cache)
    while True:
        try:
            sequence, key, payload, call, settings = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return
        for name, value in settings.items():  # this helper's own process: the user's settings, as they are there
            if getattr(jax.config, name) != value:
                jax.config.update(name, value)
        before = oracles.compilation_count()
        reply: tuple[Any, ...]
        try:
            try:
                builder, function, params = cloudpickle.loads(payload)
            except Exception as error:
                reply = (sequence, False, ("load", None, f"{type(error).__name__}: {error}"), 0)
            else:
                outputs = local.submit(Program(builder, function, params, key, payload), *call).result()
                reply = (sequence, True, outputs, oracles.compilation_count() - before)
        except Exception as error:
            text = "".join(traceback.format_exception_only(type(error), error)).strip()
            try:
                pickle.dumps(error, protocol=PROTOCOL)
                carried: BaseException | None = error
            except Exception:
                carried = None
            reply = (sequence, False, ("run", carried, text), oracles.compilation_count() - before)
        connection.send_bytes(pickle.dumps(reply, protocol=PROTOCOL))


if __name__ == "__main__":
    serve(int(sys.argv[1]))


__all__ = ["LaneProcessError", "RemoteRunner", "runner", "serve", "x64_enabled"]
