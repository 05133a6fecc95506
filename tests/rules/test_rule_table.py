"""Sanity of the single rule table: ids, formulas, sources, declared reference functions, and
the topic modules it is assembled from."""

import importlib
import pkgutil

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference
import verification.rules
from verification.rules import RULES, SOURCES, SPECIAL_POINTS, Rule, get_rule
from verification.rules.rule import per_argument, twins

TOPICS = [importlib.import_module(f"verification.rules.{info.name}")
          for info in pkgutil.iter_modules(verification.rules.__path__)]


def test_names_are_unique():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


def test_every_row_of_every_topic_module_is_in_the_table_once():
    rows = [rule for topic in TOPICS for rule in getattr(topic, "RULES", ())]
    assert len(rows) == len(RULES) and {id(rule) for rule in rows} == {id(rule) for rule in RULES}


def test_paper_rules_come_first():
    sources = [rule.source for rule in RULES]
    assert sources == sorted(sources, key=SOURCES.index)


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
    utilities = set(reference.training.__all__) | {"finite_difference_jacobian", "gradient_descent_step", "loss_and_grads",
                                                    "loss_and_grads_unchecked",
                                                    "fold_bias", "append_ones"}
    unverified = set(reference.__all__) - used - utilities - {n for n in reference.__all__ if n.startswith("check_")}
    assert not unverified, f"reference functions no rule checks: {sorted(unverified)}"


def test_special_points_name_rules_in_the_table():
    for point in SPECIAL_POINTS:
        get_rule(point.rule)


GOOD = dict(name="r", formula="f", section="§1", args=("x",), function=np.sin, derivative=np.cos,
            inputs=lambda dtype: st.just((np.ones(2),)))


def test_rule_rejects_bad_declarations():
    Rule(**GOOD)
    for change, phrase in [({"form": "grad"}, "form"), ({"source": "blog"}, "source"), ({"wrt": 1}, "wrt"),
                           ({"derivative": 3}, "derivative"), ({"name": ""}, "name")]:
        with pytest.raises((ValueError, TypeError), match=phrase):
            Rule(**{**GOOD, **change})
    with pytest.raises(TypeError):
        Rule("r", "f", "§1", ("x",), np.sin, np.cos, lambda d: st.just(()))  # keyword-only


def test_references_default_to_the_derivative():
    assert Rule(**GOOD).references == (np.cos,)
    assert Rule(**GOOD, references=[np.tan]).references == (np.tan,)


def test_twins_run_one_function_over_each_array_module():
    pair = twins(lambda x, *, xp: xp.sin(x))
    assert isinstance(pair["function"](np.ones(2)), jnp.ndarray)
    assert type(pair["primal"](np.ones(2))) is np.ndarray


def test_per_argument_differentiates_row_i_with_respect_to_argument_i():
    shared = {key: value for key, value in GOOD.items() if key not in ("name", "derivative")} | {"args": ("x", "y")}
    rows = per_argument(dict(name="a", derivative=np.cos), dict(name="b", derivative=np.tan), **shared)
    assert [(rule.name, rule.wrt, rule.derivative) for rule in rows] == [("a", 0, np.cos), ("b", 1, np.tan)]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@given(data=st.data())
def test_domain_draws_one_value_per_argument(rule, data):
    args = data.draw(rule.inputs(np.dtype(np.float64)))
    assert len(args) == len(rule.args)
