"""What a check returns: one point's report (:class:`DerivativeCheck`) and a run over many points
(:class:`VerifyResult`, with the worst error per oracle in :class:`OracleStats`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from verification.compare import Comparison, lost_accuracy_note


@dataclass(frozen=True)
class DerivativeCheck:
    """The outcome of :func:`verification.check_derivative` at one point: ``passed``, every
    comparison made (one per leaf, oracle and lane), and notes that explain a failure.
    ``str()`` is the full report."""

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

    def mismatches_per_leaf(self) -> dict[str, tuple[int, int]]:
        """For each failing leaf: (mismatched entries, entries), the worst over oracles and lanes."""
        out: dict[str, tuple[int, int]] = {}
        for c in self.failures:
            if " vs " in c.oracle:
                continue
            bad = c.n_total if c.shape_mismatch else c.n_mismatch
            total = max(c.n_total, 1)
            if bad >= out.get(c.wrt, (0, 0))[0]:
                out[c.wrt] = (bad, total)
        return out

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"check of {self.name} ({self.form}, {', '.join(self.dtypes)}, seed {self.seed}): {verdict}"]
        per_leaf = self.mismatches_per_leaf()
        if len(per_leaf) > 1 or (per_leaf and next(iter(per_leaf))):
            lines.append("  failing leaves: " + "; ".join(
                f"{leaf or 'the derivative'} ({bad} of {total} entries)" for leaf, (bad, total) in per_leaf.items()))
        noted: set[tuple[str, str]] = set()
        for c in self.comparisons:
            if c.ok:
                lines.append(f"  ok    {summary(c)}")
                if c.lost_accuracy and " vs " not in c.oracle and (c.wrt, c.dtype) not in noted:
                    noted.add((c.wrt, c.dtype))  # once per leaf and lane: every oracle sees the same entries
                    lines.append(f"        lost accuracy: {lost_accuracy_note(c)}")
        shown: set[tuple[str, str]] = set()
        for c in self.failures:
            if (c.wrt, c.dtype) in shown:  # the same mistake seen by another oracle: one line
                lines.append(f"  FAIL  {summary(c)}")
                continue
            shown.add((c.wrt, c.dtype))
            lines.append(str(c))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def summary(c: Comparison) -> str:
    """One line for a comparison."""
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
    """The outcome of :func:`verification.verify_derivative`: ``passed``, how many points each
    lane checked (``points``), the worst error per oracle and lane, and, on a failure, the shrunk
    minimal failing point (``failing_args``) with its report (``failure``)."""

    name: str
    form: str
    passed: bool = True
    points: dict[str, int] = field(default_factory=dict)
    """The points checked, per lane (by the lane's name)."""
    stats: dict[str, dict[str, OracleStats]] = field(default_factory=dict)
    """The worst errors per lane and oracle."""
    failure: DerivativeCheck | None = None
    """The report of the minimal failing point, or None."""
    failing_args: tuple[Any, ...] | None = None
    """The minimal failing point's arguments, or None."""

    @property
    def examples(self) -> dict[str, int]:
        """The points checked per lane (the older name of :attr:`points`)."""
        return self.points

    def __str__(self) -> str:
        counts = ", ".join(f"{n} points in {d}" for d, n in self.points.items())
        head = f"verification of {self.name} ({self.form}): {'passed' if self.passed else 'FAILED'} ({counts})"
        return head if self.failure is None else f"{head}\nminimal failing point:\n{self.failure}"


__all__ = ["DerivativeCheck", "OracleStats", "VerifyResult", "summary"]
