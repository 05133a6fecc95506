r"""One check in one precision lane: the derivative's structure, the directions, both sides' values.

A :class:`LaneChecker` holds what a check needs in one lane (float64 or float32): the
structure JAX gives the derivative at each signature of the arguments (traced once, here, in
this process's own precision: a structure does not depend on it), the seeded random
directions of the directional forms, the JAX programs (run by the lane's runner, here or in
the lane's helper process, :mod:`verification.lanes`), and the hand derivative, flattened like
JAX's derivative and with its own rounding noise.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from verification import lanes
from verification.check.spec import CheckSpec
from verification.check.tracing import explained_trace_errors
from verification.check.trees import Mismatch, Path, flatten, flatten_like, is_array_leaf, path_text, signature, stack
from verification.oracles import DIRECTIONAL, oracle_functions, oracle_names, with_static
from verification.programs import Pending, Program, ProgramCache, fingerprint, program

DIRECTIONS = 3
"""Random directions per point for the forms jvp, vjp and hvp."""
ROWS = 32
"""The oracles' batch axis is padded to a multiple of this (times ``DIRECTIONS`` for the
directional forms) when a lane checks batches, so a signature compiles once."""
DIRECTION_LABELS = {"vjp": "cotangent", "jvp": "tangent", "hvp": "direction"}
NOISE_POINTS = 3
"""Float32 points at which the hand derivative's own rounding is measured (the point itself and
neighbours up to ``NEIGHBOUR_ULPS`` float32 ulps away, entry by entry)."""
NEIGHBOUR_ULPS = 1024
r"""How far (in float32 ulps, a relative $1.2\cdot10^{-4}$) a neighbour's entries move, uniformly
at random.  Whether a float32 sum happens to be exact depends on its terms' last bits: moved by
one ulp each, the terms of a sum of 16 keep an exact sum exact one time in seven (their moves
add up to a multiple of the sum's ulp); moved this far, their last bits are independent draws."""

STRUCTURES = ProgramCache()
"""Derivative structures by (function, form, signature): the same in every lane, traced once."""


@dataclass(frozen=True)
class Structure:
    """``f``'s output and the derivative's leaves at one signature of the arguments."""

    out_treedef: Any
    out_paths: tuple[Path, ...]
    out_shapes: tuple[tuple[int, ...], ...]
    scalar_output: bool
    treedef: Any
    paths: tuple[Path, ...]
    shapes: tuple[tuple[int, ...], ...]
    labels: tuple[str, ...]
    out_ndims: tuple[int | None, ...]
    hessian_in_ndims: tuple[int | None, ...]
    wrt_treedefs: tuple[Any, ...]
    wrt_shapes: tuple[tuple[tuple[int, ...], ...], ...]


@dataclass
class Started:
    """A batch of rows whose programs are on their way."""

    rows: list[tuple[tuple, tuple]]
    structure: Structure
    oracles: Pending
    rule: Pending | None
    stacked: bool


class LaneChecker:
    """Everything for one spec in one lane.  ``padded``: every call of the programs runs on whole
    batches of ``ROWS`` rows, so a point checked alone reuses the batch program."""

    def __init__(self, spec: CheckSpec, dtype: np.dtype, *, padded: bool = False):
        self.spec, self.dtype, self.padded = spec, np.dtype(dtype), padded
        self.runner = lanes.runner(self.dtype)
        self._key = fingerprint(spec.f, spec.wrt, spec.wrt_is_tuple, spec.form, spec.names)
        self._structures: dict[tuple, Structure] = {}
        self._programs: dict[tuple, Program] = {}

    # -- structure ------------------------------------------------------------------------------
    def signature(self, args: Sequence[Any]) -> tuple:
        return tuple(("static", repr(a)) if i in self.spec.static else signature(a) for i, a in enumerate(args))

    def structure(self, args: Sequence[Any]) -> Structure:
        key = self.signature(args)
        if key not in self._structures:
            # float dtypes left out of the shared key: a structure is the same in both lanes
            shared = (self._key, tuple(str(part).replace("<f8", "<f").replace("<f4", "<f") for part in key))
            self._structures[key] = STRUCTURES.get(shared, lambda: (self._trace_structure(args), self.spec.f))
        return self._structures[key]

    def dynamic(self, args: Sequence[Any]) -> tuple:
        return tuple(a for i, a in enumerate(args) if i not in self.spec.static)

    def static(self, args: Sequence[Any]) -> dict[int, Any]:
        return {i: args[i] for i in self.spec.static}

    def _trace_structure(self, args: Sequence[Any]) -> Structure:
        spec, nargs, static = self.spec, len(args), self.static(args)

        def struct(leaf):
            return jax.ShapeDtypeStruct(np.shape(leaf), jax.dtypes.canonicalize_dtype(np.asarray(leaf).dtype))

        dynamic = tuple(jax.tree.map(struct, a, is_leaf=is_array_leaf) for a in self.dynamic(args))
        try:
            with explained_trace_errors("f"):
                out = jax.eval_shape(lambda *d: spec.f(*with_static(d, static, nargs)), *dynamic)
        except Exception as error:
            lists = [spec.arg_name(i) for i, a in enumerate(args) if i not in spec.static and _list_of_numbers(a)]
            if not lists or isinstance(error, TypeError) and str(error).startswith("f: "):
                raise
            raise TypeError(f"{', '.join(lists)}: a Python list, which JAX reads as a pytree of its entries, not "
                            f"an array; pass np.asarray(...) for an array (f failed on it: "
                            f"{type(error).__name__}: {str(error).splitlines()[0]})") from None
        out_paths, out_leaves, out_treedef = flatten(out)
        for path, leaf in zip(out_paths, out_leaves, strict=True):
            if not hasattr(leaf, "dtype") or not jax.numpy.issubdtype(leaf.dtype, jax.numpy.floating):
                raise TypeError(f"f: output{path_text(path)} is not a float array "
                                f"({getattr(leaf, 'dtype', type(leaf).__name__)}): JAX differentiates float outputs")
        scalar_output = len(out_leaves) == 1 and out_leaves[0].shape == ()
        full = with_static(dynamic, static, nargs)
        wrt_trees = [flatten(full[i]) for i in spec.wrt]
        directions = self._direction_trees(out_treedef, [lf.shape for lf in out_leaves],
                                           [(d, [lf.shape for lf in leaves]) for _, leaves, d in wrt_trees],
                                           lambda shape: jax.ShapeDtypeStruct(shape, out_leaves[0].dtype))
        first = oracle_names(spec.form, scalar_output)[0]
        oracle = oracle_functions(spec.f, spec.wrt, spec.form, scalar_output, spec.wrt_is_tuple)[first]
        try:
            with explained_trace_errors("f"):
                derivative = jax.eval_shape(lambda d, dd: oracle(with_static(d, static, nargs))(dd), dynamic, directions)
        except Exception as error:
            if spec.rule is None:
                raise
            raise TypeError(f"reference: JAX cannot differentiate the function the rule decorates ({error}); pass "
                            "reference=, a differentiable function with the same value") from None
        paths, leaves, treedef = flatten(derivative)
        labels, out_ndims, hessian_ndims = [], [], []
        for path in paths:
            label, out_ndim, hessian_ndim = self._describe(path, out_paths, out_leaves, wrt_trees)
            labels.append(label)
            out_ndims.append(out_ndim)
            hessian_ndims.append(hessian_ndim)
        return Structure(out_treedef, tuple(out_paths), tuple(tuple(lf.shape) for lf in out_leaves), scalar_output, treedef,
                         tuple(paths), tuple(tuple(lf.shape) for lf in leaves), tuple(labels), tuple(out_ndims),
                         tuple(hessian_ndims), tuple(d for _, _, d in wrt_trees),
                         tuple(tuple(tuple(lf.shape) for lf in leaves) for _, leaves, _ in wrt_trees))

    def _describe(self, path: Path, out_paths, out_leaves, wrt_trees) -> tuple[str, int | None, int | None]:
        """A derivative leaf's name (the argument and key path it is the derivative with respect
        to, and the output leaf when ``f`` has several), its number of output axes (a Jacobian
        leaf), and its input axes when it is a diagonal block of a Hessian."""
        spec, path = self.spec, tuple(path)
        multiple_outputs = len(out_paths) > 1 or bool(out_paths and out_paths[0])

        def split_output(p):
            for out_path, leaf in sorted(zip(out_paths, out_leaves, strict=True), key=lambda x: -len(x[0])):
                if p[:len(out_path)] == tuple(out_path):
                    return tuple(out_path), leaf, p[len(out_path):]
            return (), None, p

        def split_argument(p):
            k = 0
            if spec.wrt_is_tuple and p:
                k, p = int(getattr(p[0], "idx", 0)), p[1:]
            return k, p

        def in_leaf(k, p):
            paths, leaves, _ = wrt_trees[k]
            for in_path, leaf in sorted(zip(paths, leaves, strict=True), key=lambda x: -len(x[0])):
                if p[:len(in_path)] == tuple(in_path):
                    return tuple(in_path), leaf, p[len(in_path):]
            return p, None, ()

        output = ""
        if spec.form in ("jacobian", "hessian"):
            out_path, out_leaf, rest = split_output(path)
            output = f" of output{path_text(out_path)}" if multiple_outputs else ""
            out_ndim = len(out_leaf.shape) if out_leaf is not None and spec.form == "jacobian" else None
            k, rest = split_argument(rest)
            in_path, leaf, rest = in_leaf(k, rest)
            name = spec.arg_name(spec.wrt[k]) + path_text(in_path)
            if spec.form == "hessian":
                second, leaf2, _ = in_leaf(k, rest)
                diagonal = second == in_path and leaf is not None
                return (f"{name}, {spec.arg_name(spec.wrt[k])}{path_text(second)}{output}", None,
                        len(leaf.shape) if diagonal else None)
            return name + output, out_ndim, None
        if spec.form in ("vjp", "hvp"):
            k, rest = split_argument(path)
            return spec.arg_name(spec.wrt[k]) + path_text(rest), None, None
        # jvp: the leaf is an output leaf, along a tangent of every wrt argument
        names = ", ".join(spec.arg_name(i) for i in spec.wrt)
        return (f"{names} → output{path_text(path)}" if multiple_outputs else names), None, None

    # -- directions -----------------------------------------------------------------------------
    def _direction_trees(self, out_treedef, out_shapes, wrt, make) -> tuple:
        form = self.spec.form
        if form not in DIRECTIONAL:
            return ()
        if form == "vjp":
            return (jax.tree_util.tree_unflatten(out_treedef, [make(s) for s in out_shapes]),)
        trees = tuple(jax.tree_util.tree_unflatten(d, [make(s) for s in shapes]) for d, shapes in wrt)
        return trees if form == "jvp" else trees[:1]

    def directions(self, structure: Structure, index: int) -> tuple:
        """The seeded random direction ``index`` at a point of this structure."""
        if self.spec.form not in DIRECTIONAL:
            return ()
        shapes = [structure.out_shapes] if self.spec.form == "vjp" else list(structure.wrt_shapes)
        rng = np.random.default_rng([self.spec.seed, index, *(s for leaf_shapes in shapes for shape in leaf_shapes
                                                               for s in (len(shape), *shape))])
        return self._direction_trees(structure.out_treedef, structure.out_shapes,
                                     list(zip(structure.wrt_treedefs, structure.wrt_shapes, strict=True)),
                                     lambda shape: np.asarray(rng.standard_normal(shape), self.dtype))

    def rows(self, args: tuple, structure: Structure) -> list[tuple[tuple, tuple]]:
        count = DIRECTIONS if self.spec.form in DIRECTIONAL else 1
        return [(args, self.directions(structure, k)) for k in range(count)]

    # -- the programs ---------------------------------------------------------------------------
    def _stacked(self, rows: list[tuple[tuple, tuple]], stacked: bool) -> tuple[tuple, tuple]:
        rows_per_batch = ROWS * (DIRECTIONS if self.spec.form in DIRECTIONAL else 1)
        size = -(-len(rows) // rows_per_batch) * rows_per_batch if stacked or self.padded else len(rows)
        padded = rows + [rows[-1]] * (size - len(rows))
        dynamic = tuple(stack(column) for column in zip(*(self.dynamic(a) for a, _ in padded), strict=True))
        directions = tuple(stack(column) for column in zip(*(d for _, d in padded), strict=True)) if padded[0][1] else ()
        return dynamic, directions

    def _program(self, function, args: Sequence[Any], structure: Structure, *, wrt=None, wrt_is_tuple=None,
                 builder="batched_oracles", **extra):
        spec = self.spec
        params = dict(wrt=wrt or spec.wrt, form=spec.form, static=self.static(args), nargs=len(args),
                      scalar_output=structure.scalar_output,
                      wrt_is_tuple=spec.wrt_is_tuple if wrt_is_tuple is None else wrt_is_tuple, **extra)
        # pickled (and so fingerprinted) once per lane checker: every batch of a run reuses it
        key = (builder, id(function), repr(sorted(params.items())))
        if key not in self._programs:
            self._programs[key] = program(builder, function, **params)
        return self._programs[key]

    def start(self, rows: list[tuple[tuple, tuple]], *, stacked: bool = False) -> Started:
        """Send the oracles (and a custom rule's own derivative) for ``rows``, which share one
        signature; the results come with :meth:`oracle_results` and :meth:`hands`."""
        structure = self.structure(rows[0][0])
        # the directions of one point share its forward computation (one program over them)
        one_point = (not stacked and not self.padded and len(rows) > 1
                     and all(args is rows[0][0] for args, _ in rows))
        if one_point:
            dynamic = self.dynamic(rows[0][0])
            directions = tuple(stack(column) for column in zip(*(d for _, d in rows), strict=True))
        else:
            dynamic, directions = self._stacked(rows, stacked)
        value = self.spec.primal is not None or self.spec.rule is not None  # read only to compare values
        oracles = self.runner.submit(self._program(self.spec.f, rows[0][0], structure, value=value,
                                                   one_point=one_point),
                                     self.spec.seed, dynamic, directions)
        rule = None
        if self.spec.rule is not None:
            rule = self.runner.submit(self._program(self.spec.rule, rows[0][0], structure,
                                                    primal_through_derivative=True, one_point=one_point),
                                      self.spec.seed, dynamic, directions)
        return Started(rows, structure, oracles, rule, stacked)

    def oracle_results(self, started: Started) -> list[dict] | dict:
        """Per row, ``{name: (leaves, noises)}``; with ``stacked``, one dict of stacked leaves."""
        return _per_row(started.oracles.result(), len(started.rows), started.stacked)

    def oracles_wrt(self, args: tuple, directions: tuple, j: int) -> dict:
        """The oracles with respect to argument ``j`` alone, at one row (for the wrong-argument diagnosis)."""
        structure = self.structure(args)
        dynamic, dirs = self._stacked([(args, directions)], False)
        prog = self._program(self.spec.f, args, structure, wrt=(j,), wrt_is_tuple=False)
        return _per_row(self.runner.submit(prog, self.spec.seed, dynamic, dirs).result(), 1, False)[0]

    def probe(self, args: tuple, directions: tuple, points: list[tuple]) -> list[list[np.ndarray]]:
        """The first oracle's leaves at each of ``points`` (same signature as ``args``), no noise."""
        structure = self.structure(args)
        name = oracle_names(self.spec.form, structure.scalar_output)[0]
        dynamic, dirs = self._stacked([(p, directions) for p in points], False)
        prog = self._program(self.spec.f, args, structure, builder="plain_oracle", name=name)
        out = self.runner.submit(prog, dynamic, dirs).result()
        return [[np.asarray(leaf[k]) for leaf in out] for k in range(len(points))]

    def rule_values(self, started: Started) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """A custom rule's primal output (from its own fwd or jvp rule) and its noise, first row."""
        assert started.rule is not None
        leaves, noises = _per_row(started.rule.result(), len(started.rows), False)[0]["value"]
        return [np.asarray(v, np.float64) for v in leaves], [np.asarray(n, np.float64) for n in noises]

    # -- the hand side ----------------------------------------------------------------------------
    def hands(self, started: Started, *, with_noise: bool) -> list[tuple[list[np.ndarray] | Mismatch | Exception,
                                                                        list[np.ndarray] | None]]:
        """Per row: the hand derivative's leaves (or its structure mismatch, or the error it
        raised), and with ``with_noise`` its rounding noise ρ per leaf."""
        structure, spec = started.structure, self.spec
        if started.rule is not None:
            first = oracle_names(spec.form, structure.scalar_output)[0]
            rows = _per_row(started.rule.result(), len(started.rows), False)
            return [([np.asarray(leaf, np.float64) for leaf in row[first][0]],
                     [np.asarray(n, np.float64) for n in row[first][1]]) for row in rows]
        out: list[tuple[Any, Any]] = []
        points: tuple[tuple, list] | None = None  # the rows of one point share its float32 points
        for args, directions in started.rows:
            try:
                with np.errstate(all="ignore"):
                    hand = self.hand(args, directions, structure)
            except Exception as error:  # reported as a failed comparison, naming the error
                out.append((error, None))
                continue
            noise = None
            if with_noise and isinstance(hand, list):
                if points is None or points[0] is not args:
                    points = (args, self.float32_points(args, self.spec.static, stream=0))
                noise = self.hand_noise(points[1], self.float32_points(directions, (), stream=1), structure)
            out.append((hand, noise))
        return out

    def hand(self, args: tuple, directions: tuple, structure: Structure) -> list[np.ndarray] | Mismatch:
        spec = self.spec
        extra: tuple = ()
        if spec.form == "jvp":
            extra = (directions if spec.wrt_is_tuple else directions[0],)
        elif spec.form in ("vjp", "hvp"):
            extra = (directions[0],)
        assert spec.derivative is not None
        return flatten_like(spec.derivative(*args, *extra), structure.treedef, structure.paths)

    def float32_points(self, tree: tuple, static, *, stream: int) -> list[tuple[tuple, tuple]]:
        """``tree`` (the arguments, or the directions) rounded to float32, then at
        :data:`NOISE_POINTS` − 1 neighbours with each float32 entry moved by up to
        :data:`NEIGHBOUR_ULPS` ulps at random (seeded; ``stream`` apart for the arguments and
        the directions), each point in float32 and in float64.  Entries ``static`` stay as they are."""
        if not tree:  # the directions of a form without any
            return [((), ())] * NOISE_POINTS
        rng = np.random.default_rng([self.spec.seed, 4093, stream])

        def leaf(a, jitter: bool):
            if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
                return a
            low = a.astype(np.float32)
            if jitter:
                # steps of the bit pattern read as an integer, one ulp each (zero, and a move out
                # of the finite numbers, stay where they are)
                steps = rng.integers(-NEIGHBOUR_ULPS, NEIGHBOUR_ULPS + 1, size=low.shape, dtype=np.int32)
                moved = (low.view(np.int32) + steps).view(np.float32)
                low = np.where(np.isfinite(moved) & (low != 0), moved, low)
            return low

        def widened(a):
            return a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32 else a

        points = []
        for k in range(NOISE_POINTS):
            rounded = functools.partial(leaf, jitter=k > 0)
            low = tuple(a if i in static else jax.tree.map(rounded, a, is_leaf=is_array_leaf) for i, a in enumerate(tree))
            points.append((low, tuple(jax.tree.map(widened, a, is_leaf=is_array_leaf) for a in low)))
        return points

    def hand_noise(self, points: list[tuple[tuple, tuple]], directions: list[tuple[tuple, tuple]],
                   structure: Structure) -> list[np.ndarray] | None:
        """ρ: the hand derivative in float32 against float64 at the same float32 point, in this lane's
        ε; the largest such difference over ``points`` and ``directions`` (:meth:`float32_points`:
        the point rounded to float32 and neighbours of it).  One point alone can be blind: a
        float32 sum that happens to be exact there shows no rounding at all."""
        scale = float(np.finfo(self.dtype).eps / np.finfo(np.float32).eps)
        worst: list[np.ndarray] | None = None
        for (low_args, high_args), (low_dirs, high_dirs) in zip(points, directions, strict=True):
            try:
                with np.errstate(all="ignore"):
                    low = self.hand(low_args, low_dirs, structure)
                    high = self.hand(high_args, high_dirs, structure)
            except Exception:  # a hand derivative that cannot run in float32 contributes no estimate
                return None
            if not isinstance(low, list) or not isinstance(high, list):
                return None
            with np.errstate(all="ignore"):
                noise = [np.abs(lo - hi) * scale for lo, hi in zip(low, high, strict=True)]
            noise = [np.where(np.isfinite(n), n, 0.0) for n in noise]
            worst = noise if worst is None else [np.maximum(w, n) for w, n in zip(worst, noise, strict=True)]
        return worst


def _list_of_numbers(arg: Any) -> bool:
    """A list or tuple whose leaves are all scalars: an array written as a list, most likely."""
    leaves = jax.tree.leaves(arg, is_leaf=is_array_leaf)
    return isinstance(arg, list | tuple) and bool(leaves) and all(np.ndim(leaf) == 0 for leaf in leaves)


def _per_row(out: dict, count: int, stacked: bool) -> list[dict] | Any:
    if stacked:
        return {name: ([leaf[:count] for leaf in leaves], [n[:count] for n in noises])
                for name, (leaves, noises) in out.items()}
    return [{name: ([leaf[k] for leaf in leaves], [n[k] for n in noises]) for name, (leaves, noises) in out.items()}
            for k in range(count)]


__all__ = ["DIRECTIONS", "DIRECTION_LABELS", "ROWS", "LaneChecker", "Started", "Structure"]
