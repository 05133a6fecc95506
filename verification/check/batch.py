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
from verification.compare import entries_agree
from verification.oracles import DIRECTIONAL, oracle_names


def first_failing(lane: LaneChecker, points: list[tuple], stats: dict[str, OracleStats]) -> int | None:
    """Check prepared ``points`` in one lane, vectorised; the index of the first failing point or None."""
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
            value, noise = result["value"]
            for p_index, p in enumerate(members):
                with np.errstate(all="ignore"):
                    mine = flatten_like(spec.primal(*points[p]), structure.out_treedef, structure.out_paths)
                if isinstance(mine, Mismatch) or any(
                        m.shape != v.shape[1:] or not np.all(entries_agree(m[None], v[count * p_index][None],
                                                                           n[count * p_index][None], **options)[0])
                        for m, v, n in zip(mine, value, noise, strict=True)):
                    failing.add(p)
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
                agree, _ = entries_agree(H, E, S, **options)
                ok = agree.reshape(len(usable), -1).all(axis=1)
                diff = np.abs(H - E)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rel = np.where(E != 0, diff / np.abs(E), 0.0)
                stats.setdefault(name, OracleStats()).add(float(np.nanmax(diff, initial=0.0)),
                                                          float(np.nanmax(rel, initial=0.0)), bool(ok.all()))
                failing.update(owner[np.array(usable)[~ok]].tolist())
    return min(failing) if failing else None


def _leaves(hand: object) -> list[np.ndarray]:
    assert isinstance(hand, list), "only rows whose hand derivative ran are usable"
    return hand


__all__ = ["first_failing"]
