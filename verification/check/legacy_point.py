r"""Check a hand-written derivative against JAX: at one point, or over many hypothesis-drawn points.

``f`` is written with ``jax.numpy``; ``derivative`` is any callable returning arrays (NumPy
in the common case).  At each point, in each precision lane (float64 and float32):

1. the arguments are checked and cast (integers become the lane's float dtype; NaN/inf,
   strings or booleans raise an error that names the argument);
2. if a NumPy twin ``primal`` is given, its value must equal ``f``'s first;
3. the derivative is compared, entry by entry, with every oracle of its form
   (:mod:`verification.oracles`), and the oracles with each other, with a tolerance derived
   from the rounding noise of both sides (:mod:`verification.compare`);
4. on a mismatch the report says why when it can: transposed, denominator layout, sign,
   constant factor, diagonal only, the derivative with respect to another argument, a point
   where ``f`` is not differentiable (and which one-sided derivative each side took).

At a point where ``f`` is not differentiable (a ReLU tie, ``|x|`` at 0, a ``max`` tie) JAX
returns one convention and a hand derivative may take another.  Such a point is detected
when a comparison fails, by the one-sided derivatives $J(x \pm h d)$ along probe directions
$d$ differing by more than their smooth variation, and the ``kinks`` policy decides:

- ``"jax"`` (default): the derivative must equal JAX's value, as away from kinks;
- ``"either"``: any one-sided derivative is accepted, entry by entry;
- ``"fail"``: a non-differentiable point fails the check (probed at every point).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jax
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from reference.checks import as_real_array
from verification.compare import Comparison, compare, entries_agree, tolerance
from verification.oracles import (
    DIRECTIONAL,
    DTYPES,
    FORMS,
    batched_oracles,
    lane,
    oracle_names,
    plain_oracle,
    to_numpy,
)

Kinks = Literal["jax", "either", "fail"]
KINK_POLICIES: tuple[str, ...] = ("jax", "either", "fail")
DIRECTIONS = 3
"""Random directions per point for the forms jvp, vjp and hvp."""
BATCH = 32
"""Points drawn per hypothesis example in :func:`verify_derivative`: the oracles run on them in
one vmapped call, and hypothesis shrinks a failing batch to its minimal failing point."""
ROWS = BATCH
"""The oracles' batch axis is padded to a multiple of this (times ``DIRECTIONS`` for the
directional forms), so a signature compiles once."""
PROBES = 4
"""Random probe directions (besides one per argument) for locating a non-differentiable point."""


# ---------------------------------------------------------------------------------------------
# Arguments


def _lanes(dtype) -> tuple[np.dtype, ...]:
    if dtype is None:
        return (DTYPES["float64"], DTYPES["float32"])
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: expected None, 'float64' or 'float32', got {dtype!r}") from None
    if dtype not in DTYPES.values():
        raise ValueError(f"dtype: expected None, float64 or float32, got {dtype}")
    return (dtype,)


@dataclass(frozen=True)
class _Spec:
    """The validated description of one derivative check."""

    f: Callable
    derivative: Callable
    wrt: tuple[int, ...]
    wrt_is_tuple: bool
    form: str
    primal: Callable | None
    static: tuple[int, ...]
    names: tuple[str, ...] | None
    kinks: str
    rtol: float | None
    atol: float | None
    seed: int
    name: str

    def arg_name(self, i: int) -> str:
        return self.names[i] if self.names and i < len(self.names) else f"args[{i}]"

    def wrt_name(self, k: int) -> str:
        return self.arg_name(self.wrt[k])


def _spec(f, derivative, *, wrt, form, primal, static, names, kinks, rtol, atol, seed, name) -> _Spec:
    if not callable(f):
        raise TypeError(f"f: expected a callable written with jax.numpy, got {type(f).__name__}")
    if not callable(derivative):
        raise TypeError(f"derivative: expected a callable, got {type(derivative).__name__}")
    if primal is not None and not callable(primal):
        raise TypeError(f"primal: expected a callable or None, got {type(primal).__name__}")
    if form not in FORMS:
        raise ValueError(f"form: expected one of {FORMS}, got {form!r}")
    if kinks not in KINK_POLICIES:
        raise ValueError(f"kinks: expected one of {KINK_POLICIES}, got {kinks!r}")
    wrt_is_tuple = isinstance(wrt, tuple | list)
    wrt_tuple = tuple(wrt) if wrt_is_tuple else (wrt,)
    if not wrt_tuple or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in wrt_tuple):
        raise TypeError(f"wrt: expected a non-negative argument index or a tuple of them, got {wrt!r}")
    if len(set(wrt_tuple)) != len(wrt_tuple):
        raise ValueError(f"wrt: repeated argument index in {wrt!r}")
    if form in ("hessian", "hvp") and wrt_is_tuple:
        raise ValueError(f"wrt: form {form!r} takes one argument index, got {wrt!r}")
    for label, value in (("rtol", rtol), ("atol", atol)):
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{label}: expected a finite number >= 0 or None, got {value!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed: expected an int, got {seed!r}")
    static = tuple(static)
    if set(static) & set(wrt_tuple):
        raise ValueError(f"static: argument(s) {sorted(set(static) & set(wrt_tuple))} cannot be static and in wrt")
    label = name or getattr(f, "__name__", "f")
    return _Spec(f, derivative, wrt_tuple, wrt_is_tuple, form, primal, static,
                 tuple(names) if names is not None else None, kinks, rtol, atol, seed, label)


def _prepare(spec: _Spec, args: Sequence, dtype: np.dtype) -> tuple:
    """Check every array argument (naming it in errors) and cast it to ``dtype``."""
    if spec.names is not None and len(args) != len(spec.names):
        raise TypeError(f"{spec.name}: expected {len(spec.names)} arguments {spec.names}, got {len(args)}")
    for i in spec.wrt:
        if i >= len(args):
            raise ValueError(f"wrt: argument index {i} is out of range for {len(args)} argument(s)")
    return tuple(arg if i in spec.static else as_real_array(spec.arg_name(i), arg).astype(dtype, copy=False)
                 for i, arg in enumerate(args))


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class DerivativeCheck:
    """The outcome of :func:`check_derivative` at one point: ``passed``, every comparison made,
    and notes that explain a failure.  ``str()`` is the full report."""

    name: str
    form: str
    passed: bool
    comparisons: tuple[Comparison, ...]
    notes: tuple[str, ...] = ()
    seed: int = 0
    dtypes: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if not c.ok)

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"check of {self.name} ({self.form}, {', '.join(self.dtypes)}, seed {self.seed}): {verdict}"]
        for c in self.comparisons:
            if c.ok:
                lines.append(f"  ok    {_summary(c)}")
        shown: set[tuple[str, str]] = set()
        for c in self.failures:
            if (c.wrt, c.dtype) in shown:  # the same mistake seen by another oracle: one line
                lines.append(f"  FAIL  {_summary(c)}")
                continue
            shown.add((c.wrt, c.dtype))
            lines.append(str(c))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _summary(c: Comparison) -> str:
    wrt = f" w.r.t. {c.wrt}" if c.wrt else ""
    if c.shape_mismatch:
        return f"{c.oracle}{wrt} [{c.dtype}]: shape {c.actual_shape}, oracle {c.expected_shape}"
    rel = "undefined (oracle is 0)" if c.max_rel_err is None else f"{c.max_rel_err:.2g}"
    return f"{c.oracle}{wrt} [{c.dtype}]: max abs err {c.max_abs_err:.2g}, max rel err {rel}"


@dataclass
class OracleStats:
    """The worst errors seen against one oracle over a run."""

    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    passed: bool = True

    def add(self, abs_err: float, rel_err: float, ok: bool) -> None:
        self.max_abs_err = max(self.max_abs_err, abs_err)
        self.max_rel_err = max(self.max_rel_err, rel_err)
        self.passed = self.passed and ok


@dataclass
class VerifyResult:
    """The outcome of :func:`verify_derivative`: ``passed``, how many points each lane checked,
    the worst error per oracle and lane, and, on a failure, the shrunk minimal failing point
    (``failing_args``) with its report (``failure``)."""

    name: str
    form: str
    passed: bool = True
    examples: dict[str, int] = field(default_factory=dict)
    stats: dict[str, dict[str, OracleStats]] = field(default_factory=dict)
    failure: DerivativeCheck | None = None
    failing_args: tuple | None = None

    def __str__(self) -> str:
        counts = ", ".join(f"{n} points in {d}" for d, n in self.examples.items())
        head = f"verification of {self.name} ({self.form}): {'passed' if self.passed else 'FAILED'} ({counts})"
        return head if self.failure is None else f"{head}\nminimal failing point:\n{self.failure}"


# ---------------------------------------------------------------------------------------------
# The core: a batch of points in one lane


def _as_parts(value, count: int, what: str) -> tuple[np.ndarray, ...]:
    parts = tuple(value) if isinstance(value, tuple | list) and count > 1 else (value,)
    if len(parts) != count:
        raise ValueError(f"{what}: expected a tuple of {count} arrays (one per wrt argument), got {len(parts)}")
    return tuple(np.asarray(p) for p in parts)


class _Lane:
    """Everything for one spec in one precision lane.  ``padded``: every call of the oracles
    runs on whole batches of ``ROWS`` rows, so a point checked alone reuses the batch program."""

    def __init__(self, spec: _Spec, dtype: np.dtype, *, padded: bool = False):
        self.spec, self.dtype, self.padded = spec, dtype, padded
        self._shapes: dict[tuple, tuple[tuple[int, ...], bool]] = {}

    # -- shapes and directions -----------------------------------------------------------------
    def _out_shape(self, args) -> tuple[tuple[int, ...], bool]:
        key = tuple(np.shape(a) if i not in self.spec.static else ("static", a) for i, a in enumerate(args))
        if key not in self._shapes:
            self._shapes[key] = self._eval_shape(args)
        return self._shapes[key]

    def _eval_shape(self, args) -> tuple[tuple[int, ...], bool]:
        with lane(self.dtype):
            shape = jax.eval_shape(self.spec.f, *args)
        if not hasattr(shape, "shape"):
            raise TypeError(f"f: expected a function returning one array, got {type(shape).__name__}")
        return tuple(shape.shape), shape.shape == ()

    def directions(self, args, out_shape, index: int) -> tuple[np.ndarray, ...]:
        """The seeded random direction ``index`` at a point of these shapes."""
        form = self.spec.form
        if form not in DIRECTIONAL:
            return ()
        shapes = [out_shape] if form == "vjp" else [np.shape(args[i]) for i in self.spec.wrt]
        rng = np.random.default_rng([self.spec.seed, index, *(s for shape in shapes for s in (len(shape), *shape))])
        return tuple(rng.standard_normal(shape).astype(self.dtype) for shape in shapes)

    # -- the JAX side ----------------------------------------------------------------------------
    def _dynamic(self, args) -> tuple:
        return tuple(a for i, a in enumerate(args) if i not in self.spec.static)

    def _static(self, args) -> dict[int, Any]:
        return {i: args[i] for i in self.spec.static}

    def oracles(self, rows: list[tuple[tuple, tuple]], *, wrt=None, scalar_output: bool, stacked: bool = False):
        """The oracles and their noise at each (args, directions) row; rows share one signature.
        A list with one dict per row, or with ``stacked`` one dict of arrays with a leading row axis."""
        spec = self.spec
        args0 = rows[0][0]
        run = batched_oracles(spec.f, wrt=wrt or spec.wrt, form=spec.form, static=self._static(args0),
                              nargs=len(args0), scalar_output=scalar_output, dtype=self.dtype)
        # a batch is padded to whole multiples of ROWS, so a signature compiles once however the
        # points of a batch fall into signatures; a single point is evaluated as it is, unless the
        # lane checks batches too
        rows_per_batch = ROWS * (DIRECTIONS if spec.form in DIRECTIONAL else 1)
        size = -(-len(rows) // rows_per_batch) * rows_per_batch if stacked or self.padded else len(rows)
        padded = rows + [rows[-1]] * (size - len(rows))
        dynamic = tuple(np.stack(column) for column in zip(*(self._dynamic(a) for a, _ in padded), strict=True))
        directions = tuple(np.stack(column) for column in zip(*(d for _, d in padded), strict=True)) if padded[0][1] else ()
        with lane(self.dtype):
            out = to_numpy(run(self.spec.seed, dynamic, directions))
        if stacked:
            return jax.tree.map(lambda x: x[: len(rows)], out)
        return [jax.tree.map(lambda x, k=k: x[k], out) for k in range(len(rows))]

    def probe(self, args, directions, *, scalar_output: bool, points: list[tuple]) -> list[tuple[np.ndarray, ...]]:
        spec = self.spec
        name = oracle_names(spec.form, scalar_output)[0]
        run = plain_oracle(spec.f, wrt=spec.wrt, form=spec.form, name=name, static=self._static(args),
                           nargs=len(args), scalar_output=scalar_output, dtype=self.dtype)
        dynamic = tuple(np.stack(column) for column in zip(*(self._dynamic(p) for p in points), strict=True))
        dirs = tuple(np.stack([d] * len(points)) for d in directions)
        with lane(self.dtype):
            out = to_numpy(run(dynamic, dirs))
        return [tuple(part[k] for part in out) for k in range(len(points))]

    # -- the hand side -------------------------------------------------------------------------
    def hand(self, args, directions) -> tuple[np.ndarray, ...]:
        spec = self.spec
        extra = () if not directions else ((directions if spec.wrt_is_tuple else directions[0]),)
        if spec.form == "vjp":
            extra = (directions[0],)
        value = spec.derivative(*args, *extra)
        count = len(spec.wrt) if spec.form in ("jacobian", "vjp") else 1
        return _as_parts(value, count, "derivative")

    def hand_noise(self, args, directions) -> tuple[np.ndarray, ...] | None:
        """ρ: the hand derivative in float32 against float64 at the same float32 point, in this lane's ε."""
        def cast(a, dtype):
            return a if not isinstance(a, np.ndarray) else a.astype(np.float32).astype(dtype)
        try:
            with np.errstate(all="ignore"):
                low = self.hand(tuple(cast(a, np.float32) for a in args), tuple(cast(d, np.float32) for d in directions))
                high = self.hand(tuple(cast(a, np.float64) for a in args), tuple(cast(d, np.float64) for d in directions))
                scale = float(np.finfo(self.dtype).eps / np.finfo(np.float32).eps)
                noise = tuple(np.abs(np.asarray(lo, np.float64) - np.asarray(hi, np.float64)) * scale
                              for lo, hi in zip(low, high, strict=True))
        except Exception:  # a hand derivative that cannot run in float32 contributes no estimate
            return None
        return tuple(np.where(np.isfinite(n), n, 0.0) for n in noise)


# ---------------------------------------------------------------------------------------------
# One point, fully reported


def _inputs(spec: _Spec, args, directions) -> dict[str, np.ndarray]:
    named = {spec.arg_name(i): a for i, a in enumerate(args)}
    if directions:
        label = {"vjp": "cotangent", "jvp": "tangent", "hvp": "direction"}[spec.form]
        for k, d in enumerate(directions):
            named[f"{label}" if len(directions) == 1 else f"{label}[{k}]"] = d
    return named


def _check_point(spec: _Spec, lane_: _Lane, args: tuple, *, diagnose: bool = True) -> tuple[list[Comparison], list[str]]:
    """Every comparison at ``args`` (already prepared) in one lane, with notes.  Without
    ``diagnose`` only what decides the verdict is computed: no wrong-argument search, and the
    kink probes only where the policy lets them change the verdict."""
    dtype = lane_.dtype
    out_shape, scalar_output = lane_._out_shape(args)
    comparisons, notes = [], []
    rows = [(args, lane_.directions(args, out_shape, k)) for k in range(DIRECTIONS if spec.form in DIRECTIONAL else 1)]
    results = lane_.oracles(rows, scalar_output=scalar_output)
    common = dict(rule=spec.name, dtype=dtype, rtol=spec.rtol, atol=spec.atol)
    value, value_noise = results[0]["value"]
    if spec.primal is not None:
        with np.errstate(all="ignore"):
            mine = np.asarray(spec.primal(*args))
        c = compare(mine, value, value_noise, oracle="value", inputs=_inputs(spec, args, ()), **common)
        comparisons.append(c)
        if not c.ok:
            return comparisons, ["the NumPy primal and f disagree: the derivative was not compared"]
    names = oracle_names(spec.form, scalar_output)
    failed_rows = []
    for k, (row, result) in enumerate(zip(rows, results, strict=True)):
        directions = row[1]
        with np.errstate(all="ignore"):
            hand = lane_.hand(args, directions)
        rho = lane_.hand_noise(args, directions)
        inputs = _inputs(spec, args, directions)
        direction_note = (f"direction {k + 1} of {len(rows)} (seed {spec.seed})" if directions else "")
        for part, h in enumerate(hand):
            wrt = spec.wrt_name(part) if spec.form in ("jacobian", "vjp") else ", ".join(map(spec.arg_name, spec.wrt))
            out_ndim = len(out_shape) if spec.form == "jacobian" else None
            for name in names:
                parts, noise = result[name]
                sigma = noise[part]
                if rho is not None and rho[part].shape == sigma.shape:
                    sigma = np.maximum(sigma, rho[part])
                hessian_in = np.ndim(args[spec.wrt[0]]) if spec.form == "hessian" else None
                c = compare(h, parts[part], sigma, oracle=name, wrt=wrt, note=direction_note, inputs=inputs,
                            out_ndim=out_ndim, hessian_in_ndim=hessian_in, **common)
                comparisons.append(c)
                if not c.ok:
                    failed_rows.append((k, part, c))
            if len(names) > 1:
                (a, na), (b, nb) = result[names[0]], result[names[1]]
                cross = compare(a[part], b[part], np.maximum(na[part], nb[part]), oracle=f"{names[0]} vs {names[1]}",
                                wrt=wrt, **common)
                comparisons.append(cross)
    if (failed_rows and (diagnose or spec.kinks == "either")) or spec.kinks == "fail":
        if diagnose:
            notes += _wrong_argument(spec, lane_, args, rows, failed_rows, scalar_output)
        kink_notes, accepted = _kinks(spec, lane_, args, rows, results, failed_rows, scalar_output)
        notes += kink_notes
        if accepted:
            comparisons = [_accepted(c) if any(c is f for _, _, f in failed_rows) else c for c in comparisons]
    return comparisons, notes


def _accepted(c: Comparison) -> Comparison:
    from dataclasses import replace
    return replace(c, ok=True, note=(c.note + "; " if c.note else "") + "accepted: a one-sided derivative at a kink")


def _wrong_argument(spec, lane_, args, rows, failed_rows, scalar_output) -> list[str]:
    """Does a failing part match the oracle with respect to another argument?"""
    notes = []
    if spec.form not in ("jacobian", "vjp"):
        return notes
    others = [i for i in range(len(args)) if i not in spec.static and i not in spec.wrt]
    for k, part, c in failed_rows:
        if c.oracle not in oracle_names(spec.form, scalar_output)[:1]:
            continue
        directions = rows[k][1]
        hand = lane_.hand(args, directions)[part]
        for j in others:
            if np.ndim(args[j]) == 0 and hand.shape != ():
                continue
            result = lane_.oracles([(args, directions)], wrt=(j,), scalar_output=scalar_output)[0]
            parts, noise = result[c.oracle]
            if parts[0].shape == hand.shape and np.all(np.abs(hand - parts[0]) <= tolerance(parts[0], noise[0], dtype=lane_.dtype, rtol=spec.rtol, atol=spec.atol)):
                notes.append(f"the derivative w.r.t. {spec.wrt_name(part)} equals JAX's derivative w.r.t. "
                             f"{spec.arg_name(j)}: it is taken with respect to the wrong argument")
    return notes


def _kinks(spec, lane_, args, rows, results, failed_rows, scalar_output) -> tuple[list[str], bool]:
    """Locate a non-differentiable point and apply the policy; returns (notes, accept the failures)."""
    dtype = lane_.dtype
    name = oracle_names(spec.form, scalar_output)[0]
    floats = [i for i in range(len(args)) if i not in spec.static]
    rng = np.random.default_rng([spec.seed, 7919])
    probes, labels = [], []
    for i in floats:
        probes.append({i: np.ones_like(args[i])})
        labels.append((f"from above ({spec.arg_name(i)} + h)", f"from below ({spec.arg_name(i)} − h)"))
    for k in range(PROBES):
        probes.append({i: rng.standard_normal(np.shape(args[i])).astype(dtype) for i in floats})
        labels.append((f"along +r{k + 1}", f"along −r{k + 1} (r{k + 1} a seeded random direction)"))
    step = {i: float(np.sqrt(np.finfo(dtype).eps)) * max(1.0, float(np.max(np.abs(args[i]), initial=0.0))) for i in floats}
    notes, accepted_all, found = [], bool(failed_rows), False
    for k, (_, directions) in enumerate(rows):
        points = []
        for d in probes:
            for s in (1, 2, -1, -2):
                points.append(tuple((a + s * step[i] * d[i]).astype(dtype) if i in d else a for i, a in enumerate(args)))
        values = lane_.probe(args, directions, scalar_output=scalar_output, points=points)
        jax_parts = results[k][name][0]
        hand = lane_.hand(args, directions)
        for part in range(len(jax_parts)):
            limits = []  # (L, variation) pairs
            jump = 0.0
            for p in range(len(probes)):
                v1, v2, w1, w2 = (values[4 * p + s][part] for s in range(4))
                plus, minus = (v1, np.abs(v2 - v1)), (w1, np.abs(w2 - w1))
                limits += [plus, minus]
                allowed = tolerance(jax_parts[part], 0.0, dtype=dtype, rtol=spec.rtol, atol=spec.atol)
                gap = np.abs(plus[0] - minus[0]) - (allowed + 2 * (plus[1] + minus[1]))
                jump = max(jump, float(np.max(gap, initial=-np.inf)))
            if jump <= 0:
                continue
            found = True
            h = np.asarray(hand[part], np.float64)
            allowed = tolerance(jax_parts[part], 0.0, dtype=dtype, rtol=spec.rtol, atol=spec.atol)

            mine, theirs = _side_of(h, limits, allowed), _side_of(np.asarray(jax_parts[part], np.float64), limits, allowed)
            entrywise = h.shape == jax_parts[part].shape and np.all(
                np.any([np.abs(h - limit) <= allowed + 2 * variation for limit, variation in limits], axis=0))
            notes.append(f"f is not differentiable at this point (the one-sided derivatives differ by up to "
                         f"{jump:.3g} beyond their tolerance): the derivative equals {_describe(mine, labels)}"
                         f"{'' if mine is not None or not entrywise else ' as a whole, but a one-sided value entry by entry'}"
                         f"; jax.{name} returned {_describe(theirs, labels)}. Policy kinks={spec.kinks!r}.")
            accepted_all = accepted_all and entrywise
    if not found:
        return notes, False
    if spec.kinks == "fail":
        notes.append("kinks='fail': a point where f is not differentiable fails the check")
        return notes, False
    return notes, spec.kinks == "either" and accepted_all


def _side_of(value, limits, allowed) -> int | None:
    """The index of the first one-sided limit ``value`` equals (within its variation), or None."""
    for idx, (limit, variation) in enumerate(limits):
        if value.shape == limit.shape and np.all(np.abs(value - limit) <= allowed + 2 * variation):
            return idx
    return None


def _describe(idx: int | None, labels) -> str:
    if idx is None:
        return "none of the one-sided derivatives"
    return f"the one-sided derivative {labels[idx // 2][idx % 2]}"


def _lane_check(spec: _Spec, args: Sequence, dtype: np.dtype, *, diagnose: bool = True,
                lane_: _Lane | None = None) -> tuple[list[Comparison], list[str]]:
    lane_ = lane_ or _Lane(spec, dtype)
    prepared = _prepare(spec, args, dtype)
    comparisons, notes = _check_point(spec, lane_, prepared, diagnose=diagnose)
    if spec.kinks == "fail" and any("not differentiable" in n for n in notes):
        comparisons.append(Comparison(rule=spec.name, oracle="differentiability", wrt="", dtype=dtype.name, ok=False,
                                      expected_shape=(), actual_shape=(), hint="f is not differentiable here"))
    return comparisons, notes


def check_derivative(f: Callable, derivative: Callable, *args: Any, wrt: int | tuple[int, ...] = 0,
                     form: str = "jacobian", dtype: Any = None, rtol: float | None = None,
                     atol: float | None = None, seed: int = 0, primal: Callable | None = None,
                     kinks: str = "jax", static: Sequence[int] = (), names: Sequence[str] | None = None,
                     name: str | None = None, note: str = "") -> DerivativeCheck:
    r"""Check ``derivative`` against JAX's derivatives of ``f`` at ``args``; never raises on a mismatch.

    Args:
        f: the function, written with ``jax.numpy``.
        derivative: the hand derivative.  ``form="jacobian"``: ``derivative(*args)`` of shape
            ``f(*args).shape + args[wrt].shape`` (a tuple of those when ``wrt`` is a tuple); a scalar
            ``f``'s gradient is this form.  ``"jvp"``: ``derivative(*args, tangent)`` with ``f``'s
            output shape.  ``"vjp"``: ``derivative(*args, cotangent)`` with ``args[wrt]``'s shape.
            ``"hessian"``: ``out.shape + in.shape + in.shape``.  ``"hvp"``: ``derivative(*args, v)``
            with ``args[wrt]``'s shape.  The directional forms are checked along ``DIRECTIONS``
            seeded random directions without forming a Jacobian.
        *args: the point: arrays, Python scalars or integer arrays (cast to each lane's dtype).
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
    spec = _spec(f, derivative, wrt=wrt, form=form, primal=primal, static=static, names=names, kinks=kinks,
                 rtol=rtol, atol=atol, seed=seed, name=name)
    comparisons, notes = [], []
    dtypes = _lanes(dtype)
    for d in dtypes:
        c, n = _lane_check(spec, args, d)
        comparisons += c
        notes += [f"[{d.name}] {x}" for x in n]
    passed = all(c.ok for c in comparisons)
    notes += [note] if note and not passed else []
    return DerivativeCheck(name=spec.name, form=form, passed=passed,
                           comparisons=tuple(comparisons), notes=tuple(notes), seed=seed,
                           dtypes=tuple(d.name for d in dtypes))


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


# ---------------------------------------------------------------------------------------------
# Many points


def _batch_failures(spec: _Spec, lane_: _Lane, points: list[tuple], stats: dict[str, OracleStats]) -> int | None:
    """Check prepared ``points`` in one lane, vectorized; the index of the first failing point or None.

    A filter in front of the full check: a point it passes passes the full check too (it uses the
    same tolerance, without the hand derivative's own noise estimate, which can only widen it);
    a point it fails is checked again fully.
    """
    groups: dict[tuple, list[int]] = {}
    for p, args in enumerate(points):
        key = tuple((np.shape(a), a.dtype.str) if i not in spec.static else ("static", a) for i, a in enumerate(args))
        groups.setdefault(key, []).append(p)
    failing: set[int] = set()
    count = DIRECTIONS if spec.form in DIRECTIONAL else 1
    for members in groups.values():
        out_shape, scalar_output = lane_._out_shape(points[members[0]])
        rows, owner = [], []
        for p in members:
            for k in range(count):
                rows.append((points[p], lane_.directions(points[p], out_shape, k)))
                owner.append(p)
        owner = np.array(owner)
        result = lane_.oracles(rows, scalar_output=scalar_output, stacked=True)
        if spec.primal is not None:
            with np.errstate(all="ignore"):
                mine = [np.asarray(spec.primal(*points[p]), np.float64) for p in members]
            value, noise = result["value"]
            value, noise = value[::count], noise[::count]
            if any(m.shape != value.shape[1:] for m in mine):
                failing.update(members)
                continue
            agree, _ = entries_agree(np.stack(mine), value, noise, dtype=lane_.dtype, rtol=spec.rtol, atol=spec.atol,
                                     batched=True)
            bad = ~agree.reshape(len(members), -1).all(axis=1)
            failing.update(np.array(members)[bad].tolist())
        hands = []
        for r, (args, directions) in enumerate(rows):
            try:
                with np.errstate(all="ignore"):
                    hands.append(lane_.hand(args, directions))
            except ValueError:
                failing.add(int(owner[r]))
                hands.append(None)
        for name in oracle_names(spec.form, scalar_output):
            parts, noises = result[name]
            for part, (expected, sigma) in enumerate(zip(parts, noises, strict=True)):
                usable = [r for r, h in enumerate(hands) if h is not None and np.shape(h[part]) == expected.shape[1:]]
                for r, h in enumerate(hands):
                    if h is not None and r not in usable:
                        failing.add(int(owner[r]))
                        stats.setdefault(name, OracleStats()).add(math.inf, math.inf, False)
                if not usable:
                    continue
                H = np.stack([np.asarray(hands[r][part], np.float64) for r in usable])
                E, S = expected[usable], sigma[usable]
                diff = np.abs(H - E)
                agree, _ = entries_agree(H, E, S, dtype=lane_.dtype, rtol=spec.rtol, atol=spec.atol, batched=True)
                ok = agree.reshape(len(usable), -1).all(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rel = np.where(E != 0, diff / np.abs(E), 0.0)
                stats.setdefault(name, OracleStats()).add(float(diff.max(initial=0.0)), float(rel.max(initial=0.0)), bool(ok.all()))
                failing.update(owner[np.array(usable)[~ok]].tolist())
    return min(failing) if failing else None


class _Found(Exception):
    pass


def verify_derivative(f: Callable, derivative: Callable, inputs: st.SearchStrategy, *,
                      wrt: int | tuple[int, ...] = 0, form: str = "jacobian", examples: int = 100,
                      dtype: Any = None, rtol: float | None = None, atol: float | None = None, seed: int = 0,
                      primal: Callable | None = None, kinks: str = "jax", static: Sequence[int] = (),
                      names: Sequence[str] | None = None, name: str | None = None, note: str = "") -> VerifyResult:
    r"""Check ``derivative`` at ``examples`` argument tuples drawn from the hypothesis strategy
    ``inputs`` (or ``inputs(dtype)``, a callable of the lane's dtype), in each lane.

    Points are drawn ``BATCH`` at a time and checked in one vmapped, compiled call of the
    oracles.  On a failure hypothesis shrinks the batch, and the result keeps the minimal
    failing point (``failing_args``) and its full report (``failure``).  Other arguments as in
    :func:`check_derivative`.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> from verification import strategies as S
        >>> result = verify_derivative(lambda x: jnp.sum(jnp.sin(x)), np.cos, S.vectors(), examples=32)
        >>> result.passed
        True
    """
    spec = _spec(f, derivative, wrt=wrt, form=form, primal=primal, static=static, names=names, kinks=kinks,
                 rtol=rtol, atol=atol, seed=seed, name=name)
    if not isinstance(examples, int) or isinstance(examples, bool) or examples < 1:
        raise ValueError(f"examples: expected an int >= 1, got {examples!r}")
    result = VerifyResult(name=spec.name, form=form)
    for d in _lanes(dtype):
        strategy = inputs(d) if callable(inputs) and not isinstance(inputs, st.SearchStrategy) else inputs
        if not isinstance(strategy, st.SearchStrategy):
            raise TypeError(f"inputs: expected a hypothesis strategy of argument tuples, got {type(strategy).__name__}")
        count, stats, failure = _verify_lane(spec, strategy, d, examples=examples, note=note)
        result.examples[d.name], result.stats[d.name] = count, stats
        if failure is not None:
            result.passed = False
            result.failing_args, result.failure = failure
            break
    return result


def _verify_lane(spec: _Spec, strategy: st.SearchStrategy, dtype: np.dtype, *, examples: int, note: str):
    """(points checked, stats per oracle, (minimal failing args, its report) or None) in one lane."""
    lane_ = _Lane(spec, dtype, padded=True)
    stats: dict[str, OracleStats] = {}
    state = {"count": 0, "failure": None}
    # at least 16 hypothesis examples per run: the first one hypothesis tries is its simplest (all
    # zeros), so a run of one or two batches would mostly check that one point
    batch = min(BATCH, max(1, examples // 16))

    # deadline=None: the first batch at each shape compiles the oracles, which a deadline would
    # time instead of the check.  One example is a whole batch of points by design, so it is
    # large and slower than hypothesis expects of one example: those health checks would only
    # restate the batch size.
    @hypothesis_seed(spec.seed)
    @settings(max_examples=-(-examples // batch), deadline=None, database=None, derandomize=False,
              phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False,
              suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example))
    @given(st.lists(strategy, min_size=batch, max_size=batch))
    def run(drawn):
        points = []
        for args in drawn:
            args = args if isinstance(args, tuple) else (args,)
            points.append((args, _prepare(spec, args, dtype)))
        failing = _batch_failures(spec, lane_, [p for _, p in points], stats if state["failure"] is None else {})
        if state["failure"] is None:
            state["count"] += len(points)
        if failing is not None:
            raw = points[failing][0]
            comparisons, _ = _lane_check(spec, raw, dtype, diagnose=False, lane_=lane_)
            if not all(c.ok for c in comparisons):  # the full check confirms what the batch filter flagged
                state["failure"] = raw
                raise _Found

    try:
        run()
    except _Found:
        pass
    if state["failure"] is None:
        return state["count"], stats, None
    # hypothesis ran the minimal failing point last; its report, with every diagnosis
    raw = state["failure"]
    comparisons, notes = _lane_check(spec, raw, dtype, lane_=lane_)
    report = DerivativeCheck(name=spec.name, form=spec.form, passed=False, comparisons=tuple(comparisons),
                             notes=tuple(f"[{dtype.name}] {x}" for x in notes) + ((note,) if note else ()),
                             seed=spec.seed, dtypes=(dtype.name,))
    return state["count"], stats, (raw, report)


__all__ = ["BATCH", "DIRECTIONS", "KINK_POLICIES", "DerivativeCheck", "OracleStats", "VerifyResult",
           "assert_derivative", "check_derivative", "verify_derivative"]
