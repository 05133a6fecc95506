r"""Points where ``f`` is not differentiable: found, named, and judged by the ``kinks`` policy.

At a ReLU tie, ``|x|`` at 0 or a ``max`` tie JAX returns one convention and a hand derivative
may take another.  Such a point is detected when a comparison fails, by the one-sided
derivatives $J(x \pm h d)$ along probe directions $d$ (one per argument, all of its float leaves
moved together, and :data:`PROBES` seeded random ones) differing by more than their smooth
variation, measured between $h$ and $2h$ with $h = \sqrt{\epsilon}\max(1, |x|)$.  The policy:

- ``"jax"`` (default): the derivative must equal JAX's value, as away from kinks;
- ``"either"``: any one-sided derivative is accepted, entry by entry;
- ``"fail"``: a non-differentiable point fails the check (probed at every point).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from verification.check.lane import LaneChecker
from verification.check.trees import is_array_leaf
from verification.compare import tolerance
from verification.oracles import oracle_names

PROBES = 4
"""Random probe directions (besides one per argument) for locating a non-differentiable point."""


def _float_map(fn, tree: Any) -> Any:
    return jax.tree.map(lambda a: fn(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a, tree,
                        is_leaf=is_array_leaf)


def _largest(tree: Any) -> float:
    return max((float(np.max(np.abs(a), initial=0.0)) for a in jax.tree.leaves(tree, is_leaf=is_array_leaf)
                if isinstance(a, np.ndarray) and a.dtype.kind == "f"), default=0.0)


def probe_kinks(lane: LaneChecker, args: tuple, rows: list, results: list[dict], hands: list,
                failed: bool) -> tuple[list[str], bool]:
    """Locate a non-differentiable point and apply the policy: (notes, accept the failures)."""
    spec, dtype = lane.spec, lane.dtype
    structure = lane.structure(args)
    name = oracle_names(spec.form, structure.scalar_output)[0]
    dynamic = [i for i in range(len(args)) if i not in spec.static]
    rng = np.random.default_rng([spec.seed, 7919])
    probes: list[dict[int, Any]] = []
    labels: list[tuple[str, str]] = []
    for i in dynamic:
        probes.append({i: _float_map(np.ones_like, args[i])})
        labels.append((f"from above ({spec.arg_name(i)} + h)", f"from below ({spec.arg_name(i)} − h)"))
    for k in range(PROBES):
        probes.append({i: _float_map(lambda a: rng.standard_normal(a.shape).astype(dtype), args[i]) for i in dynamic})
        labels.append((f"along +r{k + 1}", f"along −r{k + 1} (r{k + 1} a seeded random direction)"))
    step = {i: float(np.sqrt(np.finfo(dtype).eps)) * max(1.0, _largest(args[i])) for i in dynamic}

    def moved(s: float, d: dict[int, Any]) -> tuple:
        return tuple(jax.tree.map(lambda a, e, i=i: (a + s * step[i] * e).astype(dtype)
                                  if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a,
                                  a_i, d[i], is_leaf=is_array_leaf) if i in d else a_i
                     for i, a_i in enumerate(args))

    notes: list[str] = []
    accepted_all, found = failed, False
    for k, (_, directions) in enumerate(rows):
        values = lane.probe(args, directions, [moved(s, d) for d in probes for s in (1, 2, -1, -2)])
        jax_leaves = results[k][name][0]
        hand = hands[k][0]
        for part, label in enumerate(structure.labels):
            limits = []  # (L, variation) pairs
            jump = 0.0
            allowed = tolerance(jax_leaves[part], 0.0, dtype=dtype, rtol=spec.rtol, atol=spec.atol)
            for p in range(len(probes)):
                v1, v2, w1, w2 = (values[4 * p + s][part] for s in range(4))
                plus, minus = (v1, np.abs(v2 - v1)), (w1, np.abs(w2 - w1))
                limits += [plus, minus]
                gap = np.abs(plus[0] - minus[0]) - (allowed + 2 * (plus[1] + minus[1]))
                jump = max(jump, float(np.max(gap, initial=-np.inf)))
            if jump <= 0:
                continue
            found = True
            h = np.asarray(hand[part], np.float64) if isinstance(hand, list) else np.asarray(np.nan)
            mine = _side_of(h, limits, allowed)
            theirs = _side_of(np.asarray(jax_leaves[part], np.float64), limits, allowed)
            entrywise = h.shape == np.shape(jax_leaves[part]) and bool(np.all(
                np.any([np.abs(h - limit) <= allowed + 2 * variation for limit, variation in limits], axis=0)))
            where = f" ({label})" if label and len(structure.labels) > 1 else ""
            notes.append(f"f is not differentiable at this point{where} (the one-sided derivatives differ by up to "
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


def _side_of(value: np.ndarray, limits: list, allowed: np.ndarray) -> int | None:
    """The index of the first one-sided limit ``value`` equals (within its variation), or None."""
    for idx, (limit, variation) in enumerate(limits):
        if value.shape == limit.shape and np.all(np.abs(value - limit) <= allowed + 2 * variation):
            return idx
    return None


def _describe(idx: int | None, labels: list[tuple[str, str]]) -> str:
    if idx is None:
        return "none of the one-sided derivatives"
    return f"the one-sided derivative {labels[idx // 2][idx % 2]}"


__all__ = ["PROBES", "probe_kinks"]
