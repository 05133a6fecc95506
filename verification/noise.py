r"""How much of a JAX result is rounding: perturbed re-evaluation (Monte Carlo arithmetic).

A derivative computed in floating point is off from the true value by its rounding error,
and that error can be far larger than $\epsilon\,|\text{value}|$: where terms cancel
($1 - \tanh^2 z$ at $z = 18$, a loss gradient that is a difference of large terms) the
error is $\epsilon$ times the *terms*, not the result.  A fixed tolerance either fails a
correct derivative there or lets a wrong one through elsewhere.

So the tolerance is measured from the computation itself.  The function's jaxpr is
re-evaluated with every floating-point operation's result perturbed the way rounding
perturbs it (the standard model $\mathrm{fl}(a \circ b) = (a \circ b)(1 + \delta)$):

- an elementary operation (``add``, ``mul``, ``div``, ``sqrt``, ...): $r\,u\,|\text{result}|$,
  with $u = \epsilon$ (``ULP``: the unit roundoff $\epsilon/2$ would itself be rounded away)
  and $r$ uniform in $[-1, 1]$;
- a library function (``exp``, ``log``, ``tanh``, ``logistic``, ``sin``, ...): $r \cdot$
  ``TRANSCENDENTAL_ULPS`` $\cdot\,u\,|\text{result}|$, since XLA's implementations are
  accurate to a few ulps, not to half of one; and its argument perturbed by one ulp first,
  because an implementation's argument reduction errs like a rounded argument (``exp(-513)``
  is off by about $513\,\epsilon$ relative, the condition number of ``exp`` there);
- a sum of $K$ terms (``dot_general``, ``reduce_sum``, ``cumsum``): $r\,u\sqrt{K}\cdot$ the same
  operation on the absolute values, because the rounding of a sum is relative to its terms
  (a random walk of $K$ roundings), not to the possibly cancelled result;
- a matrix factorisation or triangular solve (``lu``, ``triangular_solve``, ``cholesky``, ...):
  $r\,u\,n\,\max|\text{result}|$, since their backward error is norm-wise, not entry-wise; the
  later operations amplify it by the matrix's condition number, as rounding does;
- data movement, comparisons, ``max``/``min``, ``neg``, ``abs``, ``select``: exact, unperturbed;
- discrete decisions (comparisons, ``sign``, ``floor``, ``argmax``): taken from an exact
  evaluation run in step, so a perturbation never flips a branch.

Each perturbation propagates through the rest of the computation exactly as a rounding
error would, so cancellation downstream amplifies it by the same factor.  The spread of
``samples`` perturbed results around the unperturbed one, entry by entry, estimates the
rounding noise of that entry.  Calls into ``jit``-ed functions and custom-derivative
functions are followed into their bodies; loops and other control flow are treated as one
operation whose results are perturbed relative to their size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jcore

SAMPLES = 8
"""Perturbed re-evaluations per estimate.  The estimate is their largest deviation; with 8,
the chance that all of them land in the smallest quarter of the range is below 2e-5."""

ULP = 1.0
"""The size of one perturbation in units of ε|x|.  A rounding moves a result by at most half a
spacing, but a perturbation that small is itself rounded away when it is added; one ε|x| moves
the result to a neighbouring float about half the time, as the rounding it stands for does."""

TRANSCENDENTAL_ULPS = 8
"""Accuracy assumed of XLA's library functions, in ulps (the worst seen for float64 ``tanh``
over [-20, 20] is 6, for ``exp`` and ``logistic`` 2)."""

_EXACT = frozenset({
    "neg", "abs", "max", "min", "sign", "floor", "ceil", "round", "select_n", "clamp",
    "reshape", "broadcast_in_dim", "transpose", "squeeze", "expand_dims", "rev", "slice",
    "dynamic_slice", "dynamic_update_slice", "concatenate", "pad", "gather", "split", "copy",
    "copy_p", "reduce_max", "reduce_min", "argmax", "argmin", "sort", "stop_gradient",
    "iota", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "xor", "is_finite",
    "real", "imag", "nextafter", "reduce_precision", "device_put", "optimization_barrier",
})
_TRANSCENDENTAL = frozenset({
    "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "pow", "erf", "erfc",
    "erf_inv", "lgamma", "digamma", "rsqrt", "cbrt", "igamma", "igammac", "bessel_i0e",
    "bessel_i1e",
})
_DISCRETE = frozenset({"sign", "floor", "ceil", "round", "argmax", "argmin", "eq", "ne", "lt", "le", "gt", "ge",
                       "is_finite"})
_SUMS = frozenset({"dot_general", "reduce_sum", "cumsum"})
_LINEAR_ALGEBRA = frozenset({"lu", "triangular_solve", "cholesky", "qr", "householder_product", "eigh", "eig",
                             "svd", "schur", "hessenberg", "tridiagonal", "tridiagonal_solve", "lu_pivots_to_permutation"})
_CALLS = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
          "custom_vjp_call_jaxpr": "fun_jaxpr", "remat": "jaxpr", "checkpoint": "jaxpr"}


def _is_float(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.floating)


def _terms(eqn, invals) -> int:
    """How many terms each result of a summing operation adds up."""
    params = eqn.params
    if eqn.primitive.name == "dot_general":
        (contract, _), _ = params["dimension_numbers"]
        return math.prod(jnp.shape(invals[0])[d] for d in contract)
    if eqn.primitive.name == "reduce_sum":
        return math.prod(jnp.shape(invals[0])[d] for d in params["axes"])
    return jnp.shape(invals[0])[params["axis"]]


class _Perturber:
    """One perturbed evaluation.  Written with ``lax`` primitives rather than ``jax.numpy`` (whose
    functions are jitted wrappers): tracing it is then cheap."""

    def __init__(self, key, exact: bool = True):
        self.key, self.count, self.exact = key, 0, exact
        self._cache: dict[tuple, object] = {}  # constants and per-shape terms, traced once each

    def _full(self, shape, dtype, value: float):
        """``lax.full(shape, value, dtype)``, one traced constant per (shape, dtype, value)."""
        key = ("full", shape, dtype, value)
        if key not in self._cache:
            self._cache[key] = lax.full(shape, value, dtype)
        return self._cache[key]

    def _phase_base(self, shape, dtype):
        """A float per entry that differs between entries (a weighted sum of its indices), times
        the hash's frequency."""
        key = ("base", shape, dtype)
        if key not in self._cache:
            index = self._full(shape, dtype, 0.0)
            for axis in range(len(shape)):
                index = lax.add(index, lax.mul(lax.broadcasted_iota(dtype, shape, axis), self._full(shape, dtype, 7.31 * (axis + 1))))
            self._cache[key] = lax.mul(index, self._full(shape, dtype, 12.9898))
        return self._cache[key]

    def _key_term(self, dtype):
        key = ("key", dtype)
        if key not in self._cache:
            self._cache[key] = lax.mul(lax.convert_element_type(self.key, dtype), self._full((), dtype, 37.719))
        return self._cache[key]

    def uniform(self, like):
        """Pseudo-random numbers in [-1, 1], one per entry of ``like``: a cheap hash of the entry's
        index, the operation's position and the sample, not ``jax.random`` (whose generator
        would be compiled once per perturbed operation)."""
        self.count += 1
        shape, dtype = tuple(np.shape(like)), jnp.result_type(like)
        offset = lax.add(self._full((), dtype, self.count * 78.233), self._key_term(dtype))
        phase = lax.add(self._phase_base(shape, dtype), lax.broadcast_in_dim(offset, shape, ()))
        h = lax.mul(lax.sin(phase), self._full(shape, dtype, 43758.5453))
        frac = lax.sub(h, lax.floor(h))
        return lax.sub(lax.mul(frac, self._full(shape, dtype, 2.0)), self._full(shape, dtype, 1.0))

    def relative(self, x):
        """``x`` with a relative perturbation of up to one ulp per entry."""
        shape, dtype = tuple(np.shape(x)), jnp.result_type(x)
        return lax.add(x, lax.mul(self.uniform(x), lax.mul(lax.abs(x), self._full(shape, dtype, ULP * float(jnp.finfo(dtype).eps)))))

    def perturb(self, eqn, invals, outvals):
        name = eqn.primitive.name
        if name in _EXACT:
            return outvals
        perturbed = []
        for out in outvals:
            if not _is_float(out):
                perturbed.append(out)
                continue
            shape, dtype = tuple(np.shape(out)), jnp.result_type(out)
            u = ULP * float(jnp.finfo(dtype).eps)
            if name in _SUMS and all(_is_float(v) for v in invals):
                magnitude = lax.abs(eqn.primitive.bind(*(lax.abs(v) for v in invals), **eqn.params))
                scale = u * math.sqrt(max(_terms(eqn, invals), 1))
            elif name in _LINEAR_ALGEBRA:
                magnitude = lax.broadcast_in_dim(lax.reduce_max(lax.abs(out), tuple(range(len(shape)))), shape, ())
                scale = u * max(shape[-1] if shape else 1, 1)
            else:
                magnitude = lax.abs(out)
                scale = u * TRANSCENDENTAL_ULPS if name in _TRANSCENDENTAL else u
            size = lax.mul(magnitude, self._full(shape, dtype, scale))
            perturbed.append(lax.add(out, lax.mul(self.uniform(out), size)))
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
            else:
                params = eqn.primitive.get_bind_params(eqn.params)
                if self.exact:
                    exact_out = eqn.primitive.bind(*exact_in, **params)
                    exact_out = exact_out if eqn.primitive.multiple_results else [exact_out]
                if eqn.primitive.name in _DISCRETE:
                    outvals = exact_out
                else:
                    if eqn.primitive.name in _TRANSCENDENTAL:  # the argument's own rounding, amplified by f's condition
                        invals = [self.relative(v) if _is_float(v) else v for v in invals]
                    outvals = eqn.primitive.bind(*invals, **params)
                    outvals = outvals if eqn.primitive.multiple_results else [outvals]
                    if self.exact:
                        outvals = [o if _is_float(o) else e for o, e in zip(outvals, exact_out, strict=True)]
                    else:  # nothing discrete downstream reads the exact values: they are not computed
                        exact_out = outvals
                    outvals = self.perturb(eqn, invals, outvals)
            for var, e, val in zip(eqn.outvars, exact_out, outvals, strict=True):
                if not isinstance(var, jcore.DropVar):
                    exact[var], perturbed[var] = e, val
        return [read(exact, v) for v in jaxpr.outvars], [read(perturbed, v) for v in jaxpr.outvars]


def _has_discrete(jaxpr) -> bool:
    """Whether ``jaxpr`` (or a jaxpr it calls) takes a discrete decision."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in _DISCRETE:
            return True
        if any(_has_discrete(sub) for sub in jcore.jaxprs_in_params(eqn.params)):
            return True
    return False


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
        _, out = _Perturber(key, exact=_has_discrete(closed.jaxpr)).run(closed.jaxpr, closed.consts, flat, flat)
        return jax.tree.unflatten(jax.tree.structure(shape), out)

    return run


def rounding_noise(fun: Callable, *, samples: int = SAMPLES) -> Callable:
    r"""``(value, noise) = rounding_noise(fun)(seed, *args)``: ``fun(*args)`` and, per entry, the
    largest deviation of ``samples`` perturbed re-evaluations from it (same pytree, non-negative).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> value, noise = rounding_noise(lambda x: 1 - jnp.tanh(x) ** 2)(0, 18.0)
        >>> bool(noise > 0)  # the result is all rounding: 1 - t² cancels
        True
    """

    def run(key, *args):
        value = fun(*args)
        keys = jnp.arange(1, samples + 1) + 1000 * key
        others = jax.vmap(lambda k: perturbed(fun)(k, *args))(keys)
        noise = jax.tree.map(lambda v, o: jnp.max(jnp.abs(o - jnp.expand_dims(v, 0)), axis=0) if _is_float(v) else jnp.zeros_like(v),
                             value, others)
        return value, noise

    return run


__all__ = ["SAMPLES", "TRANSCENDENTAL_ULPS", "perturbed", "rounding_noise"]
