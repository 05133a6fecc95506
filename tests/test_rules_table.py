"""Sanity of the single rule table: ids, formulas, sources, declared reference functions."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference
from verification.rules import RULES, SOURCES, SPECIAL_POINTS, Rule, get_rule


def test_names_are_unique():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


def test_every_rule_has_a_formula_a_section_and_a_source():
    for rule in RULES:
        assert rule.formula and rule.section and rule.source in SOURCES
        if rule.source == "paper":
            assert rule.section.startswith("§"), rule.name


def test_references_are_public_reference_functions():
    for rule in RULES:
        assert rule.references, f"{rule.name} declares no reference function"
        for fn in rule.references:
            assert getattr(reference, fn.__name__, None) is fn, f"{rule.name}: {fn} is not exported by reference"


def test_every_reference_rule_is_verified_by_a_row():
    """Coverage computed from the registry: a public reference function no row declares (as its
    derivative's reference or as a primal) is a rule nobody checks."""
    used = {fn.__name__ for rule in RULES for fn in rule.references}
    used |= {getattr(rule.primal, "__name__", "") for rule in RULES}
    utilities = {"train", "TrainResult", "TrainingDiverged", "finite_difference_jacobian", "gradient_descent_step",
                 "loss_and_grads", "fold_bias", "append_ones", "stable_learning_rate"}
    unverified = set(reference.__all__) - used - utilities - {n for n in reference.__all__ if n.startswith("check_")}
    assert not unverified, f"reference functions no rule checks: {sorted(unverified)}"


def test_special_points_name_rules_in_the_table():
    for point in SPECIAL_POINTS:
        get_rule(point.rule)


def test_rule_rejects_bad_declarations():
    good = dict(name="r", formula="f", section="§1", args=("x",), function=np.sin, derivative=np.cos,
                inputs=lambda dtype: st.just((np.ones(2),)))
    Rule(**good)
    for change, phrase in [({"form": "grad"}, "form"), ({"source": "blog"}, "source"), ({"wrt": 1}, "wrt"),
                           ({"derivative": 3}, "derivative"), ({"name": ""}, "name")]:
        with pytest.raises((ValueError, TypeError), match=phrase):
            Rule(**{**good, **change})
    with pytest.raises(TypeError):
        Rule("r", "f", "§1", ("x",), np.sin, np.cos, lambda d: st.just(()))  # keyword-only


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@given(data=st.data())
def test_domain_draws_one_value_per_argument(rule, data):
    args = data.draw(rule.inputs(np.dtype(np.float64)))
    assert len(args) == len(rule.args)
