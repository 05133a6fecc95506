"""The rule table ``RULES``: the paper's rules, then the extensions beyond it.

Tests, the report and the command line all iterate this table; nothing else lists rules.
Adding a rule is one NumPy function in ``reference`` and one ``Rule`` row here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verification.rules.extensions import EXTENSION_RULES
from verification.rules.paper import PAPER_RULES
from verification.rules.rule import SOURCES, Rule

RULES: tuple[Rule, ...] = PAPER_RULES + EXTENSION_RULES
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def get_rule(name: str) -> Rule:
    """The rule called ``name``; a ``KeyError`` lists the valid names."""
    try:
        return RULES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no rule named {name!r}; known rules: {', '.join(RULES_BY_NAME)}") from None


@dataclass(frozen=True)
class SpecialPoint:
    """A point where a rule's convention decides the answer, checked exactly rather than drawn."""

    rule: str
    args: tuple
    why: str


SPECIAL_POINTS: tuple[SpecialPoint, ...] = (
    SpecialPoint("relu_scalar", (0.0,), "the kink: d/dz max(0, z) = 0 at z = 0 (D2)"),
    SpecialPoint("relu_scalar", (-0.0,), "negative zero is on the kink too"),
    SpecialPoint("relu_broadcast", (np.array([-1.0, 0.0, 2.0]),), "one entry on the kink: diag(0, 0, 1)"),
    SpecialPoint("neuron_activation_dw", (np.array([1.0, -2.0]), 0.0, np.array([2.0, 1.0])), "w·x + b = 0 exactly"),
    SpecialPoint("neuron_activation_db", (np.array([1.0, -2.0]), 0.0, np.array([2.0, 1.0])), "w·x + b = 0 exactly"),
    SpecialPoint("mse_grad_w", (np.array([1.0, 1.0]), -1.0, np.array([[0.5, 0.5], [2.0, 1.0], [0.0, 0.0]]), np.array([1.0, 3.0, 2.0])),
                 "sample 0 on the kink (z = 0), sample 1 active, sample 2 inactive: divide by N = 3"),
    SpecialPoint("mse_grad_b", (np.array([1.0, 1.0]), -1.0, np.array([[0.5, 0.5], [2.0, 1.0], [0.0, 0.0]]), np.array([1.0, 3.0, 2.0])),
                 "sample 0 on the kink (z = 0), sample 1 active, sample 2 inactive: divide by N = 3"),
    SpecialPoint("ew_div_dx", (np.array([3.0, -1.0]), np.array([1e-3, -2.0])), "a divisor near 0 (the gradient is large)"),
)
"""Checked against every oracle in both lanes by the tests; JAX agrees at the kink because
``jax.nn.relu`` takes 0 there (``jnp.maximum`` would give 0.5)."""

__all__ = ["RULES", "RULES_BY_NAME", "SOURCES", "SPECIAL_POINTS", "Rule", "SpecialPoint", "get_rule"]
