r"""Compare a hand-written derivative with an oracle, and say what is wrong when they differ.

Tolerance, per entry $k$ of one compared array (a derivative's leaf at one point), never scaled
by the array's size:

$$ |\text{derivative}_k - \text{oracle}_k| \le \max\Big(C\,\max(\sigma_k, \rho_k) + R\,\epsilon\,|\text{oracle}_k| + \text{tiny},\;
   S\,\epsilon\,\max_j |\text{oracle}_j|\Big) $$

- $\sigma_k$ is the rounding noise of the oracle's entry, measured from its own computation
  by perturbed re-evaluation (:mod:`verification.noise`): where terms cancel or a function
  saturates it is as large as $\epsilon$ times the terms, not the result.
- $\rho_k$ is the rounding noise of the hand derivative: the difference between the hand
  derivative evaluated in float32 and in float64 at the same (float32) point, scaled by
  $\epsilon/\epsilon_{32}$.  It covers a hand formula that is less stable than JAX's.
- $C$ = ``NOISE_FACTOR``, $R$ = ``RELATIVE_ULPS``, $\epsilon$ the dtype's machine epsilon.
- tiny is the smallest normal number divided by $\epsilon$: XLA flushes subnormal results to
  zero where NumPy keeps them, and a value that passed through the subnormal range carries an
  error of about the smallest normal number relative to its own last bits.
- The second bound is the *scale rule*, $S$ = ``SCALE_ULPS``: wrong is not the same as
  inaccurate.  The scale is the largest entry of the oracle's array (the whole leaf at one
  point; per point when a batch is judged): every use of a derivative (a gradient step, a
  product with a vector, a chain rule) adds its entries into results of that size, where an
  error below a few ulps of the largest entry is rounded away.  A correct formula that loses
  relative accuracy in its tiny entries, $(1 + \tanh(x/2))/2$ for $\sigma(x)$ at $x = -50$
  (0 against $1.9\cdot10^{-22}$), therefore passes, and the comparison notes the entries that
  passed by this rule alone (:func:`lost_accuracy_note`).  ``entrywise=True`` drops it: every
  entry is judged against its own rounding only.

Explicit ``rtol``/``atol`` replace the whole rule by $\text{atol} + \text{rtol}\,|\text{oracle}_k|$.

On a mismatch the report names the worst entries and tests the usual explanations: a
transposed Jacobian, the denominator layout, a flipped sign, a constant factor, only the
diagonal or only the off-diagonal entries wrong.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOISE_FACTOR = 8.0
"""C above: both sides' rounding errors are each of the size of the measured noise (the
spread of 8 perturbed evaluations); their difference can reach twice that, and 8 leaves a
factor 4 for a hand formula whose own rounding is larger than JAX's."""
RELATIVE_ULPS = 4.0
"""R above: the final rounding of each side, half an ulp each, with a margin."""
SCALE_ULPS = 4.0
r"""S above: the rounding of the derivative's largest entry on each side (half an ulp each), with
the margin of ``RELATIVE_ULPS``.  Kept below 8 so that a relative error of $10^{-3}$ on an entry
of $10^{-3}$ of the scale still fails in float32 ($10^{-6} > 4\epsilon_{32} = 4.8\cdot10^{-7}$)."""
JUDGED_FRACTION = 1e-3
"""The entries a check answers for: those of at least this fraction of the derivative's scale."""
RESOLUTION = {"float64": 1e-9, "float32": 1e-3}
r"""The relative error a check in each lane must see on every entry of at least
``JUDGED_FRACTION`` of the scale.  A comparison *resolves* it when its tolerance there is below
half of it (the other half is left to the hand side's own rounding, which can hide part of a
planted error); where float32's rounding of the oracle or of the hand formula is coarser (a
variance of values near 1000, $1 - \tanh^2$ near $10^{-3}$), the float32 point is checked in
float64 too (:mod:`verification.check.resolution`)."""


@functools.cache
def _name(dtype) -> str:
    return np.dtype(dtype).name


def _scale(oracle: np.ndarray, batched: bool) -> np.ndarray:
    """The derivative's scale: max |oracle| over the finite entries of the array, or of each
    point (axis 0 indexing points) when ``batched``; shaped to broadcast against ``oracle``
    (which holds magnitudes)."""
    if batched and oracle.ndim >= 1:
        rows = oracle.reshape(oracle.shape[0], -1)
        top = rows.max(axis=1, initial=0.0)
        if not np.all(np.isfinite(top)):
            top = np.where(np.isfinite(rows), rows, 0.0).max(axis=1, initial=0.0)
        return top.reshape((-1,) + (1,) * (oracle.ndim - 1))
    top = oracle.max(initial=0.0)
    return np.asarray(top if np.isfinite(top) else np.where(np.isfinite(oracle), oracle, 0.0).max(initial=0.0))


def _own_tolerance(oracle: np.ndarray, noise, dtype) -> np.ndarray:
    """Each entry's own rounding: the first bound of the module docstring (``oracle`` holds
    magnitudes)."""
    finfo = np.finfo(dtype)
    own = oracle * (RELATIVE_ULPS * float(finfo.eps))
    noise = np.asarray(noise, dtype=np.float64)
    if noise.ndim or noise != 0:
        own += NOISE_FACTOR * np.where(np.isfinite(noise), noise, 0.0)
    own += float(finfo.tiny / finfo.eps)
    return own


def tolerance(oracle, noise=0.0, *, dtype, rtol: float | None = None, atol: float | None = None,
              entrywise: bool = False, batched: bool = False) -> np.ndarray:
    """The allowed |derivative − oracle| per entry (see the module docstring).  ``entrywise``:
    without the scale rule; ``batched``: axis 0 indexes points, each with its own scale."""
    oracle = np.abs(np.asarray(oracle, dtype=np.float64))
    if rtol is not None or atol is not None:
        return (atol or 0.0) + (rtol or 0.0) * oracle
    own = _own_tolerance(oracle, noise, dtype)
    if entrywise:
        return own
    return np.maximum(own, SCALE_ULPS * float(np.finfo(dtype).eps) * _scale(oracle, batched))


@dataclass(frozen=True)
class _Judgement:
    """One comparison's arrays: the verdict per entry and what it was made of."""

    agree: np.ndarray
    allowed: np.ndarray
    own: np.ndarray | None  # each entry's own rounding (None with explicit rtol/atol)
    diff: np.ndarray
    magnitude: np.ndarray
    scale: Any = 0.0  # max |oracle|, per point when batched (with the scale rule only)


def _judge(actual, expected, noise, *, dtype, rtol, atol, batched, entrywise) -> _Judgement:
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    magnitude = np.abs(expected)
    own = None
    scale: Any = 0.0
    if rtol is not None or atol is not None:
        allowed = (atol or 0.0) + (rtol or 0.0) * magnitude
    else:
        own = _own_tolerance(magnitude, noise, dtype)
        if not entrywise:
            scale = _scale(magnitude, batched)
        allowed = own if entrywise else np.maximum(own, SCALE_ULPS * float(np.finfo(dtype).eps) * scale)
    allowed = np.broadcast_to(allowed, expected.shape)
    diff = np.abs(actual - expected)
    with np.errstate(invalid="ignore"):
        agree = diff <= allowed
    return _Judgement(agree, allowed, own, diff, magnitude, scale)


def entries_agree(actual, expected, noise=0.0, *, dtype, rtol: float | None = None,
                  atol: float | None = None, batched: bool = False,
                  entrywise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The verdict, entry by entry: ``(agree, allowed)`` for arrays of one shape.  The one place
    that decides whether a derivative's entry passes: :func:`compare` (one point, reported) and
    the checker's vectorised filter over a batch of points both call it.  NaN never agrees.
    ``batched``: axis 0 indexes points, each judged on its own (and with its own scale);
    ``entrywise``: every entry against its own rounding only, without the scale rule."""
    judged = _judge(actual, expected, noise, dtype=dtype, rtol=rtol, atol=atol, batched=batched, entrywise=entrywise)
    return judged.agree, judged.allowed


def resolves(expected, allowed, *, dtype, batched: bool = False):
    """Whether a comparison with tolerance ``allowed`` per entry fails a relative error of
    ``RESOLUTION`` (for ``dtype``) at every entry of at least ``JUDGED_FRACTION`` of the
    scale (see ``RESOLUTION``); with ``batched`` (axis 0 indexing points), per point."""
    magnitude = np.abs(np.asarray(expected, dtype=np.float64))
    judged = magnitude >= JUDGED_FRACTION * _scale(magnitude, batched)
    with np.errstate(invalid="ignore"):
        seen = np.asarray(allowed) < 0.5 * RESOLUTION[_name(dtype)] * magnitude
    fine = seen | ~judged
    if batched and fine.ndim >= 1:
        return fine.reshape(fine.shape[0], -1).all(axis=1)
    return bool(np.all(fine))


def describe_tolerance(dtype, rtol: float | None = None, atol: float | None = None, *, entrywise: bool = False) -> str:
    """How the tolerance of a comparison was chosen, in one line."""
    if rtol is not None or atol is not None:
        return f"|derivative − oracle| ≤ {atol or 0.0:.3g} + {rtol or 0.0:.3g}·|oracle| (given)"
    eps = float(np.finfo(dtype).eps)
    scale = "" if entrywise else f", or ≤ {SCALE_ULPS:g}ε·max|oracle| (the derivative's scale)"
    return (f"|derivative − oracle| ≤ {NOISE_FACTOR:g}·noise + {RELATIVE_ULPS:g}ε·|oracle|{scale}, ε = {eps:.3g}; "
            "noise = rounding noise measured per entry by perturbed re-evaluation")


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one array (``actual``, the hand derivative) with an oracle.

    ``allowed`` is the tolerance per entry; ``max_rel_err`` is None when every differing entry
    has an oracle of exactly 0 (a relative error is then meaningless).  ``lost_accuracy`` lists
    (index, derivative, oracle) of the entries that passed by the scale rule alone (their own
    rounding would have failed them; at most 5, the worst first), ``n_lost_accuracy`` counts
    them all, and ``scale`` is the largest |oracle| they were judged against.  ``resolved``: the
    tolerance would see a relative error of ``RESOLUTION`` on every entry that matters
    (:func:`resolves`; judged in float32, the lane that can be checked again in float64, and
    True in float64, where nothing finer is left).
    """

    rule: str
    oracle: str
    wrt: str
    dtype: str
    ok: bool
    expected_shape: tuple[int, ...]
    actual_shape: tuple[int, ...]
    tolerance_text: str = ""
    max_abs_err: float = 0.0
    max_rel_err: float | None = 0.0
    zero_oracle_mismatches: int = 0
    worst_index: tuple[int, ...] | None = None
    worst_allowed: float = 0.0
    n_mismatch: int = 0
    n_total: int = 0
    mismatches: tuple[tuple[tuple[int, ...], float, float, float], ...] = ()
    hint: str = ""
    note: str = ""
    scale: float = 0.0
    lost_accuracy: tuple[tuple[tuple[int, ...], float, float], ...] = ()
    n_lost_accuracy: int = 0
    resolved: bool = True
    inputs: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    allowed: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def shape_mismatch(self) -> bool:
        return self.expected_shape != self.actual_shape

    def __str__(self) -> str:
        return format_comparison(self)


def _within(actual, expected, allowed) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(actual - expected) <= allowed


def _swap_halves(a: np.ndarray, out_ndim: int) -> np.ndarray:
    """``a`` of shape out + in, with the two groups of axes swapped: in + out."""
    axes = tuple(range(out_ndim, a.ndim)) + tuple(range(out_ndim))
    return np.transpose(a, axes)


def _swap_last_groups(a: np.ndarray, k: int) -> np.ndarray:
    """``a`` with its last two groups of ``k`` axes swapped (a Hessian's two input groups)."""
    lead = tuple(range(a.ndim - 2 * k))
    return np.transpose(a, lead + tuple(range(a.ndim - k, a.ndim)) + tuple(range(a.ndim - 2 * k, a.ndim - k)))


def _block(bad: np.ndarray) -> str:
    """"rows R × columns C" when the mismatched entries of a matrix fill exactly such a block."""
    rows, cols = np.flatnonzero(bad.any(axis=1)), np.flatnonzero(bad.any(axis=0))
    if (len(rows) < bad.shape[0] or len(cols) < bad.shape[1]) and bad[np.ix_(rows, cols)].all():
        return f"rows {rows.tolist()} × columns {cols.tolist()}"
    return ""


def explain(actual: np.ndarray, expected: np.ndarray, allowed: np.ndarray, *, out_ndim: int | None = None,
            hessian_in_ndim: int | None = None) -> str:
    """Name the simplest wrong rule that turns the true ``expected`` into ``actual`` (same shape)."""
    if not np.all(np.isfinite(actual)):
        return "the derivative holds NaN or inf: is the input outside the rule's domain?"
    if hessian_in_ndim:
        k = hessian_in_ndim
        if not np.all(_within(actual, _swap_last_groups(actual, k), allowed + _swap_last_groups(allowed, k))):
            return "the Hessian is not symmetric: ∂²f/∂xᵢ∂xⱼ must equal ∂²f/∂xⱼ∂xᵢ"
    if out_ndim is not None and 0 < out_ndim < actual.ndim:
        swapped = _swap_halves(expected, out_ndim)
        if swapped.shape == actual.shape and np.all(_within(actual, swapped, _swap_halves(allowed, out_ndim))):
            return ("derivative == oracle with output and input axes swapped: the Jacobian is transposed "
                    "(denominator layout instead of numerator layout)")
    elif actual.ndim == 2 and actual.shape[0] == actual.shape[1] and np.all(_within(actual, expected.T, allowed.T)):
        return "derivative == oracleᵀ: the Jacobian is transposed (denominator layout instead of numerator layout)"
    if np.all(_within(-actual, expected, allowed)):
        return "derivative == −oracle: the sign is flipped"
    both = (np.abs(expected) > allowed) & (np.abs(actual) > allowed)
    if both.any():
        ratios = actual[both] / expected[both]
        factor = float(np.median(ratios))
        if np.all(_within(actual, factor * expected, allowed * max(1.0, abs(factor)))):
            return f"derivative == {factor:.6g} × oracle: a constant factor is wrong (a missing 2? 1/N vs 1/|A|?)"
    if actual.ndim == 2 and actual.shape[0] == actual.shape[1] and actual.shape[0] > 1:
        off = ~np.eye(actual.shape[0], dtype=bool)
        bad = ~_within(actual, expected, allowed)
        if not bad[off].any():
            return "only diagonal entries differ"
        if not bad[~off].any():
            return "only off-diagonal entries differ: is the element-wise diagonal condition assumed where it does not hold?"
    if actual.ndim == 2 and min(actual.shape) > 1:
        block = _block(~_within(actual, expected, allowed))
        if block:
            return f"only the block {block} differs: is a block of the matrix (one argument's part) wrong?"
    return ""


def _shape_hint(actual: np.ndarray, expected: np.ndarray, out_ndim: int | None) -> str:
    if out_ndim is not None and 0 < out_ndim < expected.ndim:
        denominator = expected.shape[out_ndim:] + expected.shape[:out_ndim]
        if actual.shape == denominator:
            return (f"the derivative has shape input + output {actual.shape}: denominator layout; "
                    f"numerator layout is output.shape + input.shape = {expected.shape}")
    if actual.size == expected.size:
        return f"same number of entries, different shape: expected {expected.shape} (output.shape + input.shape)"
    return f"shapes differ: expected {expected.shape} (output.shape + input.shape)"


def compare(actual, expected, noise=0.0, *, rule: str, oracle: str, wrt: str = "", dtype=np.float64,
            rtol: float | None = None, atol: float | None = None, note: str = "",
            inputs: dict | None = None, out_ndim: int | None = None,
            hessian_in_ndim: int | None = None, entrywise: bool = False) -> Comparison:
    """Compare ``actual`` (the hand derivative) with ``expected`` (the oracle) whose rounding
    noise per entry is ``noise``.  Shapes must be equal: a shape mismatch is reported as
    such, never broadcast.  ``out_ndim`` (the number of output axes) lets the report
    recognise the denominator layout; ``hessian_in_ndim`` (a Hessian's number of input axes) lets it
    recognise a Hessian that is not symmetric.  ``entrywise``: judge every entry against its own
    rounding only (without the scale rule of the module docstring).

    Example:
        >>> c = compare([2.0, 4.0], [1.0, 2.0], rule="demo", oracle="jacfwd")
        >>> c.ok, c.hint
        (False, 'derivative == 2 × oracle: a constant factor is wrong (a missing 2? 1/N vs 1/|A|?)')
    """
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    common = dict(rule=rule, oracle=oracle, wrt=wrt, dtype=_name(dtype),
                  tolerance_text=describe_tolerance(dtype, rtol, atol, entrywise=entrywise), expected_shape=expected.shape,
                  actual_shape=actual.shape, note=note, inputs=inputs or {})
    if actual.shape != expected.shape:
        return Comparison(ok=False, hint=_shape_hint(actual, expected, out_ndim), **common)
    judged = _judge(actual, expected, noise, dtype=dtype, rtol=rtol, atol=atol, batched=False, entrywise=entrywise)
    agree, allowed = judged.agree, judged.allowed
    lost, n_lost, scale = _lost_accuracy(judged) if not entrywise else ([], 0, 0.0)
    resolved = rtol is not None or atol is not None or _name(dtype) == "float64" or resolves(expected, allowed,
                                                                                            dtype=dtype)
    bad = ~agree
    failing = np.flatnonzero(bad.ravel())
    # NaN never agrees: a failing entry's NaN difference counts as infinite
    diff = np.where(np.isnan(judged.diff), np.inf, judged.diff) if len(failing) else judged.diff
    nonzero = expected != 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        excess = np.divide(diff, allowed, out=np.where(diff > 0, np.inf, 0.0), where=allowed > 0)
        rel = np.divide(diff, judged.magnitude, out=np.zeros_like(diff), where=nonzero)
    # the mismatched entries first, largest difference first (then the largest share of its
    # tolerance); with none, the entry closest to failing.  Only the mismatched entries are
    # sorted, so a passing comparison of a large derivative sorts nothing.
    n_bad = len(failing)
    if n_bad:
        order = failing[np.lexsort((-excess.ravel()[failing], -diff.ravel()[failing]))]
    else:
        order = np.array([int(np.argmax(excess))] if actual.size else [], dtype=np.intp)
    worst = tuple(int(i) for i in np.unravel_index(order[0], actual.shape)) if actual.size else None
    zero_bad = int((bad & ~nonzero).sum()) if n_bad else 0
    mismatches = tuple(
        (idx, float(actual[idx]), float(expected[idx]), float(allowed[idx]))
        for idx in (tuple(int(i) for i in np.unravel_index(k, actual.shape)) for k in order[: min(n_bad, 5)])
    )
    return Comparison(
        ok=n_bad == 0,
        max_abs_err=float(diff.max(initial=0.0)),
        max_rel_err=None if n_bad and zero_bad == n_bad else float(rel.max(initial=0.0)),
        zero_oracle_mismatches=zero_bad,
        worst_index=worst,
        worst_allowed=float(allowed[worst]) if worst is not None else 0.0,
        n_mismatch=n_bad,
        n_total=int(actual.size),
        mismatches=mismatches,
        hint="" if n_bad == 0 else explain(actual, expected, allowed, out_ndim=out_ndim, hessian_in_ndim=hessian_in_ndim),
        scale=scale,
        lost_accuracy=tuple((idx, float(actual[idx]), float(expected[idx])) for idx in lost[:5]),
        n_lost_accuracy=n_lost,
        resolved=resolved,
        allowed=np.array(allowed),
        **common,
    )


def _lost_accuracy(judged: _Judgement) -> tuple[list, int, float]:
    """The indices of the (at most 5) entries that agree by the scale rule alone, largest error
    relative to the entry's own tolerance first, how many there are, and the scale."""
    own, diff = judged.own, judged.diff
    if own is None or not diff.size:
        return [], 0, 0.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lost = np.flatnonzero(judged.agree & ~(diff <= own))
        if not len(lost):
            return [], 0, float(judged.scale)
        excess = diff.ravel()[lost] / np.maximum(np.broadcast_to(own, diff.shape).ravel()[lost],
                                                 np.finfo(np.float64).tiny)
    order = lost[np.argsort(-excess, kind="stable")[:5]]
    return ([tuple(int(i) for i in np.unravel_index(k, diff.shape)) for k in order], len(lost), float(judged.scale))


def lost_accuracy_note(c: Comparison) -> str:
    """One line on the entries of ``c`` that passed by the scale rule alone ("" when none):
    the hand value lost relative accuracy there, within the rounding of the derivative's scale.

    Example:
        >>> import numpy as np
        >>> c = compare(np.array([1.0, 0.0]), np.array([1.0, 1.9e-22]), rule="demo", oracle="grad")
        >>> lost_accuracy_note(c)
        'entry (1,): 0 against 1.9e-22; within rounding of the largest entry 1; cancellation in your formula?'
    """
    if not c.lost_accuracy:
        return ""
    idx, actual, expected = c.lost_accuracy[0]
    more = c.n_lost_accuracy - 1
    others = f" (and {more} more {'entry' if more == 1 else 'entries'})" if more else ""
    return (f"entry {idx}: {actual:.3g} against {expected:.3g}{others}; within rounding of the largest entry "
            f"{c.scale:.3g}; cancellation in your formula?")


def _oracle_label(oracle: str) -> str:
    if oracle in ("value", "") or " vs " in oracle or oracle.startswith(("one-sided", "finite")):
        return oracle
    return f"jax.{oracle}" if oracle in ("jacfwd", "jacrev", "grad", "jvp", "vjp", "hessian") else oracle


def format_comparison(c: Comparison) -> str:
    """A numpy.testing-style report of ``c``: rule, oracle, tolerance, worst entries, hint."""
    wrt = f" w.r.t. {c.wrt}" if c.wrt else ""
    what = "value" if c.oracle == "value" else "derivative"
    status = "agrees with" if c.ok else "DISAGREES with"
    lines = [f"{c.rule}: {what}{wrt} {status} {_oracle_label(c.oracle)} [{c.dtype}]",
             f"  tolerance: {c.tolerance_text}"]
    if c.shape_mismatch:
        lines.append(f"  shape mismatch: derivative {c.actual_shape}, oracle {c.expected_shape}")
    else:
        pct = 100 * c.n_mismatch / c.n_total if c.n_total else 0.0
        lines.append(f"  mismatched elements: {c.n_mismatch} / {c.n_total} ({pct:.1f}%)")
        if c.mismatches:
            lines.append(f"  {'index':<12} {'derivative':>16} {'oracle':>16} {'|diff|':>10} {'allowed':>10}")
            for idx, a, e, allowed in c.mismatches:
                lines.append(f"  {str(idx):<12} {a:>16.9g} {e:>16.9g} {abs(a - e):>10.3g} {allowed:>10.3g}")
        lines.append(f"  worst entry: {c.worst_index} (allowed {c.worst_allowed:.3g})")
        lines.append(f"  max absolute difference: {c.max_abs_err:.3g}")
        if c.max_rel_err is None:
            lines.append("  max relative difference: undefined, the oracle is 0 at every differing entry")
        else:
            zero = f" (oracle is 0 at {c.zero_oracle_mismatches} differing entries)" if c.zero_oracle_mismatches else ""
            lines.append(f"  max relative difference: {c.max_rel_err:.3g}{zero}")
    if c.hint:
        lines.append(f"  hint: {c.hint}")
    if c.lost_accuracy:
        lines.append(f"  lost accuracy: {lost_accuracy_note(c)}")
    if c.note and not c.ok:
        lines.append(f"  note: {c.note}")
    for name, value in c.inputs.items():
        lines.append(f"  {name} = {np.array2string(np.asarray(value), precision=9)}")
    return "\n".join(lines)
