"""Why a derivative failed, when the cause lies across leaves or arguments.

One leaf's own mistakes (transposed, sign, constant factor, ...) are named by
:func:`verification.compare.explain`.  These look wider, at the failing leaves of a point:

- the derivative with respect to another argument (``wrt`` pointing at the wrong one);
- two leaves of the same shape swapped (``the gradient of ['W1'] is in ['W2'] and vice versa``),
  which also names a list of layers in reverse order;
- a bias gradient not summed over the batch (a leaf with an extra leading axis whose sum is right).
"""

from __future__ import annotations

import numpy as np

from verification.check.lane import LaneChecker, Structure
from verification.compare import entries_agree
from verification.oracles import oracle_names


def _agrees(lane: LaneChecker, actual: np.ndarray, expected: np.ndarray, noise) -> bool:
    spec = lane.spec
    if np.shape(actual) != np.shape(expected):
        return False
    agree, _ = entries_agree(actual, expected, noise, dtype=lane.dtype, rtol=spec.rtol, atol=spec.atol)
    return bool(np.all(agree))


def wrong_argument(lane: LaneChecker, args: tuple, rows: list, hands: list, failed: list) -> list[str]:
    """Does a failing leaf match the oracle with respect to another (single-array) argument?"""
    spec = lane.spec
    if spec.form not in ("jacobian", "vjp"):
        return []
    structure = lane.structure(args)
    first = oracle_names(spec.form, structure.scalar_output)[0]
    others = [i for i in range(len(args)) if i not in spec.static and i not in spec.wrt
              and isinstance(args[i], np.ndarray) and args[i].dtype.kind == "f"]
    notes = []
    for k, part, c in failed:
        hand = hands[k][0]
        if c.oracle != first or not isinstance(hand, list):
            continue
        for j in others:
            if np.ndim(args[j]) == 0 and hand[part].shape != ():
                continue
            result = lane.oracles_wrt(args, rows[k][1], j)
            leaves, noise = result[first]
            if len(leaves) == 1 and _agrees(lane, hand[part], leaves[0], noise[0]):
                notes.append(f"the derivative w.r.t. {structure.labels[part]} equals JAX's derivative w.r.t. "
                             f"{spec.arg_name(j)}: it is taken with respect to the wrong argument")
    return notes


def across_leaves(lane: LaneChecker, structure: Structure, result: dict, hand: list[np.ndarray],
                  failing: set[int]) -> list[str]:
    """Swapped leaves, a reversed list, a bias gradient not summed over the batch."""
    first = oracle_names(lane.spec.form, structure.scalar_output)[0]
    leaves, noise = result[first]
    labels = structure.labels
    notes: list[str] = []
    found: dict[int, int] = {}
    for a in sorted(failing):
        for b in range(len(leaves)):
            if b != a and _agrees(lane, hand[a], leaves[b], noise[b]):
                found[a] = b
                break
    reported: set[int] = set()
    for a, b in found.items():
        if a in reported:
            continue
        if found.get(b) == a:
            notes.append(f"the derivative of {labels[a]} is in {labels[b]} and vice versa: two leaves swapped"
                         " (a list of layers in reverse order?)" if len(found) > 2 else
                         f"the derivative of {labels[a]} is in {labels[b]} and vice versa: two leaves swapped")
            reported |= {a, b}
        else:
            notes.append(f"the derivative of {labels[a]} holds what JAX gives for {labels[b]}")
            reported.add(a)
    for a in sorted(failing):
        h, expected = hand[a], leaves[a]
        if h.ndim == expected.ndim + 1 and h.shape[1:] == expected.shape and h.shape[0] > 1 \
                and _agrees(lane, h.sum(axis=0), expected, noise[a] * np.sqrt(h.shape[0])):
            notes.append(f"the derivative of {labels[a]} has an extra leading axis of {h.shape[0]}: summed over "
                         "it, it equals JAX's (a bias gradient not summed over the batch?)")
    return notes


__all__ = ["across_leaves", "wrong_argument"]
