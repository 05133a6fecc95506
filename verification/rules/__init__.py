"""The rule table ``RULES``: the paper's rules in the paper's order, then the extensions beyond it.

Tests, the report and the command line all iterate this table; nothing else lists rules.  The
rows live in one module per topic of ``reference`` (``verification.rules.<topic>``, each with
the functions JAX differentiates and the domains only its rows use); adding a rule is one NumPy
function in ``reference/<topic>.py`` and one ``Rule`` row in ``verification/rules/<topic>.py``.
"""

from __future__ import annotations

from verification.rules import (
    activations,
    chain,
    elementwise,
    expansion,
    jacobian,
    layers,
    loss,
    matrices,
    neuron,
    normalization,
    norms,
    reduction,
    scalar,
    softmax,
)
from verification.rules.rule import SOURCES, Rule, SpecialPoint

ORDER = {
    "paper": (scalar, jacobian, elementwise, expansion, reduction, chain, neuron, loss),
    "extension": (layers, softmax, activations, norms, neuron, loss, normalization, matrices, expansion),
}
"""For each source, the topic modules in the order their rows are listed: the paper's sections,
then the extensions grouped as the table prints them."""

RULES: tuple[Rule, ...] = tuple(rule for source in SOURCES for topic in ORDER[source] for rule in topic.RULES
                                if rule.source == source)
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

SPECIAL_POINTS: tuple[SpecialPoint, ...] = neuron.SPECIAL_POINTS + loss.SPECIAL_POINTS + elementwise.SPECIAL_POINTS
"""Checked against every oracle in both lanes by the tests."""


def get_rule(name: str) -> Rule:
    """The rule called ``name``; a ``KeyError`` lists the valid names."""
    try:
        return RULES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no rule named {name!r}; known rules: {', '.join(RULES_BY_NAME)}") from None


__all__ = ["RULES", "RULES_BY_NAME", "SOURCES", "SPECIAL_POINTS", "Rule", "SpecialPoint", "get_rule"]
