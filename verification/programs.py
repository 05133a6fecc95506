r"""Where a check's JAX programs run, and how they are kept: one runner per precision lane.

A check evaluates JAX programs (the oracles of :mod:`verification.oracles` and their rounding
noise) built from the user's ``f``.  Each lane runs them where its precision is native
(:mod:`verification.lanes`): in this process when ``jax_enable_x64`` already gives that
precision, else in a helper process whose flag is set the other way.  Either way the program is named by a *fingerprint*: the
hash of the pickled builder, ``f`` and parameters (``cloudpickle``, which pickles a lambda or a
closure by value).  Two lambdas with the same code and the same closed-over values are the same
program, so a hypothesis test that builds a new ``f`` per example compiles once per shape, and
the cache holds at most :data:`CACHED_PROGRAMS` programs, so it does not keep every ``f`` (and its
closure) alive.
"""

from __future__ import annotations

import hashlib
import io
import weakref
from collections import ChainMap, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import cloudpickle
import jax

from verification import oracles
from verification.precision import highest_matmul_precision

CACHED_PROGRAMS = 64
"""Compiled programs kept per process, least recently used first out."""


@dataclass(frozen=True)
class Program:
    """A program to build: ``oracles.BUILDERS[builder](function, **params)``, named by ``key``.
    ``payload`` is its pickled form (None when ``function`` cannot be pickled: it then runs only
    in this process, named by its identity)."""

    builder: str
    function: Callable
    params: dict[str, Any]
    key: Hashable
    payload: bytes | None


def _custom_vjp(fun: Callable, nondiff_argnums: tuple, fwd: Callable, bwd: Callable, symbolic_zeros: bool,
                optimize_remat: bool) -> Any:
    rule = jax.custom_vjp(fun, nondiff_argnums=nondiff_argnums)
    rule.defvjp(fwd, bwd, symbolic_zeros=symbolic_zeros, optimize_remat=optimize_remat)
    return rule


def _custom_jvp(fun: Callable, nondiff_argnums: tuple, jvp: Callable | None, symbolic_zeros: bool) -> Any:
    rule = jax.custom_jvp(fun, nondiff_argnums=nondiff_argnums)
    if jvp is not None:
        rule.defjvp(jvp, symbolic_zeros=symbolic_zeros)
    return rule


_REBUILT = {
    jax.custom_vjp: lambda f: (_custom_vjp, (f.fun, tuple(f.nondiff_argnums), f.fwd, f.bwd, f.symbolic_zeros,
                                             f.optimize_remat)),
    jax.custom_jvp: lambda f: (_custom_jvp, (f.fun, tuple(f.nondiff_argnums), f.jvp, f.symbolic_zeros)),
}
"""How a custom rule travels: as its parts, rebuilt on arrival (the objects themselves do not
unpickle), for this pickler only (no global pickling state changes)."""


class _Pickler(cloudpickle.CloudPickler):
    dispatch_table = ChainMap(_REBUILT, cloudpickle.CloudPickler.dispatch_table)


def dumps(value: Any) -> bytes:
    """``value`` pickled by value where needed (``cloudpickle``), custom rules included."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=5).dump(value)
    return buffer.getvalue()


_PICKLED: weakref.WeakKeyDictionary[Callable, dict[bytes, tuple[tuple, bytes]]] = weakref.WeakKeyDictionary()
"""What each live function object pickled to, with given other parts (their pickled form), and
what the function referred to then.  Pickling a function by value walks its globals and every
loaded module, the largest part of a small check's cost, so it is done again only when the
function's direct referents change (:func:`_referents`): a global rebound, a custom rule given
another ``fwd``/``bwd``.  Like ``jax.jit``, which traces a function once per signature, it does not
look inside them: an array changed in place is not seen.  Held weakly: a function's entries go
with it."""

_REFERRING = ("__code__", "__defaults__", "__kwdefaults__", "__wrapped__", "__self__", "__func__",
              "fun", "fwd", "bwd", "jvp", "nondiff_argnums", "func", "args", "keywords")
"""The attributes through which a function, a method, a ``functools.partial`` or a custom rule
refers to what it computes."""


def _referents(function: Any) -> tuple[int, ...]:
    """The identities of what ``function`` refers to directly: its code, defaults, closed-over
    values, the globals its code names, a partial's arguments, a custom rule's parts."""
    parts = [id(getattr(function, name, None)) for name in _REFERRING]
    for cell in getattr(function, "__closure__", None) or ():
        try:
            parts.append(id(cell.cell_contents))
        except ValueError:  # a cell not filled yet
            parts.append(0)
    code, namespace = getattr(function, "__code__", None), getattr(function, "__globals__", None)
    if code is not None and namespace is not None:
        parts += [id(namespace.get(name)) for name in code.co_names]
    return tuple(parts)


def _pickled(first: tuple, function: Callable, rest: tuple) -> bytes:
    """``dumps((*first, function, *rest))``, remembered per function object while it lives and
    refers to the same objects."""
    try:
        memo = _PICKLED.setdefault(function, {})
    except TypeError:  # not weakly referenceable (a bound method, a builtin): pickled each time
        return dumps((*first, function, *rest))
    # the modules pickled by value are part of the key: a function sent by reference and the same
    # function sent by value (its module unknown to the other process) are two payloads
    key = dumps((first, rest, sorted(cloudpickle.list_registry_pickle_by_value())))
    referents = _referents(function)
    if key not in memo or memo[key][0] != referents:
        memo[key] = (referents, dumps((*first, function, *rest)))
    return memo[key][1]


def program(builder: str, function: Callable, **params: Any) -> Program:
    """The program ``builder`` makes of ``function`` with ``params``, fingerprinted."""
    try:
        payload = _pickled((builder,), function, (params,))
    except Exception:  # a closure over a lock, a file, ...: usable here, not in another process
        return Program(builder, function, params, ("identity", builder, id(function), _hashable(params)), None)
    return Program(builder, function, params, hashlib.sha256(payload).digest(), payload)


def fingerprint(function: Callable, *parts: Any) -> Hashable:
    """A key for ``function`` and ``parts`` by content (their pickled form), or by identity where
    they cannot be pickled (then the key holds them, so an identity is never reused while the key
    lives)."""
    try:
        return hashlib.sha256(_pickled((), function, parts)).digest()
    except Exception:
        return ("identity", id(function), tuple(id(p) for p in parts), (function, *parts))


def _hashable(params: dict[str, Any]) -> Hashable:
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


class ProgramCache:
    """Compiled programs by key, the least recently used dropped beyond ``size``."""

    def __init__(self, size: int = CACHED_PROGRAMS):
        self.size = size
        self._programs: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], tuple[Any, Any]]) -> Any:
        """The compiled program (or other value) under ``key``, built by ``build()`` (which returns
        it and the function it was built from, kept alive with it) when absent."""
        if key in self._programs:
            self._programs.move_to_end(key)
        else:
            self._programs[key] = build()
            while len(self._programs) > self.size:
                self._programs.popitem(last=False)
        return self._programs[key][0]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._programs

    def __len__(self) -> int:
        return len(self._programs)


def build(builder: str, function: Callable, params: dict[str, Any]) -> tuple[Callable, Callable]:
    """``(compiled program, function)`` for a cache entry."""
    return oracles.BUILDERS[builder](function, **params), function


class Pending:
    """A program's outputs, computed already or on their way from another process."""

    def __init__(self, outputs: Any = None, wait: Callable[[], Any] | None = None):
        self._outputs, self._wait = outputs, wait

    def result(self) -> Any:
        if self._wait is not None:
            self._outputs, self._wait = self._wait(), None
        return self._outputs


class LocalRunner:
    """Runs a lane's programs in this process, whose ``jax_enable_x64`` gives the lane's precision."""

    remote = False

    def __init__(self, cache: ProgramCache):
        self.cache = cache

    def submit(self, prog: Program, *call: Any) -> Pending:
        compiled = self.cache.get(prog.key, lambda: build(prog.builder, prog.function, prog.params))
        with highest_matmul_precision():
            outputs = compiled(*call)
        # read when asked: the program runs (JAX dispatches it asynchronously) while the caller
        # computes the hand derivative
        return Pending(wait=lambda: oracles.to_numpy(outputs))


LOCAL_PROGRAMS = ProgramCache()
"""The programs compiled in this process."""


__all__ = ["CACHED_PROGRAMS", "LOCAL_PROGRAMS", "LocalRunner", "Pending", "Program", "ProgramCache", "build",
           "dumps", "fingerprint", "program"]
