r"""Run the corpus: each case's correct derivative and each planted mistake, over random draws, per lane.

A *false alarm* is a correct derivative that :func:`verification.check_derivative` fails; a *miss*
is a planted mistake that it passes.  Each draw is one point (seeded by the case's name and the
draw's number, so a run is reproducible) checked in one lane; the report keeps the counts and the
first failing report of each kind per case and lane.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from verification.check import check_derivative
from verification.corpus.case import LANES, Case
from verification.corpus.catalog import CASES


@dataclass
class CaseResult:
    """One case in one lane: draws, false alarms, misses per mistake, the first report of each."""

    case: str
    family: str
    lane: str
    draws: int = 0
    false_alarms: int = 0
    misses: dict[str, int] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)
    first_false_alarm: str | None = None
    first_miss: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def missed(self) -> int:
        """Planted mistakes that passed."""
        return sum(self.misses.values())

    @property
    def mistakes(self) -> int:
        return sum(self.planted.values())


@dataclass
class CorpusReport:
    """Every :class:`CaseResult` of a run, in order."""

    results: list[CaseResult] = field(default_factory=list)
    draws: int = 0

    @property
    def false_alarms(self) -> int:
        return sum(r.false_alarms for r in self.results)

    @property
    def missed(self) -> int:
        return sum(r.missed for r in self.results)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    def markdown(self) -> str:
        """The counts as a markdown table (one row per case and lane, the lane as 64 or 32),
        readable at 80 columns: false alarms of the correct derivative and planted mistakes that
        passed (named when any did)."""
        lines = ["| case | lane | false alarms | missed |", "|---|---|---:|---:|"]
        for r in self.results:
            missed = f"{r.missed} / {r.mistakes}"
            if r.missed:
                missed += " (" + ", ".join(f"{n} {name}" for name, n in r.misses.items() if n) + ")"
            lines.append(f"| {r.case} | {r.lane[-2:]} | {r.false_alarms} / {r.draws} | {missed} |")
        lines.append(f"| **all** | | **{self.false_alarms}** | **{self.missed}** |")
        return "\n".join(lines)

    def failures(self) -> str:
        """The first false alarm and the first miss of every case and lane that has one."""
        out = []
        for r in self.results:
            if r.first_false_alarm:
                out.append(f"false alarm, {r.case} [{r.lane}]:\n{r.first_false_alarm}")
            for name, report in r.first_miss.items():
                out.append(f"missed '{name}', {r.case} [{r.lane}]:\n{report}")
        return "\n\n".join(out)


def draw_point(case: Case, index: int) -> tuple:
    """The ``index``-th point of ``case``: seeded by its name and ``index``."""
    return case.draw(np.random.default_rng([zlib.crc32(case.name.encode()), index]))


def run_case(case: Case, lane: str, draws: int, *, start: int = 0, **check_options) -> CaseResult:
    """``case`` at ``draws`` points in ``lane``: the correct derivative and every mistake planted there."""
    result = CaseResult(case=case.name, family=case.family, lane=lane)
    began = time.perf_counter()
    planted = [m for m in case.mistakes if lane in m.lanes]
    for index in range(start, start + draws):
        args = draw_point(case, index)
        common = dict(wrt=case.wrt, form=case.form, dtype=lane, seed=index, name=case.name, **check_options)
        check = check_derivative(case.f, case.derivative, *args, **common)
        result.draws += 1
        if not check.passed:
            result.false_alarms += 1
            result.first_false_alarm = result.first_false_alarm or str(check)
        for mistake in planted:
            check = check_derivative(case.f, mistake.derivative, *args, **common)
            result.planted[mistake.name] = result.planted.get(mistake.name, 0) + 1
            result.misses.setdefault(mistake.name, 0)
            if check.passed:
                result.misses[mistake.name] += 1
                result.first_miss.setdefault(mistake.name, str(check))
    result.seconds = time.perf_counter() - began
    return result


def run_corpus(draws: int = 100, dtypes: Sequence[str] = LANES, *, cases: Iterable[Case] | None = None,
               **check_options) -> CorpusReport:
    """Every case of the corpus (or ``cases``) at ``draws`` points in each lane of ``dtypes``.

    ``check_options`` go to :func:`verification.check_derivative` (for instance ``rtol``/``atol``).

    Example:
        >>> from verification.corpus import CASES
        >>> report = run_corpus(1, ["float64"], cases=CASES[:1])
        >>> report.false_alarms, report.missed
        (0, 0)
    """
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise ValueError(f"draws: expected an int >= 1, got {draws!r}")
    for lane in dtypes:
        if lane not in LANES:
            raise ValueError(f"dtypes: expected lanes among {LANES}, got {lane!r}")
    report = CorpusReport(draws=draws)
    for case in (CASES if cases is None else tuple(cases)):
        for lane in dtypes:
            report.results.append(run_case(case, lane, draws, **check_options))
    return report


__all__ = ["CaseResult", "CorpusReport", "draw_point", "run_case", "run_corpus"]
