"""Many points in one lane at once: a vectorised filter in front of the full check of one point.

The points of a batch are grouped by signature; each group's oracles run in one vmapped call.
The verdict is :func:`verification.compare.entries_agree`, the same as one point's, without the
hand derivative's own noise estimate (which can only widen the tolerance): a point the filter
passes passes the full check too, and a point it fails is checked again fully.
"""

from __future__ import annotations

import math

import numpy as np

from verification.check.lane import DIRECTIONS, LaneChecker
from verification.check.point import verdict_options
from verification.check.results import OracleStats
from verification.check.trees import Mismatch, flatten_like
from verification.compare import entries_agree, resolves
from verification.oracles import DIRECTIONAL, oracle_names


def first_failing(lane: LaneChecker, points: list[tuple], stats: dict[str, OracleStats],
                  unresolved: set[int] | None = None) -> int | None:
    """Check prepared ``points`` in one lane, vectorised; the index of the first failing point or
    None.  With ``unresolved``, the points whose comparisons pass without resolving
    :data:`verification.compare.RESOLUTION` are added to it (:mod:`.resolution`)."""
    spec = lane.spec
    groups: dict[tuple, list[int]] = {}
    for p, args in enumerate(points):
        groups.setdefault(lane.signature(args), []).append(p)
    failing: set[int] = set()
    count = DIRECTIONS if spec.form in DIRECTIONAL else 1
    options = dict(dtype=lane.dtype, rtol=spec.rtol, atol=spec.atol, batched=True, **verdict_options(spec))
    for members in groups.values():
        structure = lane.structure(points[members[0]])
        rows, owner_list = [], []
        for p in members:
            for k in range(count):
                rows.append((points[p], lane.directions(structure, k)))
                owner_list.append(p)
        owner = np.array(owner_list)
        started = lane.start(rows, stacked=True)
        result = lane.oracle_results(started)
        assert isinstance(result, dict)
        if spec.primal is not None:
            failing.update(_primal_failures(lane, points, members, result["value"], structure, count, options))
        hands = lane.hands(started, with_noise=False)
        for r, (hand, _) in enumerate(hands):
            if not isinstance(hand, list):
                failing.add(int(owner[r]))
        for name in oracle_names(spec.form, structure.scalar_output):
            leaves, noises = result[name]
            for part, (expected, sigma) in enumerate(zip(leaves, noises, strict=True)):
                usable = []
                for r, (hand, _) in enumerate(hands):
                    if not isinstance(hand, list):
                        continue
                    if np.shape(hand[part]) == expected.shape[1:]:
                        usable.append(r)
                    else:
                        failing.add(int(owner[r]))
                        stats.setdefault(name, OracleStats()).add(math.inf, math.inf, False)
                if not usable:
                    continue
                H = np.stack([_leaves(hands[r][0])[part] for r in usable])
                E, S = expected[usable], sigma[usable]
                agree, allowed = entries_agree(H, E, S, **options)
                ok = agree.reshape(len(usable), -1).all(axis=1)
                if unresolved is not None:
                    coarse = ~resolves(E, allowed, dtype=lane.dtype, batched=True)
                    unresolved.update(owner[np.array(usable)[coarse]].tolist())
                diff = np.abs(H - E)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rel = np.where(E != 0, diff / np.abs(E), 0.0)
                stats.setdefault(name, OracleStats()).add(float(np.nanmax(diff, initial=0.0)),
                                                          float(np.nanmax(rel, initial=0.0)), bool(ok.all()))
                failing.update(owner[np.array(usable)[~ok]].tolist())
    return min(failing) if failing else None


def _primal_failures(lane: LaneChecker, points: list[tuple], members: list[int], value: tuple, structure,
                     count: int, options: dict) -> set[int]:
    """The members whose NumPy twin ``primal`` disagrees with ``f``'s value, leaf by leaf, vectorised."""
    assert lane.spec.primal is not None
    leaves, noises = value
    failing, usable, mine = set(), [], []
    for p in members:
        with np.errstate(all="ignore"):
            twin = flatten_like(lane.spec.primal(*points[p]), structure.out_treedef, structure.out_paths)
        if isinstance(twin, Mismatch) or any(m.shape != v.shape[1:] for m, v in zip(twin, leaves, strict=True)):
            failing.add(p)
        else:
            usable.append(p)
            mine.append(twin)
    if not usable:
        return failing
    rows = np.array([count * members.index(p) for p in usable])
    ok = np.ones(len(usable), bool)
    for leaf, (v, n) in enumerate(zip(leaves, noises, strict=True)):
        agree, _ = entries_agree(np.stack([m[leaf] for m in mine]), v[rows], n[rows], **options)
        ok &= agree.reshape(len(usable), -1).all(axis=1)
    return failing | {p for p, good in zip(usable, ok, strict=True) if not good}


def _leaves(hand: object) -> list[np.ndarray]:
    assert isinstance(hand, list), "only rows whose hand derivative ran are usable"
    return hand


__all__ = ["first_failing"]
