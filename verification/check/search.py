"""Many hypothesis-drawn points in one lane, and a failure shrunk to its minimal point.

Hypothesis draws a batch of points per example (:data:`BATCH`); the batch goes through the
vectorised filter (:mod:`.batch`), a point it flags is confirmed by the full check of one point,
and on a confirmed failure hypothesis shrinks the batch.  The minimal failing point's report is
built once at the end, with every diagnosis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from verification.check.batch import first_failing
from verification.check.lane import LaneChecker
from verification.check.point import check_point
from verification.check.resolution import FLOAT64, needs_float64, needs_recheck, recheck_in_float64
from verification.check.results import DerivativeCheck, OracleStats
from verification.check.spec import CheckSpec, prepare

BATCH = 32
"""Points drawn per hypothesis example: the oracles run on them in one vmapped call, and
hypothesis shrinks a failing batch to its minimal failing point."""
MIN_EXAMPLES = 16
"""At least this many hypothesis examples per run: the first one hypothesis tries is its
simplest (all zeros), so a run of one or two batches would mostly check that one point."""


class _Found(Exception):
    pass


def search_lane(spec: CheckSpec, strategy: st.SearchStrategy, dtype: np.dtype, *, points: int,
                note: str, alone: bool = False) -> tuple[int, dict[str, OracleStats], tuple[tuple, DerivativeCheck] | None]:
    """(points checked, stats per oracle, (minimal failing args, its report) or None) in one lane.
    ``alone``: no other lane is verified, so a float32 point that float32 cannot resolve is
    checked in float64 too (:mod:`.resolution`)."""
    lane = LaneChecker(spec, dtype, padded=True)
    stats: dict[str, OracleStats] = {}
    state: dict[str, Any] = {"count": 0, "failure": None}
    batch = min(BATCH, max(1, points // MIN_EXAMPLES))
    recheck = alone and needs_recheck(spec, dtype)
    float64_lane = LaneChecker(spec, FLOAT64, padded=True) if recheck else None

    def full_check(raw: tuple, *, diagnose: bool) -> tuple[list, list[str]]:
        point = prepare(spec, raw, dtype)
        comparisons, notes = check_point(spec, lane, point, diagnose=diagnose)
        if recheck and needs_float64(spec, dtype, comparisons):
            more, more_notes = recheck_in_float64(spec, point, diagnose=diagnose, lane=float64_lane)
            comparisons, notes = comparisons + more, notes + more_notes
        return comparisons, notes

    def confirmed(raw: tuple) -> bool:
        comparisons, _ = full_check(raw, diagnose=False)
        return not all(c.ok for c in comparisons)

    # deadline=None: the first batch at each shape compiles the oracles, which a deadline would
    # time instead of the check.  One example is a whole batch of points by design, so it is
    # large and slower than hypothesis expects of one example: those health checks would only
    # restate the batch size.
    @hypothesis_seed(spec.seed)
    @settings(max_examples=-(-points // batch), deadline=None, database=None, derandomize=False,
              phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False,
              suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example))
    @given(st.lists(strategy, min_size=batch, max_size=batch))
    def run(drawn: list) -> None:
        raws = [args if isinstance(args, tuple) else (args,) for args in drawn]
        prepared = [prepare(spec, raw, dtype) for raw in raws]
        unresolved: set[int] | None = set() if recheck else None
        failing = first_failing(lane, prepared, stats if state["failure"] is None else {}, unresolved)
        if state["failure"] is None:
            state["count"] += len(prepared)
        # the full check confirms what the filter flagged, and checks in float64 what it could not resolve
        for p in ([failing] if failing is not None else []) + sorted(unresolved or ()):
            if confirmed(raws[p]):
                state["failure"] = raws[p]
                raise _Found

    try:
        run()
    except _Found:
        pass
    if state["failure"] is None:
        return state["count"], stats, None
    # hypothesis ran the minimal failing point last; its report, with every diagnosis
    raw = state["failure"]
    comparisons, notes = full_check(raw, diagnose=True)
    report = DerivativeCheck(name=spec.name, form=spec.form, passed=False, comparisons=tuple(comparisons),
                             notes=tuple(f"[{dtype.name}] {x}" for x in notes) + ((note,) if note else ()),
                             seed=spec.seed, dtypes=(dtype.name,))
    return state["count"], stats, (raw, report)


__all__ = ["BATCH", "MIN_EXAMPLES", "search_lane"]
