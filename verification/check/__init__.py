r"""Check a hand-written derivative against JAX: at one point, or over many hypothesis-drawn points.

``f`` is written with ``jax.numpy``; ``derivative`` is any callable returning arrays (NumPy in
the common case).  Arguments and results may be JAX pytrees (dicts, lists, tuples, NamedTuples,
registered dataclasses, ``equinox`` modules): the derivative follows JAX's own conventions, and
every leaf is compared and named by its key path (``args[0]['W1']``).  At each point, in each
precision lane (float64 and float32):

1. the arguments are checked and cast (the leaves of a differentiated argument become the lane's
   float dtype; NaN/inf, strings or booleans there raise an error that names the leaf; integer
   labels and masks in other arguments keep their dtype);
2. if a NumPy twin ``primal`` is given, its value must equal ``f``'s first;
3. each leaf of the derivative is compared, entry by entry, with every oracle of its form
   (:mod:`verification.oracles`), and the oracles with each other, with a tolerance derived from
   the rounding noise of both sides (:mod:`verification.compare`);
4. on a mismatch the report says why when it can: transposed, denominator layout, sign, constant
   factor, diagonal only, two leaves swapped, a bias gradient not summed over the batch, the
   derivative with respect to another argument, a point where ``f`` is not differentiable (and
   which one-sided derivative each side took);
5. in float32 alone (one point or many), where float32's rounding is too coarse to see a relative error of $10^{-3}$
   on an entry of at least $10^{-3}$ of the derivative's scale, the float32 point is checked in
   float64 too (:mod:`.resolution`).

The two lanes leave the user's process as it found it: the lane whose precision
``jax_enable_x64`` gives here runs here, the other in a helper process
(:mod:`verification.lanes`); no cache is cleared and no setting changed.

The entry points are here; the machinery behind them is one module per concept: the validated
spec (:mod:`.spec`), pytrees (:mod:`.trees`), one lane (:mod:`.lane`), one point (:mod:`.point`),
the batch filter (:mod:`.batch`), the hypothesis search (:mod:`.search`), kinks (:mod:`.kinks`),
diagnoses across leaves (:mod:`.diagnoses`), custom rules (:mod:`.custom`), untraceable ``f``
(:mod:`.tracing`), the float32 lane's resolution (:mod:`.resolution`) and the results (:mod:`.results`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from verification.check.custom import rule_form, undecorated, unwrap
from verification.check.kinks import PROBES
from verification.check.lane import DIRECTIONS, LaneChecker
from verification.check.point import finish_point, start_point
from verification.check.resolution import FLOAT64, needs_float64, recheck_in_float64
from verification.check.results import DerivativeCheck, OracleStats, VerifyResult
from verification.check.search import BATCH, search_lane
from verification.check.spec import KINK_POLICIES, CheckSpec, make_spec, prepare
from verification.precision import lanes


def check_derivative(f: Callable, derivative: Callable, *args: Any, wrt: int | tuple[int, ...] = 0,
                     form: str = "jacobian", dtype: Any = None, rtol: float | None = None,
                     atol: float | None = None, seed: int = 0, primal: Callable | None = None,
                     kinks: str = "jax", static: Sequence[int] = (), names: Sequence[str] | None = None,
                     name: str | None = None, note: str = "", entrywise: bool = False) -> DerivativeCheck:
    r"""Check ``derivative`` against JAX's derivatives of ``f`` at ``args``; never raises on a mismatch.

    Args:
        f: the function, written with ``jax.numpy``; it may return a pytree of arrays.
        derivative: the hand derivative, structured as JAX structures it.  ``form="jacobian"``:
            ``derivative(*args)``, the structure ``jax.jacfwd(f, argnums=wrt)(*args)`` returns
            (for arrays: ``f(*args).shape + args[wrt].shape``, numerator layout; for a scalar
            ``f``, the structure of ``args[wrt]``, as ``jax.grad`` returns).  ``"jvp"``:
            ``derivative(*args, tangent)``, the tangent structured like ``args[wrt]``, returning
            ``f``'s output structure.  ``"vjp"``: ``derivative(*args, cotangent)``, the cotangent
            structured like ``f``'s output, returning ``args[wrt]``'s structure (a tuple of those
            for a tuple ``wrt``).  ``"hessian"``: ``jax.hessian(f, argnums=wrt)``'s structure.
            ``"hvp"``: ``derivative(*args, v)`` with ``args[wrt]``'s structure.  The directional
            forms are checked along ``DIRECTIONS`` seeded random directions without forming a
            Jacobian.
        *args: the point: arrays, Python scalars, integer arrays, or pytrees of them.
        wrt: the argument index (or a tuple of them) to differentiate with respect to.
        dtype: ``"float64"``, ``"float32"``, or None for both lanes.
        rtol, atol: replace the derived tolerance by ``atol + rtol·|oracle|``.
        seed: seeds the random directions and the noise estimate; it is in the report.
        primal: an optional NumPy twin of ``f``, checked for the same value first.
        kinks: at a non-differentiable point, ``"jax"`` requires JAX's convention, ``"either"``
            accepts any one-sided derivative, ``"fail"`` fails.
        static: indices of arguments that are not arrays (passed through unchanged).
        names: argument names for messages; ``name``: the function's name in the report.
        note: a convention or domain restriction, printed with a failure.
        entrywise: judge every entry against its own rounding alone, even where it is far below
            the derivative's scale (see :mod:`verification.compare`).

    Returns:
        A :class:`DerivativeCheck`: ``.passed``, ``.comparisons``, and ``str()`` the full report.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> f = lambda x: jnp.sum(jnp.tanh(x))
        >>> check_derivative(f, lambda x: 1 - np.tanh(x) ** 2, np.array([0.5, 18.25])).passed
        True
        >>> check_derivative(f, lambda x: 1 + np.tanh(x) ** 2, np.array([0.5, 18.25])).passed
        False
    """
    spec = make_spec(f, derivative, wrt=wrt, form=form, primal=primal, static=static, names=names, kinks=kinks,
                     rtol=rtol, atol=atol, seed=seed, name=name, entrywise=entrywise)
    return _check(spec, args, dtype, note)


def assert_derivative(f: Callable, derivative: Callable, *args: Any, **kwargs: Any) -> DerivativeCheck:
    """:func:`check_derivative`, raising ``AssertionError`` whose message is the full report.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> _ = assert_derivative(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, np.array([1.0, -3.0]))
    """
    __tracebackhide__ = True
    result = check_derivative(f, derivative, *args, **kwargs)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def verify_derivative(f: Callable, derivative: Callable, inputs: Any, *, wrt: int | tuple[int, ...] = 0,
                      form: str = "jacobian", points: int = 100, dtype: Any = None, rtol: float | None = None,
                      atol: float | None = None, seed: int = 0, primal: Callable | None = None, kinks: str = "jax",
                      static: Sequence[int] = (), names: Sequence[str] | None = None, name: str | None = None,
                      note: str = "", entrywise: bool = False, examples: int | None = None) -> VerifyResult:
    r"""Check ``derivative`` at ``points`` argument tuples drawn from the hypothesis strategy
    ``inputs`` (or ``inputs(dtype)``, a callable of the lane's dtype), in each lane.

    Points are drawn ``BATCH`` at a time and checked in one vmapped, compiled call of the
    oracles.  On a failure hypothesis shrinks the batch, and the result keeps the minimal
    failing point (``failing_args``) and its full report (``failure``).  ``examples`` is the
    older name of ``points``.  Other arguments as in :func:`check_derivative`.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> from verification import strategies as S
        >>> result = verify_derivative(lambda x: jnp.sum(jnp.sin(x)), np.cos, S.vectors(), points=32)
        >>> result.passed
        True
    """
    spec = make_spec(f, derivative, wrt=wrt, form=form, primal=primal, static=static, names=names, kinks=kinks,
                     rtol=rtol, atol=atol, seed=seed, name=name, entrywise=entrywise)
    return _verify(spec, inputs, dtype, examples if examples is not None else points, note)


def check_custom_rule(f: Callable, *args: Any, wrt: int | tuple[int, ...] = 0, reference: Callable | None = None,
                      dtype: Any = None, rtol: float | None = None, atol: float | None = None, seed: int = 0,
                      static: Sequence[int] = (), names: Sequence[str] | None = None, name: str | None = None,
                      note: str = "", entrywise: bool = False) -> DerivativeCheck:
    r"""Check the ``jax.custom_vjp`` or ``jax.custom_jvp`` rule of ``f`` at ``args``.

    The rule (a ``custom_vjp``'s ``bwd`` in the vjp form, a ``custom_jvp``'s rule in the jvp form,
    with the primal output each returns) is compared with JAX's derivative of the function ``f``
    decorates, never with the rule itself, in both lanes and leaf by leaf.  Where the
    undecorated function is not differentiable by JAX (it calls ``lax.stop_gradient`` or a
    primitive without a derivative), pass ``reference``, a differentiable function with the
    same value.  Other arguments as in :func:`check_derivative`.

    Example:
        >>> import jax, jax.numpy as jnp, numpy as np
        >>> @jax.custom_vjp
        ... def softplus(x):
        ...     return jnp.logaddexp(x, 0.0)
        >>> softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g * jax.nn.sigmoid(x),))
        >>> check_custom_rule(softplus, np.array([-30.0, 0.5, 40.0])).passed
        True
    """
    spec = _rule_spec(f, reference, wrt=wrt, rtol=rtol, atol=atol, seed=seed, static=static, names=names,
                      name=name, entrywise=entrywise)
    return _check(spec, args, dtype, note)


def assert_custom_rule(f: Callable, *args: Any, **kwargs: Any) -> DerivativeCheck:
    """:func:`check_custom_rule`, raising ``AssertionError`` whose message is the full report."""
    __tracebackhide__ = True
    result = check_custom_rule(f, *args, **kwargs)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def verify_custom_rule(f: Callable, inputs: Any, *, wrt: int | tuple[int, ...] = 0,
                       reference: Callable | None = None, points: int = 100, dtype: Any = None,
                       rtol: float | None = None, atol: float | None = None, seed: int = 0,
                       static: Sequence[int] = (), names: Sequence[str] | None = None, name: str | None = None,
                       note: str = "", entrywise: bool = False) -> VerifyResult:
    """:func:`check_custom_rule` at ``points`` drawn points, as :func:`verify_derivative` draws them."""
    spec = _rule_spec(f, reference, wrt=wrt, rtol=rtol, atol=atol, seed=seed, static=static, names=names,
                      name=name, entrywise=entrywise)
    return _verify(spec, inputs, dtype, points, note)


def _rule_spec(f: Callable, reference: Callable | None, **kwargs: Any) -> CheckSpec:
    form = rule_form(f)
    return make_spec(undecorated(f, reference), None, form=form, primal=None, kinks="jax", rule=unwrap(f),
                     name=kwargs.pop("name") or getattr(unwrap(f), "__name__", None), **kwargs)


def _check(spec: CheckSpec, args: Sequence[Any], dtype: Any, note: str) -> DerivativeCheck:
    dtypes = lanes(dtype)
    checkers = {d: LaneChecker(spec, d) for d in dtypes}
    prepared = {d: prepare(spec, args, d) for d in dtypes}
    # the helper process's lane is sent first: it runs there while this process checks its own
    order = sorted(dtypes, key=lambda d: not checkers[d].runner.remote)
    started = {d: start_point(checkers[d], prepared[d]) for d in order}
    comparisons, notes = [], []
    for d in dtypes:
        c, n = finish_point(checkers[d], started[d])
        if needs_float64(spec, d, c) and FLOAT64 not in dtypes:
            recheck, recheck_notes = recheck_in_float64(spec, prepared[d])
            c, n = c + recheck, n + recheck_notes
        comparisons += c
        notes += [f"[{d.name}] {x}" for x in n]
    passed = all(c.ok for c in comparisons)
    notes += [note] if note and not passed else []
    return DerivativeCheck(name=spec.name, form=spec.form, passed=passed, comparisons=tuple(comparisons),
                           notes=tuple(notes), seed=spec.seed, dtypes=tuple(d.name for d in dtypes))


def _verify(spec: CheckSpec, inputs: Any, dtype: Any, points: Any, note: str) -> VerifyResult:
    if not isinstance(points, int) or isinstance(points, bool) or points < 1:
        raise ValueError(f"points: expected an int >= 1, got {points!r}")
    result = VerifyResult(name=spec.name, form=spec.form)
    for d in lanes(dtype):
        strategy = inputs(d) if callable(inputs) and not isinstance(inputs, st.SearchStrategy) else inputs
        if not isinstance(strategy, st.SearchStrategy):
            raise TypeError(f"inputs: expected a hypothesis strategy of argument tuples, got {type(strategy).__name__}")
        count, stats, failure = search_lane(spec, strategy, d, points=points, note=note,
                                            alone=FLOAT64 not in lanes(dtype))
        result.points[d.name], result.stats[d.name] = count, stats
        if failure is not None:
            result.passed = False
            result.failing_args, result.failure = failure
            break
    return result


__all__ = ["BATCH", "DIRECTIONS", "KINK_POLICIES", "PROBES", "DerivativeCheck", "OracleStats", "VerifyResult",
           "assert_custom_rule", "assert_derivative", "check_custom_rule", "check_derivative", "verify_custom_rule",
           "verify_derivative"]
