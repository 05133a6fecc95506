r"""How much of a JAX result is rounding: perturbed re-evaluation (Monte Carlo arithmetic).

A derivative computed in floating point is off from the true value by its rounding error,
and that error can be far larger than $\epsilon\,|\text{value}|$: where terms cancel
($1 - \tanh^2 z$ at $z = 18$, a loss gradient that is a difference of large terms) the
error is $\epsilon$ times the *terms*, not the result.  A fixed tolerance either fails a
correct derivative there or lets a wrong one through elsewhere.

So the tolerance is measured from the computation itself.  The function's jaxpr is
re-evaluated with every floating-point operation's result perturbed the way rounding
perturbs it (the standard model $\mathrm{fl}(a \circ b) = (a \circ b)(1 + \delta)$), by
$r \cdot \text{size}$ with $r$ uniform in $[-1, 1]$ (a complex result: real and imaginary
parts independently) and $u = \epsilon$ (``ULP``: the unit roundoff $\epsilon/2$ would itself
be rounded away):

- an elementary operation (``add``, ``mul``, ``div``, ``sqrt``, ..., real or complex):
  $u\,|\text{result}|$;
- a library function (``exp``, ``log``, ``tanh``, ``logistic``, ``sin``, ...):
  ``TRANSCENDENTAL_ULPS`` $\cdot\,u\,|\text{result}|$, since XLA's implementations are
  accurate to a few ulps, not to half of one; and its argument perturbed by one ulp first,
  because an implementation's argument reduction errs like a rounded argument (``exp(-513)``
  is off by about $513\,\epsilon$ relative, the condition number of ``exp`` there);
- an accumulation (:mod:`verification.accumulation`: ``dot_general``, convolutions,
  ``reduce_sum``, ``cumsum``, ``reduce_window`` sums, ``select_and_scatter_add``, scatter-adds
  and segment sums): the rounding of adding $N$ terms in an unknown order, from the terms'
  sum, their sum of squares and their count; cumulative products, ``cumlogsumexp`` and FFTs
  by their own models there;
- a matrix factorisation or triangular solve (``lu``, ``triangular_solve``, ``cholesky``, ...):
  $u\,n\,\max|\text{result}|$, since their backward error is norm-wise, not entry-wise; the
  later operations amplify it by the matrix's condition number, as rounding does;
- data movement, comparisons, ``max``/``min``, ``neg``, ``abs``, ``conj``, ``select``, the
  selection of max pooling's forward derivative: exact, unperturbed;
- discrete decisions (comparisons, ``sign``, ``floor``, ``argmax``, which entry of a pooling
  window is the largest, a loop's condition, a ``cond``'s branch): taken from an exact
  evaluation run in step, so a perturbation never flips a branch.

Each perturbation propagates through the rest of the computation exactly as a rounding
error would, so cancellation downstream amplifies it by the same factor.  The spread of
``samples`` perturbed results around the unperturbed one, entry by entry, estimates the
rounding noise of that entry.  Calls into ``jit``-ed functions and custom-derivative
functions are followed into their bodies, and so are loops: a ``scan`` (an RNN through
time), a ``fori_loop`` or ``while_loop`` and a ``cond`` run their bodies perturbed, with fresh
perturbations at every iteration, so a loop gets the noise of the same steps written out.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jcore

from verification.accumulation import ACCUMULATIONS, accumulation_size, inexact, real_dtype, scalar
from verification.perturbations import DEPTH, ITERATION, Plan, hashed_uniform, index_bits, mix, u32

SAMPLES = 8
"""Perturbed re-evaluations per estimate.  The estimate is their largest deviation; with 8,
the chance that all of them land in the smallest quarter of the range is below 2e-5."""

SEQUENTIAL_FROM = 1 << 16
"""Entries of input from which the samples are evaluated one after another rather than side by
side: the same values, with the memory of one perturbed evaluation instead of ``samples``."""

ULP = 1.0
"""The size of one perturbation in units of ε|x|.  A rounding moves a result by at most half a
spacing, but a perturbation that small is itself rounded away when it is added; one ε|x| moves
the result to a neighbouring float about half the time, as the rounding it stands for does."""

TRANSCENDENTAL_ULPS = 8
"""Accuracy assumed of XLA's library functions, in ulps: its ``tanh`` errs by up to 6 ulps over
[-20, 20] in float64, ``exp`` and ``logistic`` by up to 2, so 8 bounds them with a margin."""

_EXACT = frozenset({
    "neg", "abs", "max", "min", "sign", "floor", "ceil", "round", "select_n", "clamp",
    "reshape", "broadcast_in_dim", "transpose", "squeeze", "expand_dims", "rev", "slice",
    "dynamic_slice", "dynamic_update_slice", "concatenate", "pad", "gather", "scatter", "split", "copy",
    "copy_p", "reduce_max", "reduce_min", "argmax", "argmin", "sort", "stop_gradient",
    "iota", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "xor", "is_finite",
    "real", "imag", "conj", "complex", "nextafter", "reduce_precision", "device_put", "optimization_barrier",
    "cummax", "cummin", "reduce_window_max", "reduce_window_min", "select_and_gather_add",
})
_TRANSCENDENTAL = frozenset({
    "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "pow", "erf", "erfc",
    "erf_inv", "lgamma", "digamma", "rsqrt", "cbrt", "igamma", "igammac", "bessel_i0e",
    "bessel_i1e", "cumlogsumexp",
})
_DISCRETE = frozenset({"sign", "floor", "ceil", "round", "argmax", "argmin", "eq", "ne", "lt", "le", "gt", "ge",
                       "is_finite"})
_SELECTING = {"select_and_scatter_add": 1, "select_and_gather_add": 1}
"""Primitives that pick entries by comparing one operand (its position): the picking is a
discrete decision, taken on the exact evaluation's operand."""
_LINEAR_ALGEBRA = frozenset({"lu", "triangular_solve", "cholesky", "qr", "householder_product", "eigh", "eig",
                             "svd", "schur", "hessenberg", "tridiagonal", "tridiagonal_solve", "lu_pivots_to_permutation"})
_CALLS = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
          "custom_vjp_call_jaxpr": "fun_jaxpr", "remat": "jaxpr", "checkpoint": "jaxpr"}
_LOOPS = frozenset({"scan", "while", "cond"})


class _Perturber:
    """One perturbed evaluation.  Written with ``lax`` primitives rather than ``jax.numpy`` (whose
    functions are jitted wrappers): tracing it is then cheap.  ``count`` numbers the perturbed
    operations; a loop body runs in a child whose key term moves with the iteration.  ``plan``
    holds the numbers of the operations known in advance (:mod:`verification.perturbations`)."""

    def __init__(self, key, exact: bool = True, *, count: int = 0, key_term: Callable | None = None,
                 plan: Plan | None = None):
        self.key, self.count, self.exact, self.plan = key, count, exact, plan
        self._parent_key_term = key_term
        self._cache: dict[tuple, object] = {}  # constants and per-shape terms, traced once each

    def _index_bits(self, shape):
        """Each entry's flat index as uint32, times an odd constant (one traced array per shape)."""
        key = ("index", shape)
        if key not in self._cache:
            self._cache[key] = index_bits(shape)
        return self._cache[key]

    def _key_term(self):
        if "key" not in self._cache:
            self._cache["key"] = self._fresh_key_term()
        return self._cache["key"]

    def _fresh_key_term(self):
        """The sample key's (and loop iteration's) bits of the hash, traced anew (a loop body's trace
        must not read, or leave, a value cached in its parent's trace)."""
        if self._parent_key_term is not None:
            return self._parent_key_term()
        return mix(lax.convert_element_type(self.key, jnp.uint32))

    def _real_uniform(self, shape, dtype):
        """Uniform in [-1, 1] per entry: a 32-bit integer hash (a few integer operations per entry,
        which XLA fuses into the perturbed operation) of the entry's index, the operation's
        position and the sample's key; its top 24 bits as the fraction."""
        self.count += 1
        planned = self.plan.draw(self.count, shape, dtype, self._key_term) if self.plan is not None else None
        if planned is not None:
            return planned
        return hashed_uniform(self._index_bits(shape), self.count, self._key_term(), dtype)

    def noise(self, like, size):
        """``r · size`` per entry of ``like`` (``size`` real, of ``like``'s shape), ``r`` pseudo-random
        in [-1, 1] (complex ``like``: real and imaginary parts independent): a cheap hash of the
        entry's index, the operation's position and the sample, not ``jax.random`` (whose
        generator would be compiled once per perturbed operation)."""
        shape, dtype = tuple(np.shape(like)), jnp.result_type(like)
        real = real_dtype(dtype)
        if jnp.issubdtype(dtype, jnp.complexfloating):
            return lax.complex(lax.mul(self._real_uniform(shape, real), size), lax.mul(self._real_uniform(shape, real), size))
        return lax.mul(self._real_uniform(shape, real), size)

    def relative(self, x):
        """``x`` with a relative perturbation of up to one ulp per entry."""
        real = real_dtype(jnp.result_type(x))
        return lax.add(x, self.noise(x, lax.mul(lax.abs(x), scalar(ULP * float(jnp.finfo(real).eps), real))))

    def perturb(self, eqn, invals, outvals):
        name = eqn.primitive.name
        if name in _EXACT:
            return outvals
        perturbed = []
        for out in outvals:
            if not inexact(out):
                perturbed.append(out)
                continue
            shape, real = tuple(np.shape(out)), real_dtype(jnp.result_type(out))
            u = ULP * float(jnp.finfo(real).eps)
            if name in ACCUMULATIONS and len(outvals) == 1:
                size = accumulation_size(eqn, invals, out, u, library_ulps=TRANSCENDENTAL_ULPS)
            elif name in _LINEAR_ALGEBRA:
                magnitude = lax.broadcast_in_dim(lax.reduce_max(lax.abs(out), tuple(range(len(shape)))), shape, ())
                size = lax.mul(magnitude, scalar(u * max(shape[-1] if shape else 1, 1), real))
            else:
                scale = u * TRANSCENDENTAL_ULPS if name in _TRANSCENDENTAL else u
                size = lax.mul(lax.abs(out), scalar(scale, real))
            perturbed.append(lax.add(out, self.noise(out, size)))
        return perturbed

    def run(self, jaxpr, consts, exact_args, args):
        """Evaluate ``jaxpr`` twice in step: exactly, and perturbed.  Discrete results (comparisons,
        ``sign``, ``floor``, ...) are taken from the exact evaluation, so a perturbation never
        flips a branch: at a ReLU tie the noise is that of the branch JAX takes, not a jump."""
        exact, perturbed = {}, {}

        def read(env, v):
            return v.val if isinstance(v, jcore.Literal) else env[v]

        consts = _canonical(jaxpr, consts)
        for env, values in ((exact, exact_args), (perturbed, args)):
            for var, val in zip(jaxpr.constvars, consts, strict=True):
                env[var] = val
            for var, val in zip(jaxpr.invars, values, strict=True):
                env[var] = val
        for eqn in jaxpr.eqns:
            exact_in = [read(exact, v) for v in eqn.invars]
            invals = [read(perturbed, v) for v in eqn.invars]
            sub = _CALLS.get(eqn.primitive.name)
            closed = eqn.params.get(sub) if sub else None
            if closed is not None and hasattr(closed, "jaxpr"):
                exact_out, outvals = self.run(closed.jaxpr, closed.consts, exact_in, invals)
            elif eqn.primitive.name in _LOOPS:
                exact_out, outvals = getattr(self, f"_{eqn.primitive.name}")(eqn.params, exact_in, invals)
            else:
                exact_out, outvals = self._primitive(eqn, exact_in, invals)
            for var, e, val in zip(eqn.outvars, exact_out, outvals, strict=True):
                if not isinstance(var, jcore.DropVar):
                    exact[var], perturbed[var] = e, val
        return [read(exact, v) for v in jaxpr.outvars], [read(perturbed, v) for v in jaxpr.outvars]

    def _primitive(self, eqn, exact_in, invals):
        params = eqn.primitive.get_bind_params(eqn.params)
        name = eqn.primitive.name
        if self.exact:
            exact_out = eqn.primitive.bind(*exact_in, **params)
            exact_out = exact_out if eqn.primitive.multiple_results else [exact_out]
        if name in _DISCRETE:
            return exact_out, exact_out
        if name in _SELECTING and self.exact:  # which entry is picked: the exact evaluation's choice
            invals = [exact_in[i] if i == _SELECTING[name] else v for i, v in enumerate(invals)]
        if name in _TRANSCENDENTAL:  # the argument's own rounding, amplified by f's condition
            invals = [self.relative(v) if inexact(v) else v for v in invals]
        outvals = eqn.primitive.bind(*invals, **params)
        outvals = outvals if eqn.primitive.multiple_results else [outvals]
        if self.exact:
            outvals = [o if inexact(o) else e for o, e in zip(outvals, exact_out, strict=True)]
        else:  # nothing discrete downstream reads the exact values: they are not computed
            exact_out = outvals
        return exact_out, self.perturb(eqn, invals, outvals)

    # -- loops and branches: their bodies, perturbed afresh at every iteration -------------------
    def _child(self, iteration, depth: int) -> _Perturber:
        """A perturber for a body, numbering on from this one, whose key term moves with ``iteration``."""
        def key_term():
            step = lax.add(lax.convert_element_type(iteration, jnp.uint32), u32(1))
            moved = lax.add(lax.mul(step, u32(ITERATION)), u32(depth * DEPTH))
            return mix(lax.bitwise_xor(self._fresh_key_term(), moved))
        return _Perturber(self.key, self.exact, count=self.count, key_term=key_term)

    def _body(self, closed, iteration, exact_args, args, *, depth: int = 1):
        """Run ``closed`` (a body) in a child perturber; returns its outputs and the child's count."""
        child = self._child(iteration, depth)
        exact_out, out = child.run(closed.jaxpr, closed.consts, exact_args, args)
        return exact_out, out, child.count

    def _scan(self, params, exact_in, invals):
        nconsts, ncarry = params["num_consts"], params["num_carry"]
        body, counts = params["jaxpr"], []

        def split(values):
            return values[:nconsts], values[nconsts: nconsts + ncarry], values[nconsts + ncarry:]

        (e_consts, e_carry, e_xs), (p_consts, p_carry, p_xs) = split(exact_in), split(invals)

        def step(carry, xs):
            i, ec, pc = carry
            ex, px = xs
            eo, po, count = self._body(body, i, [*e_consts, *(ec if self.exact else pc), *(ex if self.exact else px)],
                                       [*p_consts, *pc, *px])
            counts.append(count)
            return (lax.add(i, jnp.int32(1)), eo[:ncarry] if self.exact else [], po[:ncarry]), (eo[ncarry:] if self.exact else [], po[ncarry:])

        init = (jnp.int32(0), list(e_carry) if self.exact else [], list(p_carry))
        (_, ec, pc), (ey, py) = lax.scan(step, init, (list(e_xs) if self.exact else [], list(p_xs)),
                                         length=params["length"], reverse=params["reverse"], unroll=params["unroll"])
        self.count = max(counts)
        return ([*ec, *ey] if self.exact else [*pc, *py]), [*pc, *py]

    def _while(self, params, exact_in, invals):
        nc, nb = params["cond_nconsts"], params["body_nconsts"]
        cond, body, counts = params["cond_jaxpr"], params["body_jaxpr"], []
        e_cond, e_body, e_carry = exact_in[:nc], exact_in[nc: nc + nb], exact_in[nc + nb:]
        p_body, p_carry = invals[nc: nc + nb], invals[nc + nb:]

        def keep_going(state):  # the loop's condition is a discrete decision: on the exact carry
            _, ec, pc = state
            return jcore.jaxpr_as_fun(cond)(*e_cond, *(ec if self.exact else pc))[0]

        def step(state):
            i, ec, pc = state
            eo, po, count = self._body(body, i, [*e_body, *(ec if self.exact else pc)], [*p_body, *pc])
            counts.append(count)
            return lax.add(i, jnp.int32(1)), (eo if self.exact else []), po

        _, ec, pc = lax.while_loop(keep_going, step, (jnp.int32(0), list(e_carry) if self.exact else [], list(p_carry)))
        self.count = max(counts)
        return (ec if self.exact else pc), pc

    def _cond(self, params, exact_in, invals):
        index, e_ops, p_ops = exact_in[0], exact_in[1:], invals[1:]
        counts = []

        def branch(closed):
            def run(operands):
                e, p = operands
                eo, po, count = self._body(closed, jnp.int32(0), e if self.exact else p, p, depth=0)
                counts.append(count)
                return (eo if self.exact else []), po
            return run

        eo, po = lax.switch(index, [branch(b) for b in params["branches"]], (list(e_ops) if self.exact else [], list(p_ops)))
        self.count = max(counts)
        return (eo if self.exact else po), po


def _has_discrete(jaxpr) -> bool:
    """Whether ``jaxpr`` (or a jaxpr it calls) takes a discrete decision."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in _DISCRETE or eqn.primitive.name in _SELECTING:
            return True
        if any(_has_discrete(sub) for sub in jcore.jaxprs_in_params(eqn.params)):
            return True
    return False


def _planned(jaxpr, count: int, draws: list) -> int:
    """The draws of :class:`_Perturber` through ``jaxpr`` from position ``count`` on, as
    ``(position, shape, real dtype)`` appended to ``draws``, in the order it makes them (a
    transcendental's inexact operands, then each inexact result, two for a complex one); returns
    the position after.  A loop's or branch's body draws in a child perturber of its own: only its
    count moves this one's on.  The plan only saves work: a draw it misses is made on its own."""
    def add(var):
        nonlocal count
        if hasattr(var.aval, "dtype") and jnp.issubdtype(var.aval.dtype, jnp.inexact):
            for _ in range(2 if jnp.issubdtype(var.aval.dtype, jnp.complexfloating) else 1):
                count += 1
                draws.append((count, tuple(var.aval.shape), real_dtype(var.aval.dtype)))

    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        sub = _CALLS.get(name)
        closed = eqn.params.get(sub) if sub else None
        if closed is not None and hasattr(closed, "jaxpr"):
            count = _planned(closed.jaxpr, count, draws)
        elif name in _LOOPS:
            bodies = {"scan": [eqn.params.get("jaxpr")], "while": [eqn.params.get("body_jaxpr")]}.get(
                name, list(eqn.params.get("branches", ())))
            count = max(_planned(body.jaxpr, count, []) for body in bodies)
        elif name not in _DISCRETE:
            for var in eqn.invars if name in _TRANSCENDENTAL else ():
                add(var)
            for var in eqn.outvars if name not in _EXACT else ():
                add(var)
    return count


def _canonical(jaxpr, consts) -> list:
    """Closed-over constants in the precision in force: a NumPy constant first traced under the
    other x64 setting can keep that setting's dtype, which XLA then rejects."""
    return [jnp.asarray(c, dtype=jax.dtypes.canonicalize_dtype(v.aval.dtype)) if hasattr(v.aval, "dtype") else c
            for v, c in zip(jaxpr.constvars, consts, strict=True)]


def perturbed(fun: Callable) -> Callable:
    """``fun`` re-evaluated with every rounding perturbed at random: ``perturbed(fun)(key, *args)``.

    Traceable (use it under ``jax.jit`` and ``jax.vmap``); the same key gives the same result.
    """

    def run(key, *args):
        closed, shape = jax.make_jaxpr(fun, return_shape=True)(*args)
        flat = jax.tree.leaves(args)
        draws: list = []
        _planned(closed.jaxpr, 0, draws)
        perturber = _Perturber(key, exact=_has_discrete(closed.jaxpr), plan=Plan(draws))
        _, out = perturber.run(closed.jaxpr, closed.consts, flat, flat)
        return jax.tree.unflatten(jax.tree.structure(shape), out)

    return run


def rounding_noise(fun: Callable, *, samples: int = SAMPLES) -> Callable:
    r"""``(value, noise) = rounding_noise(fun)(seed, *args)``: ``fun(*args)`` and, per entry, the
    largest deviation of ``samples`` perturbed re-evaluations from it (same pytree, non-negative;
    real for a complex entry: the modulus of the deviation).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> value, noise = rounding_noise(lambda x: 1 - jnp.tanh(x) ** 2)(0, 18.0)
        >>> bool(noise > 0)  # the result is all rounding: 1 - t² cancels
        True
    """

    def run(key, *args):
        value = fun(*args)
        keys = jnp.arange(1, samples + 1) + 1000 * key

        def deviation(worst, other):
            return jax.tree.map(lambda w, v, o: jnp.maximum(w, jnp.abs(o - v)) if inexact(v) else w, worst, value, other)

        worst = jax.tree.map(lambda v: jnp.zeros(jnp.shape(v), real_dtype(jnp.result_type(v))), value)
        if sum(np.size(leaf) for leaf in jax.tree.leaves(args)) < SEQUENTIAL_FROM:
            others = jax.vmap(lambda k: perturbed(fun)(k, *args))(keys)
            noise = jax.tree.map(lambda w, v, o: jnp.max(jnp.abs(o - jnp.expand_dims(v, 0)), axis=0) if inexact(v) else w,
                                 worst, value, others)
        else:  # one sample at a time: the memory of one perturbed evaluation, not of all of them
            noise = lax.fori_loop(0, samples, lambda i, w: deviation(w, perturbed(fun)(keys[i], *args)), worst)
        return value, noise

    return run


__all__ = ["SAMPLES", "SEQUENTIAL_FROM", "TRANSCENDENTAL_ULPS", "perturbed", "rounding_noise"]
