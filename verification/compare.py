r"""Compare a hand-written derivative with an oracle, and say what is wrong when they differ.

Tolerance (decision D7), per entry, never scaled by the array's size:

$$ |\text{reference} - \text{oracle}| \le \text{atol} + \text{rtol}\,|\text{oracle}|, \qquad
   \text{rtol} = C\epsilon, \quad \text{atol} = C\epsilon\,\max(1, s) $$

with $\epsilon$ the dtype's machine epsilon, $C$ = ``ULPS`` and $s$ the magnitude of the
values: the largest entry of either array, or, for rules that sum terms, the magnitude of the
largest terms (``Rule.scale``), since rounding error is relative to the terms and not to a
result they cancel to.  The unit floor treats entries far below 1 on an absolute scale.

On a mismatch the report names the rule, the oracle, the worst entries, and tests the usual
explanations: a transposed Jacobian (denominator layout), a flipped sign, a constant factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ULPS = 16
"""C above.  Both sides evaluate the same formula in a different order (NumPy vs XLA, forward
vs reverse mode); for the few-term sums and library transcendentals here that differs by a few
ulps of the largest term.  Measured: the worst error over 200 examples of every rule in both
lanes was 4.9·ε·scale (scalar_product, float32), so 16 leaves a 3× margin.  A planted mistake
is off by the size of the entries themselves, millions of times more."""


def tolerance(dtype, scale: float) -> tuple[float, float]:
    """(rtol, atol) for ``dtype`` and the magnitude ``scale`` of the values."""
    eps = float(np.finfo(dtype).eps)
    return ULPS * eps, ULPS * eps * max(1.0, float(scale))


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one array (``actual``, from the reference) with an oracle."""

    rule: str
    oracle: str
    wrt: str
    dtype: str
    ok: bool
    expected_shape: tuple[int, ...]
    actual_shape: tuple[int, ...]
    rtol: float
    atol: float
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    worst_index: tuple[int, ...] | None = None
    n_mismatch: int = 0
    n_total: int = 0
    mismatches: tuple[tuple[tuple[int, ...], float, float], ...] = ()
    hint: str = ""
    note: str = ""
    inputs: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def shape_mismatch(self) -> bool:
        return self.expected_shape != self.actual_shape


def _within(actual, expected, rtol, atol) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(actual - expected) <= atol + rtol * np.abs(expected)


def _explain(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    """Name the simplest wrong rule that would produce ``actual`` from the true ``expected``."""
    if not np.all(np.isfinite(actual)):
        return "the reference holds NaN or inf: is the input outside the rule's domain?"
    if actual.ndim == 2 and actual.shape[0] == actual.shape[1] and np.all(_within(actual.T, expected, rtol, atol)):
        return "reference == oracleᵀ: the Jacobian is transposed (denominator layout instead of numerator layout)"
    if np.all(_within(-actual, expected, rtol, atol)):
        return "reference == −oracle: the sign is flipped"
    both = (np.abs(expected) > atol) & (np.abs(actual) > atol)
    if both.any():
        ratios = actual[both] / expected[both]
        factor = float(np.median(ratios))
        if np.all(_within(actual, factor * expected, rtol, atol)):
            return f"reference == {factor:.6g} × oracle: a constant factor is wrong (missing 2? 1/N vs 1/|A|?)"
    if actual.ndim == 2 and actual.shape[0] == actual.shape[1]:
        off = ~np.eye(actual.shape[0], dtype=bool)
        bad = ~_within(actual, expected, rtol, atol)
        if not bad[off].any():
            return "only diagonal entries differ"
        if not bad[~off].any():
            return "only off-diagonal entries differ: is the element-wise diagonal condition assumed where it does not hold?"
    return ""


def compare(actual, expected, *, rule: str, oracle: str, wrt: str = "", dtype=np.float64,
            scale: float | None = None, note: str = "", inputs: dict | None = None) -> Comparison:
    """Compare ``actual`` (the hand-written reference) with ``expected`` (the oracle).

    Shapes must be equal: a shape mismatch is reported as such, never broadcast.
    """
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if scale is None:
        finite = [np.abs(a[np.isfinite(a)]).max(initial=0.0) for a in (actual, expected)]
        scale = max(finite)
    rtol, atol = tolerance(dtype, scale)
    common = dict(rule=rule, oracle=oracle, wrt=wrt, dtype=np.dtype(dtype).name, rtol=rtol, atol=atol,
                  expected_shape=expected.shape, actual_shape=actual.shape, note=note, inputs=inputs or {})
    if actual.shape != expected.shape:
        return Comparison(ok=False, hint="shapes differ: the layout is wrong (D1: output.shape + input.shape)", **common)
    diff = np.abs(actual - expected)
    diff = np.where(np.isnan(diff), np.inf, diff)
    allowed = atol + rtol * np.abs(expected)
    bad = ~(diff <= allowed)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rel = diff / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)  # inf where oracle is 0
        excess = diff / allowed
    order = np.argsort(-excess, axis=None, kind="stable")
    worst = tuple(int(i) for i in np.unravel_index(order[0], actual.shape)) if actual.size else None
    n_bad = int(bad.sum())
    mismatches = tuple(
        (idx, float(actual[idx]), float(expected[idx]))
        for idx in (tuple(int(i) for i in np.unravel_index(k, actual.shape)) for k in order[: min(n_bad, 5)])
    )
    return Comparison(
        ok=n_bad == 0,
        max_abs_err=float(diff.max(initial=0.0)),
        max_rel_err=float(rel.max(initial=0.0)),
        worst_index=worst,
        n_mismatch=n_bad,
        n_total=int(actual.size),
        mismatches=mismatches,
        hint="" if n_bad == 0 else _explain(actual, expected, rtol, atol),
        **common,
    )


def format_comparison(c: Comparison) -> str:
    """A numpy.testing-style report of ``c``: rule, oracle, tolerance, worst entries, hint."""
    against = "value" if c.oracle == "value" else f"jax.{c.oracle}" if c.oracle in ("jacfwd", "jacrev", "grad") else c.oracle
    wrt = f" w.r.t. {c.wrt}" if c.wrt else ""
    status = "agrees with" if c.ok else "DISAGREES with"
    lines = [f"Rule {c.rule}{wrt} {status} {against} [{c.dtype}]",
             f"  tolerance: |reference - oracle| <= {c.atol:.3g} + {c.rtol:.3g}·|oracle|"]
    if c.shape_mismatch:
        lines.append(f"  shape mismatch: reference {c.actual_shape}, oracle {c.expected_shape}")
    else:
        pct = 100 * c.n_mismatch / c.n_total if c.n_total else 0.0
        lines.append(f"  mismatched elements: {c.n_mismatch} / {c.n_total} ({pct:.1f}%)")
        if c.mismatches:
            lines.append(f"  {'index':<12} {'reference':>16} {'oracle':>16} {'|diff|':>12}")
            for idx, a, e in c.mismatches:
                lines.append(f"  {str(idx):<12} {a:>16.9g} {e:>16.9g} {abs(a - e):>12.3g}")
        lines.append(f"  worst entry: {c.worst_index}")
        lines.append(f"  max absolute difference: {c.max_abs_err:.3g}")
        lines.append(f"  max relative difference: {c.max_rel_err:.3g}")
    if c.hint:
        lines.append(f"  hint: {c.hint}")
    if c.note and not c.ok:
        lines.append(f"  note: {c.note}")
    for name, value in c.inputs.items():
        lines.append(f"  {name} = {np.array2string(np.asarray(value), precision=9)}")
    return "\n".join(lines)
