"""Relations the rules must keep with each other: the layout of the chain rules' factors, the
hierarchy of chain rules, and invariances of layer normalisation.  Each side is computed by a
rule; none is a number copied from the code under test."""

import re

import numpy as np
import pytest

import reference
from verification.compare import compare


def test_denominator_layout_is_the_transpose_and_is_named_so():
    gradients = [lambda p: np.array([6 * p[1] * p[0], 3 * p[0] ** 2]), lambda p: np.array([2.0, 8 * p[1] ** 7])]
    numerator = reference.jacobian_from_gradients(gradients, np.array([1.0, 2.0]))
    denominator = np.array([[12.0, 2.0], [3.0, 1024.0]])  # the paper's denominator-layout example
    c = compare(denominator, numerator, rule="jacobian_denominator_layout", oracle="jacfwd")
    assert not c.ok and "transposed" in c.hint


def test_chain_forward_vs_reverse_order(close):
    # scalars commute; matrices do not: the shapes only fit one way round
    close(reference.single_variable_chain(3.0, 5.0), reference.single_variable_chain(5.0, 3.0))
    df_dg, dg_dx = np.ones((2, 3)), np.ones((3, 4))
    assert reference.vector_chain(df_dg, dg_dx).shape == (2, 4)
    with pytest.raises(ValueError, match=re.escape("k = |g| must agree")):
        reference.vector_chain(dg_dx, df_dg)


@pytest.mark.parametrize(
    "df_dg, dg_dx, shape",
    [
        (np.ones(3), np.ones(3), ()),              # (1×k)(k×1)
        (np.ones(3), np.ones((3, 4)), (4,)),       # (1×k)(k×n)
        (np.ones((2, 1)), np.ones(1), (2,)),       # (m×1)(1×1)
        (np.ones((2, 3)), np.ones(3), (2,)),       # (m×k)(k×1)
        (np.ones((2, 3)), np.ones((3, 4)), (2, 4)),  # (m×k)(k×n)
    ],
)
def test_chain_shape_table(df_dg, dg_dx, shape):
    assert reference.vector_chain(df_dg, dg_dx).shape == shape


def test_chain_rules_hierarchy(close):
    # the total-derivative rule is the vector chain rule with a 1×(n+1) and an (n+1)×1 factor
    df_du, du_dx = np.array([0.5, -2.0, 3.0]), np.array([4.0, 1.5, 1.0])
    close(reference.total_derivative_aliased(df_du, du_dx), reference.vector_chain(df_du, du_dx))
    # and the single-variable rule is its 1×1 case
    close(reference.vector_chain(np.array([2.0]), np.array([7.0])), reference.single_variable_chain(2.0, 7.0))


def test_chain_vector_diagonal_equals_full_product_of_diagonals(close):
    a, b = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    close(reference.vector_chain_diagonal(a, b), reference.vector_chain(np.diag(a), np.diag(b)))


def test_layer_norm_jacobian_kills_shifts_and_scalings(close):
    # y is unchanged by x → x + c1⃗ and (with ε = 0) by x → cx, so J1⃗ = 0 and Jx = 0.
    x = np.array([0.5, -1.0, 2.0, 3.5])
    J = reference.layer_norm_jacobian(x, [1.0, -2, 0.5, 3], eps=0.0)
    close(J @ np.ones(4), np.zeros(4), scale=np.abs(J).sum(1).max())
    close(J @ x, np.zeros(4), scale=np.abs(J).max() * np.abs(x).sum())


def test_layer_norm_default_eps_is_an_argument(close):
    x, gamma = np.array([0.0, 1, 2]), np.ones(3)
    assert not np.allclose(reference.layer_norm_jacobian(x, gamma), reference.layer_norm_jacobian(x, gamma, eps=1.0))
    close(reference.layer_norm_jacobian(x, gamma), reference.layer_norm_jacobian(x, gamma, eps=1e-5))
