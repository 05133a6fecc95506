"""Every rule × every applicable oracle × both dtypes, on hypothesis-drawn points of its domain."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.compare import format_comparison
from verification.oracles import DTYPES
from verification.rules import RULES
from verification.verify import check_example

LANES = [pytest.param(dtype, id=name) for name, dtype in DTYPES.items()]
RULE_ORACLES = [pytest.param(rule, oracle, id=f"{rule.name}-{oracle}") for rule in RULES for oracle in rule.oracles]


def _assert_all_ok(comparisons, label):
    __tracebackhide__ = True
    assert comparisons, f"no comparison for {label}"
    for c in comparisons:
        assert c.ok, format_comparison(c)


def _check(rule, dtype, data, keep):
    args = data.draw(rule.inputs(dtype), label="args")
    comparisons = check_example(rule, *args, dtype=dtype)
    primal = comparisons[0]
    assert primal.ok, format_comparison(primal)
    return [c for c in comparisons if keep(c.oracle)]


@pytest.mark.parametrize("dtype", LANES)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@given(data=st.data())
def test_primal_value_matches_jax(rule, dtype, data):
    _assert_all_ok(_check(rule, dtype, data, lambda oracle: oracle == "value"), rule.name)


@pytest.mark.parametrize("dtype", LANES)
@pytest.mark.parametrize(("rule", "oracle"), RULE_ORACLES)
@given(data=st.data())
def test_reference_matches_oracle(rule, oracle, dtype, data):
    _assert_all_ok(_check(rule, dtype, data, lambda o: o == oracle), f"{rule.name} {oracle}")


@pytest.mark.parametrize("dtype", LANES)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@given(data=st.data())
def test_jacfwd_matches_jacrev(rule, dtype, data):
    _assert_all_ok(_check(rule, dtype, data, lambda o: o == "jacfwd vs jacrev"), rule.name)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@given(data=st.data())
def test_finite_differences_agree(rule, data):
    """A third witness that shares no code with JAX: central differences of the NumPy primal.

    Tolerance: the FD error is about ε^(2/3)·(|f'''|·h-scale² + |f|) ≈ 4e-11 × the magnitudes
    here (values up to ~1e5 for y⁸ at |y| <= 4), so 1e-6 relative to max(1, scale) is loose for
    the method yet 1e5 times tighter than any planted mistake.
    """
    import reference

    args = data.draw(rule.inputs(np.float64), label="args")
    hand = rule.derivatives(*args)
    for k, argnum in enumerate(rule.wrt):
        def along(a, argnum=argnum):
            return rule.primal(*args[:argnum], a, *args[argnum + 1:])

        fd = reference.finite_difference_jacobian(along, args[argnum])
        scale = rule.scale(*args) if rule.scale else np.abs(hand[k]).max(initial=0.0)
        assert fd.shape == np.shape(hand[k])
        np.testing.assert_allclose(hand[k], fd, rtol=1e-6, atol=1e-6 * max(1.0, scale),
                                   err_msg=f"{rule.name} w.r.t. {rule.args[argnum]}")
