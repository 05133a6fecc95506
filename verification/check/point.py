"""One point in one lane, fully reported: every comparison, and the notes that explain a failure.

At the point, in the lane: if a NumPy twin ``primal`` is given its value must equal ``f``'s
first; then each leaf of the hand derivative is compared with the same leaf of every oracle of
its form, and the oracles with each other, with the tolerance of :mod:`verification.compare`
(the oracle's rounding noise σ and the hand derivative's own ρ).  A failure is then explained
where it can be: the wrong argument, leaves swapped or unsummed (:mod:`.diagnoses`), a point where
``f`` is not differentiable (:mod:`.kinks`).

A check is split in :func:`start_point` and :func:`finish_point` so that the programs of one
lane can run in its helper process while the other lane works here.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from verification.check.custom import not_differentiable_note
from verification.check.diagnoses import across_leaves, wrong_argument
from verification.check.kinks import probe_kinks
from verification.check.lane import DIRECTION_LABELS, LaneChecker, Started
from verification.check.spec import CheckSpec
from verification.check.trees import Mismatch, flatten, flatten_like, path_text
from verification.compare import Comparison, compare, describe_tolerance
from verification.oracles import oracle_names


def start_point(lane: LaneChecker, args: tuple) -> Started:
    """Send the programs for ``args`` (prepared for the lane)."""
    return lane.start(lane.rows(args, lane.structure(args)))


def finish_point(lane: LaneChecker, started: Started, *, diagnose: bool = True) -> tuple[list[Comparison], list[str]]:
    """Every comparison at the started point, with notes.  Without ``diagnose`` only what decides
    the verdict is computed: no diagnoses, and the kink probes only where the policy lets them
    change the verdict."""
    spec, dtype, structure = lane.spec, lane.dtype, started.structure
    args, rows = started.rows[0][0], started.rows
    # the hand derivative first: the lane's programs run meanwhile (in the helper process, or
    # dispatched asynchronously here)
    hands = lane.hands(started, with_noise=True)
    results = lane.oracle_results(started)
    assert isinstance(results, list)
    common = dict(rule=spec.name, dtype=dtype, rtol=spec.rtol, atol=spec.atol, **verdict_options(spec))
    comparisons: list[Comparison] = []
    notes: list[str] = []
    if spec.primal is not None:
        value, value_noise = results[0]["value"]
        with np.errstate(all="ignore"):
            mine = spec.primal(*args)
        mine_leaves = flatten_like(mine, structure.out_treedef, structure.out_paths)
        if isinstance(mine_leaves, Mismatch):
            comparisons.append(_structure_failure(spec, lane, "value", "", mine_leaves, "the NumPy primal"))
            return comparisons, ["the NumPy primal and f disagree: the derivative was not compared"]
        for leaf, (m, v, n) in enumerate(zip(mine_leaves, value, value_noise, strict=True)):
            label = f"output{path_text(structure.out_paths[leaf])}" if len(value) > 1 else ""
            c = compare(m, v, n, oracle="value", wrt=label, inputs=_inputs(spec, args, ()),
                        **common)
            comparisons.append(c)
        if not all(c.ok for c in comparisons):
            return comparisons, ["the NumPy primal and f disagree: the derivative was not compared"]
    if spec.rule is not None:
        comparisons += _rule_primal(lane, started, results[0]["value"], common)
    names = oracle_names(spec.form, structure.scalar_output)
    failed: list[tuple[int, int, Comparison]] = []
    for k, ((_, directions), result, (hand, rho)) in enumerate(zip(rows, results, hands, strict=True)):
        inputs = _inputs(spec, args, directions)
        direction_note = f"direction {k + 1} of {len(rows)} (seed {spec.seed})" if directions else ""
        if isinstance(hand, Exception):
            comparisons.append(Comparison(ok=False, oracle=names[0], wrt="", expected_shape=(), actual_shape=(),
                                          hint=f"the derivative raised {type(hand).__name__}: {hand}",
                                          tolerance_text=describe_tolerance(dtype, spec.rtol, spec.atol),
                                          rule=spec.name, dtype=dtype.name, note=direction_note))
            continue
        if isinstance(hand, Mismatch):
            comparisons.append(_structure_failure(spec, lane, names[0], direction_note, hand, "the derivative"))
            continue
        failing_leaves: set[int] = set()
        for part, h in enumerate(hand):
            label = structure.labels[part]
            for name in names:
                leaves, noise = result[name]
                sigma = noise[part]
                if rho is not None and rho[part].shape == np.shape(sigma):
                    sigma = np.maximum(sigma, rho[part])
                c = compare(h, leaves[part], sigma, oracle=name, wrt=label, note=direction_note, inputs=inputs,
                            out_ndim=structure.out_ndims[part], hessian_in_ndim=structure.hessian_in_ndims[part],
                            **common)
                comparisons.append(c)
                if not c.ok:
                    failed.append((k, part, c))
                    failing_leaves.add(part)
            if len(names) > 1:
                (a, na), (b, nb) = result[names[0]], result[names[1]]
                comparisons.append(compare(a[part], b[part], np.maximum(na[part], nb[part]),
                                           oracle=f"{names[0]} vs {names[1]}", wrt=label, **common))
        if failing_leaves and diagnose and len(hand) > 1:
            notes += across_leaves(lane, structure, result, hand, failing_leaves)
    if failed and spec.rule is not None and _oracle_is_zero(results, names[0]):
        notes.append(not_differentiable_note(spec.form))
    if (failed and (diagnose or spec.kinks == "either")) or spec.kinks == "fail":
        if diagnose:
            notes += wrong_argument(lane, args, rows, hands, failed)
        kink_notes, accepted = probe_kinks(lane, args, rows, results, hands, bool(failed))
        notes += kink_notes
        if accepted:
            comparisons = [_accepted(c) if any(c is f for _, _, f in failed) else c for c in comparisons]
    if spec.kinks == "fail" and any("not differentiable" in n for n in notes):
        comparisons.append(Comparison(rule=spec.name, oracle="differentiability", wrt="", dtype=dtype.name, ok=False,
                                      expected_shape=(), actual_shape=(), hint="f is not differentiable here"))
    return comparisons, _dedup(notes)


def _rule_primal(lane: LaneChecker, started: Started, expected: tuple, common: dict) -> list[Comparison]:
    """The primal output a custom rule returns with its derivative, against ``f``'s value."""
    structure = started.structure
    values, noises = lane.rule_values(started)
    out = []
    for leaf, (v, e, n) in enumerate(zip(values, expected[0], expected[1], strict=True)):
        label = f"output{path_text(structure.out_paths[leaf])}" if len(values) > 1 else ""
        c = compare(v, e, np.maximum(n, noises[leaf]), oracle="value", wrt=label, **common)
        out.append(replace(c, note="the primal output of the custom rule (its fwd or jvp rule) against f's value"))
    return out


def _oracle_is_zero(results: list[dict], name: str) -> bool:
    return all(not np.any(leaf) for result in results for leaf in result[name][0])


def verdict_options(spec: CheckSpec) -> dict:
    """The comparison's keywords for the verdict the spec asks for."""
    return {"entrywise": spec.entrywise}


def _dedup(notes: list[str]) -> list[str]:
    return list(dict.fromkeys(notes))


def _structure_failure(spec: CheckSpec, lane: LaneChecker, oracle: str, note: str, mismatch: Mismatch,
                       what: str) -> Comparison:
    return Comparison(rule=spec.name, oracle=oracle, wrt="", dtype=lane.dtype.name, ok=False, expected_shape=(),
                      actual_shape=(-1,), hint=mismatch.text(what), note=note,
                      tolerance_text=describe_tolerance(lane.dtype, spec.rtol, spec.atol))


def _accepted(c: Comparison) -> Comparison:
    return replace(c, ok=True, note=(c.note + "; " if c.note else "") + "accepted: a one-sided derivative at a kink")


def _inputs(spec: CheckSpec, args: tuple, directions: tuple) -> dict[str, np.ndarray]:
    """The point and its directions, leaf by leaf, for the report."""
    named: dict[str, np.ndarray] = {}
    for i, a in enumerate(args):
        if i in spec.static:
            continue
        paths, leaves, _ = flatten(a)
        for p, leaf in zip(paths, leaves, strict=True):
            named[spec.arg_name(i) + path_text(p)] = leaf
    if directions:
        label = DIRECTION_LABELS[spec.form]
        for k, d in enumerate(directions):
            paths, leaves, _ = flatten(d)
            head = label if len(directions) == 1 else f"{label}[{k}]"
            for p, leaf in zip(paths, leaves, strict=True):
                named[head + path_text(p)] = leaf
    return named


def check_point(spec: CheckSpec, lane: LaneChecker, args: tuple, *,
                diagnose: bool = True) -> tuple[list[Comparison], list[str]]:
    """:func:`start_point` then :func:`finish_point`."""
    return finish_point(lane, start_point(lane, args), diagnose=diagnose)


__all__ = ["check_point", "finish_point", "start_point", "verdict_options"]
