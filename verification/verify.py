"""Check a rule at one point, or over many hypothesis-drawn points.

At each point the NumPy primal must first equal the JAX function's value; then the
hand-written derivative is compared with every oracle, and ``jax.jacfwd`` with ``jax.jacrev``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import Phase, given, seed, settings

from verification.compare import Comparison, compare
from verification.oracles import evaluate, prepare
from verification.rules import Rule


def check_example(rule: Rule, *args, dtype=np.float64) -> list[Comparison]:
    """Every comparison for ``rule`` at ``args``; only the primal one if the primal disagrees."""
    args = prepare(rule, args, dtype)
    inputs = {name: arg for name, arg in zip(rule.args, args, strict=True)}
    scale = rule.scale(*args) if rule.scale is not None else None
    common = dict(rule=rule.name, dtype=dtype, scale=scale, note=rule.note, inputs=inputs)
    jax_out = evaluate(rule, *args, dtype=dtype)
    primal = compare(rule.primal(*args), jax_out["value"], oracle="value", **common)
    if not primal.ok:
        return [primal]
    results = [primal]
    hand = rule.derivatives(*args)
    for k, argnum in enumerate(rule.wrt):
        wrt = rule.args[argnum]
        for oracle in rule.oracles:
            results.append(compare(hand[k], jax_out[oracle][k], oracle=oracle, wrt=wrt, **common))
        results.append(compare(jax_out["jacrev"][k], jax_out["jacfwd"][k], oracle="jacfwd vs jacrev", wrt=wrt, **common))
    return results


@dataclass
class OracleStats:
    """The worst errors seen against one oracle over a run."""

    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    passed: bool = True

    def add(self, c: Comparison) -> None:
        self.max_abs_err = max(self.max_abs_err, c.max_abs_err)
        self.max_rel_err = max(self.max_rel_err, c.max_rel_err)
        self.passed = self.passed and c.ok


@dataclass
class RuleResult:
    """The outcome of verifying one rule over many examples."""

    rule: Rule
    dtype: str
    examples: int = 0
    oracles: dict[str, OracleStats] = field(default_factory=dict)
    failure: Comparison | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None

    def to_json(self) -> dict:
        return {
            "name": self.rule.name,
            "formula": self.rule.formula,
            "dtype": self.dtype,
            "examples": self.examples,
            "passed": self.passed,
            "oracles": {name: vars(stats) for name, stats in self.oracles.items()},
        }


def verify_rule(rule: Rule, *, dtype=np.float64, examples: int = 50, random_seed: int = 0) -> RuleResult:
    """Check ``rule`` on ``examples`` hypothesis-drawn points of its domain.

    On a failure hypothesis shrinks to a minimal failing point, kept in ``result.failure``.
    """
    result = RuleResult(rule=rule, dtype=np.dtype(dtype).name)

    # deadline=None: the first call at each shape compiles with XLA, which hypothesis would
    # otherwise time as if it were the check itself.  No "explain" phase: the failing
    # comparison already says what is wrong, and explaining costs most of a failing run.
    @seed(random_seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink))
    @given(rule.inputs(dtype))
    def run(args):
        result.examples += 1
        comparisons = check_example(rule, *args, dtype=dtype)
        for c in comparisons:
            result.oracles.setdefault(c.oracle, OracleStats()).add(c)
        failed = [c for c in comparisons if not c.ok]
        if failed:
            result.failure = failed[0]
            raise AssertionError(failed[0].rule)
        result.failure = None

    try:
        run()
    except AssertionError:
        pass
    return result
