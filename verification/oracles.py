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

Each program runs where its lane's precision is native (:mod:`verification.lanes`), with the
matmul precision pinned to ``highest`` (TF32 on a GPU must not pass for a wrong gradient); the
compiled programs are cached by :mod:`verification.programs`.  Nothing here changes a global
JAX setting.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax import lax

from verification.noise import rounding_noise

FORMS: tuple[str, ...] = ("jacobian", "jvp", "vjp", "hessian", "hvp")
DIRECTIONAL: frozenset[str] = frozenset({"jvp", "vjp", "hvp"})


def oracle_names(form: str, scalar_output: bool) -> tuple[str, ...]:
    """The oracles of ``form``; ``jax.grad`` joins the Jacobian's only for a scalar ``f``."""
    return {
        "jacobian": ("jacfwd", "jacrev", "grad") if scalar_output else ("jacfwd", "jacrev"),
        "jvp": ("jvp",),
        "vjp": ("vjp",),
        "hessian": ("hessian", "jacrev(jacfwd)"),
        "hvp": ("fwd-over-rev", "rev-over-rev"),
    }[form]


def with_static(dynamic: tuple, static: dict[int, object], nargs: int) -> tuple:
    """The full argument tuple: the static arguments in their places among the dynamic ones."""
    it = iter(dynamic)
    return tuple(static[i] if i in static else next(it) for i in range(nargs))


def oracle_functions(f: Callable, wrt: tuple[int, ...], form: str, scalar_output: bool,
                     wrt_is_tuple: bool | None = None) -> dict[str, Callable]:
    """Each oracle as ``oracle(args)(directions) -> pytree``, structured as JAX structures it:
    ``jax.jacfwd(f, argnums=wrt)`` for the Jacobian (a tuple level only for a tuple ``wrt``), the
    structure of ``args[wrt]`` for a vjp or hvp (a tuple of them for a tuple ``wrt``), of
    ``f``'s output for a jvp.  ``directions`` is a tuple: the cotangent for a vjp, one tangent
    per ``wrt`` argument for a jvp, the vector for an hvp.

    ``oracle(args)`` does at the point what does not depend on the directions (``f``'s forward
    pass and the residuals its derivative keeps: ``jax.vjp``'s pullback, ``jax.linearize``'s
    linear map, which JAX's own ``jax.vjp`` and ``jax.jvp`` compute the same way) and returns the
    function of the directions; several directions at one point then share that work."""
    tupled = len(wrt) > 1 if wrt_is_tuple is None else wrt_is_tuple
    argnums: int | tuple[int, ...] = tuple(range(len(wrt))) if tupled else 0

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

    def vjp(a):
        pullback = jax.vjp(of_wrt(a), *primals(a))[1]

        def at(d):
            out = pullback(d[0])
            return out if tupled else out[0]
        return at

    def jvp(a):
        linear = jax.linearize(of_wrt(a), *primals(a))[1]
        return lambda d: linear(*d)

    out: dict[str, Callable]
    if form == "jacobian":
        out = {
            "jacfwd": lambda a: _constant(jax.jacfwd(of_wrt(a), argnums=argnums)(*primals(a))),
            "jacrev": lambda a: _constant(jax.jacrev(of_wrt(a), argnums=argnums)(*primals(a))),
        }
        if scalar_output:
            out["grad"] = lambda a: _constant(jax.grad(of_wrt(a), argnums=argnums)(*primals(a)))
    elif form == "jvp":
        out = {"jvp": jvp}
    elif form == "vjp":
        out = {"vjp": vjp}
    elif form == "hessian":
        out = {
            "hessian": lambda a: _constant(jax.hessian(of_wrt(a))(*primals(a))),
            "jacrev(jacfwd)": lambda a: _constant(jax.jacrev(jax.jacfwd(of_wrt(a)))(*primals(a))),
        }
    else:  # hvp
        def fwd_over_rev(a):
            linear = jax.linearize(jax.grad(of_wrt(a)), *primals(a))[1]
            return lambda d: linear(*d)

        def rev_over_rev(a):  # the gradient of <∇f(x), v>: reverse mode through the gradient
            pullback = jax.vjp(jax.grad(of_wrt(a)), *primals(a))[1]
            return lambda d: pullback(d[0])[0]

        out = {"fwd-over-rev": fwd_over_rev, "rev-over-rev": rev_over_rev}
    return out


_TRACES = {"count": 0}

CPU_COMPILE_OPTIONS = {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False,
                       "xla_cpu_parallel_codegen_split_count": 1}
"""XLA options for the oracle programs on a CPU when they run on little data: compiling then
costs far more than running, and without LLVM's optimisation passes and with the classic loop
emitter a program compiles several times faster; generated as one LLVM module rather than split
for parallel code generation, such a small program compiles about a fifth faster again (the
split only pays on a large module with idle cores).  Its results can differ from the default
configuration's in the last bits (reductions may add in another order); the tolerance measures
rounding from the terms of each sum, not from one order, so it covers either.  Options this
jaxlib does not know are left out."""

LARGE_INPUT = 1 << 16
"""Entries of input (over the whole batch) from which a program is compiled with XLA's default
optimisation: running it then costs more than compiling it well."""


@functools.cache
def _compile_options() -> dict:
    """:data:`CPU_COMPILE_OPTIONS` where the default backend is a CPU that accepts them, else none."""
    if jax.default_backend() != "cpu":
        return {}
    if _compiles_with(CPU_COMPILE_OPTIONS):
        return dict(CPU_COMPILE_OPTIONS)
    accepted: dict = {}  # an older or newer jaxlib without some of them: the others
    for name, value in CPU_COMPILE_OPTIONS.items():
        if _compiles_with({**accepted, name: value}):
            accepted[name] = value
    return accepted


def _compiles_with(options: dict) -> bool:
    """Whether this jaxlib compiles a program with ``options``."""
    try:
        jax.jit(lambda x: x + 1, compiler_options=options)(np.float32(0))
    except Exception:
        return False
    return True


def _jit(run: Callable) -> Callable:
    """``run`` jitted twice, compiled on first use of each: quickly for small inputs, optimised
    for large ones (:data:`LARGE_INPUT`)."""
    quick = jax.jit(run, compiler_options=_compile_options() or None)
    optimised = jax.jit(run)

    def call(*args):
        size = sum(math.prod(np.shape(leaf)) for leaf in jax.tree.leaves(args))
        return (optimised if size >= LARGE_INPUT else quick)(*args)

    return call


def compilation_count() -> int:
    """How many oracle programs have been traced and compiled for this process's checks (each is
    one (function, form, shape, dtype) signature; a new example of a known shape compiles
    nothing), including those compiled for it in a lane's helper process."""
    return _TRACES["count"]


def count_compilations(count: int) -> None:
    """Add ``count`` programs compiled on this process's behalf elsewhere (a lane's helper)."""
    _TRACES["count"] += count


def _constant(value: Any) -> Callable:
    """A function of the directions that does not depend on them."""
    return lambda d: value


def primal_function(f: Callable, wrt: tuple[int, ...], form: str, *, through_derivative: bool) -> Callable:
    """``value(args)(directions)``, shaped like an oracle (:func:`oracle_functions`): ``f(*args)``,
    or with ``through_derivative`` the primal output that ``jax.vjp``/``jax.linearize`` return
    with the derivative (a custom rule's own ``fwd`` or jvp rule computes it, not ``f``'s body)."""
    if not through_derivative or form not in ("vjp", "jvp"):
        return lambda a: _constant(f(*a))

    def of_wrt(args):
        def g(*values):
            full = list(args)
            for i, v in zip(wrt, values, strict=True):
                full[i] = v
            return f(*full)
        return g

    derivative = jax.vjp if form == "vjp" else jax.linearize
    return lambda a: _constant(derivative(of_wrt(a), *(a[i] for i in wrt))[0])


def over_rows(fun: Callable, rows, *, shared=()):
    """``fun`` of each row of ``rows`` (a pytree with a leading row axis), stacked: side by side
    (``jax.vmap``) for small rows, one after another (``lax.map``) from :data:`LARGE_INPUT`
    entries a row (counting the entries of ``shared``, what every row reads), where side by side
    would hold every row's intermediates in memory at once, and XLA's CPU compiler would fuse
    the computation of what the rows share into each row's loop, running it once per row."""
    entries = sum(math.prod(np.shape(leaf)[1:]) for leaf in jax.tree.leaves(rows)) + sum(
        math.prod(np.shape(leaf)) for leaf in jax.tree.leaves(shared))
    return jax.vmap(fun)(rows) if entries < LARGE_INPUT else lax.map(fun, rows)


def batched_oracles(f: Callable, *, wrt: tuple[int, ...], form: str, static: dict[int, object],
                    nargs: int, scalar_output: bool, wrt_is_tuple: bool | None = None,
                    primal_through_derivative: bool = False, value: bool = True,
                    one_point: bool = False) -> Callable:
    """A jitted ``run(seed, dynamic_args, directions)`` over a leading batch axis.

    ``dynamic_args`` holds the non-static arguments in order (pytrees), each leaf stacked along
    axis 0; ``directions`` is a tuple of stacked direction pytrees (empty for the
    non-directional forms).  Returns ``{"value": (leaves, noises), name: (leaves, noises), ...}``:
    ``f``'s value (:func:`primal_function`; empty without ``value``, when nothing reads it) and
    each oracle as their flattened leaves, each with its rounding noise.

    ``one_point``: ``dynamic_args`` is one point, without the batch axis, and only the directions
    are stacked.  The point's own computation (``f``'s forward pass and the residuals its
    derivative keeps) is done once for all of them (:func:`oracle_functions`), and each noise
    sample perturbs it once; the directions then run as rows (:func:`over_rows`).
    """
    oracles = oracle_functions(f, wrt, form, scalar_output, wrt_is_tuple)
    primal = primal_function(f, wrt, form, through_derivative=primal_through_derivative)

    def flat(pair):
        value, noise = pair
        return jax.tree.leaves(value), jax.tree.leaves(noise)

    def at(fun):
        """``fun(args)(direction)`` on the dynamic arguments; with ``one_point``, on each direction."""
        def call(a, dd):
            at_point = fun(with_static(a, static, nargs))
            return over_rows(at_point, dd, shared=a) if one_point else at_point(dd)
        return call

    def one(seed, dynamic, direction):
        out = {"value": flat(rounding_noise(at(primal))(seed, dynamic, direction)) if value else ([], [])}
        # The noise is measured on the first oracle and lent to the others: they compute the same
        # entries from the same terms in another order, so their rounding is of the same size,
        # and measuring it once keeps the compiled program (and its compile time) small.
        first, *others = oracles
        out[first] = flat(rounding_noise(at(oracles[first]))(seed, dynamic, direction))
        for name in others:
            out[name] = (jax.tree.leaves(at(oracles[name])(dynamic, direction)), out[first][1])
        return out

    def run(seed, dynamic, directions):
        _TRACES["count"] += 1
        if one_point:
            return one(seed, dynamic, directions)
        return over_rows(lambda row: one(seed, *row), (dynamic, directions))

    return _jit(run)


def plain_oracle(f: Callable, *, wrt: tuple[int, ...], form: str, name: str, static: dict[int, object],
                 nargs: int, scalar_output: bool, wrt_is_tuple: bool | None = None) -> Callable:
    """One oracle without noise, jitted and vmapped like :func:`batched_oracles`, returning its
    flattened leaves (for probes)."""
    oracle = oracle_functions(f, wrt, form, scalar_output, wrt_is_tuple)[name]

    def run(dynamic, directions):
        _TRACES["count"] += 1
        return jax.vmap(lambda a, d: jax.tree.leaves(oracle(with_static(a, static, nargs))(d)))(dynamic, directions)

    return _jit(run)


BUILDERS: dict[str, Callable[..., Callable]] = {"batched_oracles": batched_oracles, "plain_oracle": plain_oracle}
"""The programs a check builds, by name (the name travels to a lane's helper process)."""


def to_numpy(tree):
    """Every leaf as a NumPy array."""
    return jax.tree.map(np.asarray, tree)
