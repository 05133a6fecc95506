r"""The JAX oracles of a derivative, and the rounding noise of each.

For a function ``f`` written with ``jax.numpy``, the argument(s) ``wrt`` and a form:

========== ======================================================= ==========================
form       what the hand derivative returns                        oracles
========== ======================================================= ==========================
jacobian   ``f(*args).shape + args[wrt].shape`` (numerator layout)  ``jax.jacfwd``, ``jax.jacrev``,
                                                                   ``jax.grad`` (scalar ``f``)
jvp        $J\,t$ for a tangent $t$: ``f``'s output shape           ``jax.jvp``
vjp        $u^T J$ for a cotangent $u$: ``args[wrt]``'s shape       ``jax.vjp``
hessian    ``out.shape + in.shape + in.shape``                     ``jax.hessian`` (forward over
                                                                   reverse), ``jacrev(jacfwd)``
hvp        $H\,v$ for a direction $v$: ``args[wrt]``'s shape        forward over reverse,
                                                                   reverse over reverse
========== ======================================================= ==========================

One function is compiled with ``jax.jit`` per (f, wrt, form, static arguments) and cached;
it is vmapped over a batch of points, so many examples cost one dispatch, and it recompiles
only for a new shape or dtype.  With the oracles it returns their rounding noise
(:mod:`verification.noise`, measured on the first oracle of the form and lent to the others),
from which the comparison derives its tolerance.

The precision of a check is a *lane*: float64 runs inside a scoped ``jax.enable_x64(True)``,
float32 inside ``jax.enable_x64(False)``, both with the matmul precision pinned to
``highest`` (TF32 on a GPU must not pass for a wrong gradient).  A user's global JAX
configuration is never changed.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from verification.noise import rounding_noise

Form = Literal["jacobian", "jvp", "vjp", "hessian", "hvp"]
FORMS: tuple[str, ...] = ("jacobian", "jvp", "vjp", "hessian", "hvp")
DIRECTIONAL: frozenset[str] = frozenset({"jvp", "vjp", "hvp"})
DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}


@contextlib.contextmanager
def lane(dtype) -> Iterator[None]:
    """Run JAX in the precision of ``dtype`` (float64 or float32), scoped to the block.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> with lane(np.float64):
        ...     jnp.zeros(1).dtype
        dtype('float64')
    """
    dtype = np.dtype(dtype)
    if dtype not in DTYPES.values():
        raise ValueError(f"dtype: expected float64 or float32, got {dtype}")
    x64 = dtype == np.float64
    if _LAST_X64.get("value", bool(jax.config.jax_enable_x64)) != x64:
        # JAX caches the conversion of a closed-over NumPy constant by the array's identity,
        # whatever the x64 setting: traced again under the other setting, the constant keeps the
        # first setting's dtype (and its rounded values).  Entering a lane whose setting differs
        # from the last one traced under therefore starts from empty caches; the cost is a
        # recompilation of what runs next.
        jax.clear_caches()
    _LAST_X64["value"] = x64
    with jax.enable_x64(x64), jax.default_matmul_precision("highest"):
        yield


_LAST_X64: dict[str, bool] = {}


def oracle_names(form: str, scalar_output: bool) -> tuple[str, ...]:
    """The oracles of ``form``; ``jax.grad`` joins the Jacobian's only for a scalar ``f``."""
    return {
        "jacobian": ("jacfwd", "jacrev", "grad") if scalar_output else ("jacfwd", "jacrev"),
        "jvp": ("jvp",),
        "vjp": ("vjp",),
        "hessian": ("hessian", "jacrev(jacfwd)"),
        "hvp": ("fwd-over-rev", "rev-over-rev"),
    }[form]


def _oracles(f: Callable, wrt: tuple[int, ...], form: str, scalar_output: bool) -> dict[str, Callable]:
    """Each oracle as ``oracle(args, direction) -> tuple of arrays`` (one per ``wrt`` argument,
    or one for the forms whose result is a single array)."""

    def at(args, values):
        """``args`` with the ``wrt`` entries replaced by ``values``."""
        args = list(args)
        for i, v in zip(wrt, values, strict=True):
            args[i] = v
        return tuple(args)

    def of_wrt(args):
        return lambda *values: f(*at(args, values))

    def primals(args):
        return tuple(args[i] for i in wrt)

    def tupled(fun):
        def run(args, direction):
            out = fun(args, direction)
            return out if isinstance(out, tuple) else (out,)
        return run

    argnums = tuple(range(len(wrt)))
    if form == "jacobian":
        out = {
            "jacfwd": lambda a, d: jax.jacfwd(of_wrt(a), argnums=argnums)(*primals(a)),
            "jacrev": lambda a, d: jax.jacrev(of_wrt(a), argnums=argnums)(*primals(a)),
        }
        if scalar_output:
            out["grad"] = lambda a, d: jax.grad(of_wrt(a), argnums=argnums)(*primals(a))
    elif form == "jvp":
        out = {"jvp": lambda a, d: jax.jvp(of_wrt(a), primals(a), d)[1]}
    elif form == "vjp":
        out = {"vjp": lambda a, d: jax.vjp(of_wrt(a), *primals(a))[1](d)}
    elif form == "hessian":
        out = {
            "hessian": lambda a, d: jax.hessian(of_wrt(a))(*primals(a)),
            "jacrev(jacfwd)": lambda a, d: jax.jacrev(jax.jacfwd(of_wrt(a)))(*primals(a)),
        }
    else:  # hvp
        def fwd_over_rev(a, d):
            return jax.jvp(jax.grad(of_wrt(a)), primals(a), d)[1]

        def rev_over_rev(a, d):
            return jax.grad(lambda *x: jnp.vdot(jax.grad(of_wrt(a))(*x), d[0]))(*primals(a))

        out = {"fwd-over-rev": fwd_over_rev, "rev-over-rev": rev_over_rev}
    return {name: tupled(fun) for name, fun in out.items()}


_TRACES = {"count": 0}
_COMPILED: dict[tuple, Callable] = {}

CPU_COMPILE_OPTIONS = {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False}
"""XLA options for the oracle programs on a CPU.  An oracle program runs on a few dozen points,
so compiling it costs far more than running it: without LLVM's optimisation passes and with the
classic loop emitter it compiles about 2.5 times faster.  Its results can differ from the default
configuration's in the last bits (reductions may add in another order); the tolerance measures
rounding from the terms of each sum, not from one order, so it covers either.  Options this
jaxlib does not know are left out."""


@functools.cache
def _compile_options() -> dict:
    """:data:`CPU_COMPILE_OPTIONS` where the default backend is a CPU that accepts them, else none."""
    if jax.default_backend() != "cpu":
        return {}
    try:
        jax.jit(lambda x: x + 1, compiler_options=CPU_COMPILE_OPTIONS)(np.float32(0))
    except Exception:  # an older or newer jaxlib without these options: its defaults
        return {}
    return CPU_COMPILE_OPTIONS


def _jit(run: Callable) -> Callable:
    return jax.jit(run, compiler_options=_compile_options() or None)


def compilation_count() -> int:
    """How many oracle programs have been traced and compiled in this process (each is one
    (function, form, shape, dtype) signature; a new example of a known shape compiles nothing)."""
    return _TRACES["count"]


def batched_oracles(f: Callable, *, wrt: tuple[int, ...], form: str, static: dict[int, object],
                    nargs: int, scalar_output: bool, dtype) -> Callable:
    """A jitted ``run(seed, dynamic_args, directions)`` over a leading batch axis.

    ``dynamic_args`` holds the non-static arguments in order, each stacked along axis 0;
    ``directions`` is a tuple of stacked direction arrays (empty for the non-directional
    forms).  Returns ``{"value": (value, noise), name: (parts, noises), ...}``.
    """
    # one jitted function per lane: a trace made under one x64 setting must never be reused under
    # the other (closed-over NumPy constants would keep the first lane's dtype)
    key = (f, wrt, form, tuple(sorted(static.items())), nargs, scalar_output, np.dtype(dtype))
    if key in _COMPILED:
        return _COMPILED[key]
    oracles = _oracles(f, wrt, form, scalar_output)

    def full(dynamic):
        it = iter(dynamic)
        return tuple(static[i] if i in static else next(it) for i in range(nargs))

    def one(seed, dynamic, direction):
        out = {"value": rounding_noise(lambda *a: f(*full(a)))(seed, *dynamic)}
        d = direction[0] if form == "vjp" else direction
        # The noise is measured on the first oracle and lent to the others: they compute the same
        # entries from the same terms in another order, so their rounding is of the same size,
        # and measuring it once keeps the compiled program (and its compile time) small.
        first, *others = oracles
        out[first] = rounding_noise(lambda a, dd: oracles[first](full(a), dd))(seed, dynamic, d)
        for name in others:
            out[name] = (oracles[name](full(dynamic), d), out[first][1])
        return out

    def run(seed, dynamic, directions):
        _TRACES["count"] += 1
        return jax.vmap(one, in_axes=(None, 0, 0))(seed, dynamic, directions)

    _COMPILED[key] = _jit(run)
    return _COMPILED[key]


def plain_oracle(f: Callable, *, wrt: tuple[int, ...], form: str, name: str, static: dict[int, object],
                 nargs: int, scalar_output: bool, dtype) -> Callable:
    """One oracle without noise, jitted and vmapped like :func:`batched_oracles` (for probes)."""
    key = ("plain", name, f, wrt, form, tuple(sorted(static.items())), nargs, scalar_output, np.dtype(dtype))
    if key in _COMPILED:
        return _COMPILED[key]
    oracle = _oracles(f, wrt, form, scalar_output)[name]

    def one(dynamic, direction):
        it = iter(dynamic)
        args = tuple(static[i] if i in static else next(it) for i in range(nargs))
        return oracle(args, direction[0] if form == "vjp" else direction)

    def run(dynamic, directions):
        _TRACES["count"] += 1
        return jax.vmap(one)(dynamic, directions)

    _COMPILED[key] = _jit(run)
    return _COMPILED[key]


def to_numpy(tree):
    """Every leaf as a NumPy array."""
    return jax.tree.map(np.asarray, tree)
