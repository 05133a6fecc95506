r"""The float32 lane at the resolution a check promises: the float32 point checked in float64 too.

A check in float32 must still fail a relative error of $10^{-3}$ on every entry of at least
$10^{-3}$ of the derivative's scale (:data:`verification.compare.RESOLUTION`).  Comparing in
float32 sees that wherever float32's rounding at the entry is finer; where it is coarser (the
oracle's own rounding, or the hand formula's, is as large as the error: a variance of values near
1000, $1 - \tanh^2(x)$ near $10^{-3}$, an RNN's gradient after 100 steps), no float32 comparison
can tell a correct formula from a wrong one.  There the same float32 point (exactly a float64
point) is checked in the float64 lane: the hand derivative in float64 against the oracles in
float64, with float64's rounding.  The float32 comparison still decides whether the derivative
survives float32; the float64 one decides whether its formula is right at that point.

Nothing is rechecked where it cannot tell more: a check whose float64 lane runs too (it checks
the formula at float64's resolution at the user's own point), explicit ``rtol``/``atol`` (the
user chose the resolution), a float32 lane that already failed, or a hand derivative whose
float64 values are float32 numbers (one that computes in float32 whatever it is given: float64
cannot see past that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from verification.check.lane import LaneChecker
from verification.check.point import check_point
from verification.check.spec import CheckSpec, prepare
from verification.compare import JUDGED_FRACTION, RESOLUTION, Comparison

FLOAT32, FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def needs_recheck(spec: CheckSpec, dtype: np.dtype) -> bool:
    """Whether a check in lane ``dtype`` may need the float64 recheck at all: float32, without
    explicit ``rtol``/``atol`` (the caller knows whether the float64 lane runs too)."""
    return np.dtype(dtype) == FLOAT32 and spec.rtol is None and spec.atol is None


def needs_float64(spec: CheckSpec, dtype: np.dtype, comparisons: Sequence[Comparison]) -> bool:
    """Whether a float32 lane's comparisons, all passing, leave an entry unresolved (see the
    module docstring)."""
    return (needs_recheck(spec, dtype) and bool(comparisons) and all(c.ok for c in comparisons)
            and not all(c.resolved for c in comparisons))


def recheck_in_float64(spec: CheckSpec, point32: tuple, *, diagnose: bool = True,
                       lane: LaneChecker | None = None) -> tuple[list[Comparison], list[str]]:
    """The float32 ``point32`` checked in the float64 lane (nothing, where float64 cannot tell
    more: see the module docstring), its comparisons noted as such.  ``lane``: the float64 lane
    checker to use (a search passes its own, padded, so the rechecks of its points run the batch
    program that the float64 lane compiles anyway)."""
    lane = lane or LaneChecker(spec, FLOAT64)
    point = prepare(spec, point32, FLOAT64)
    if spec.derivative is not None and _computed_in_float32(lane, point):
        return [], []
    comparisons, notes = check_point(spec, lane, point, diagnose=diagnose)
    why = (f"the float32 point checked in float64: float32's rounding there cannot resolve a relative error "
           f"of {RESOLUTION['float32']:g} on every entry of at least {JUDGED_FRACTION:g} of the derivative's scale")
    return [_noted(c, why) for c in comparisons], notes


def _computed_in_float32(lane: LaneChecker, point: tuple) -> bool:
    """Whether the hand derivative's float64 values at ``point`` are all float32 numbers."""
    structure = lane.structure(point)
    try:
        with np.errstate(all="ignore"):
            hand = lane.hand(point, lane.rows(point, structure)[0][1], structure)
    except Exception:  # the float64 check reports it
        return False
    if not isinstance(hand, list):
        return False
    return all(np.array_equal(h.astype(np.float32).astype(np.float64), h, equal_nan=True) for h in hand)


def _noted(c: Comparison, why: str) -> Comparison:
    return replace(c, note=f"{c.note}; {why}" if c.note else why)


__all__ = ["FLOAT32", "FLOAT64", "needs_float64", "needs_recheck", "recheck_in_float64"]
