"""Sanity of the single rule table, and its coverage of the catalog."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.oracles import evaluate
from verification.rules import RULES, SPECIAL_POINTS, get_rule

# rules-catalog.md §1 ids that have a formula (copied from the catalog, the specification).
CATALOG_IDS_IN_TABLE = {
    "scalar_constant", "scalar_const_multiple", "scalar_power", "scalar_sum", "scalar_difference",
    "scalar_product", "scalar_chain", "partial_derivative", "gradient_row",
    "jacobian_numerator_layout", "jacobian_example_2x2", "jacobian_identity",
    "ew_binary_general_jacobian", "ew_diagonal_condition", "ew_add_dw", "ew_sub_dw", "ew_mul_dw", "ew_div_dw",
    "ew_add_dx", "ew_sub_dx", "ew_mul_dx", "ew_div_dx",
    "sexp_add_dx", "sexp_add_dz", "sexp_mul_dx", "sexp_mul_dz",
    "sum_general", "sum_dx", "sum_xz_dx", "sum_xz_dz", "dot_dw", "dot_dx",
    "chain_single_variable", "chain_total_derivative", "chain_total_derivative_aliased",
    "chain_vector_scalar_x", "chain_vector", "chain_vector_diagonal", "ew_unary_diag",
    "affine_dw", "affine_db", "relu_scalar", "relu_broadcast", "neuron_activation_dw", "neuron_activation_db",
    "mse_loss", "loss_intermediates", "mse_grad_w", "mse_grad_b", "bias_folding",
}
# §1 rows that are definitions, conventions, examples or shape tables rather than a derivative
# to differentiate; each is a known-value test in tests/test_known_values.py.
CATALOG_IDS_AS_KNOWN_VALUES = {
    "scalar_examples", "jacobian_denominator_layout", "jacobian_shapes", "sexp_definition", "dot_as_sum",
    "chain_sv_examples", "chain_forward_vs_reverse", "chain_td_examples", "chain_shape_table",
    "chain_rules_hierarchy", "gd_update",
}


def test_names_are_unique_catalog_ids():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert set(names) == CATALOG_IDS_IN_TABLE


def test_every_rule_has_a_formula_and_a_section():
    for rule in RULES:
        assert rule.formula and rule.section.startswith("§")


def test_special_points_name_rules_in_the_table():
    for point in SPECIAL_POINTS:
        get_rule(point.rule)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@given(data=st.data())
def test_declared_output_kind_matches_jax(rule, data):
    args = data.draw(rule.inputs(np.float64))
    assert len(args) == len(rule.args)
    assert (evaluate(rule, *args)["value"].shape == ()) == rule.scalar_output
