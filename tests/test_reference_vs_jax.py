"""Every rule × every applicable oracle × both lanes, on hypothesis-drawn points of its domain,
through the same public checker a user calls (``verify_derivative``).  The number of points per
rule and lane is the active hypothesis profile's ``max_examples``."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from verification import RULES
from verification.oracles import DTYPES
from verification.verify import verify_rules

LANES = [pytest.param(dtype, id=name) for name, dtype in DTYPES.items()]
TEST = "test_rule_matches_every_oracle"


@pytest.fixture(scope="session")
def verified(request) -> dict:
    """Every rule selected in the test below, verified once in each selected lane, in one worker
    process per core (each rule is independent), with the active profile's number of examples."""
    selected: dict[np.dtype, list] = {}
    for item in request.session.items:
        if getattr(item, "originalname", None) == TEST:
            params = item.callspec.params
            selected.setdefault(np.dtype(params["dtype"]), []).append(params["rule"])
    rules = list({rule.name: rule for chosen in selected.values() for rule in chosen}.values())
    results = verify_rules(rules, dtype=list(selected), examples=settings.default.max_examples, jobs=os.cpu_count() or 1)
    return {(result.rule.name, result.dtype): result for result in results}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize("dtype", LANES)
def test_rule_matches_every_oracle(rule, dtype, verified):
    result = verified[rule.name, np.dtype(dtype).name]
    assert result.passed, result.report
    assert result.examples >= settings.default.max_examples
    # every oracle of the row's form was compared, and agreed
    assert set(rule.oracles) <= set(result.oracles), sorted(result.oracles)


@pytest.mark.parametrize("rule", [r for r in RULES if r.form == "jacobian"], ids=lambda r: r.name)
@given(data=st.data())
def test_finite_differences_agree(rule, data):
    """A third witness that shares no code with JAX: central differences of the NumPy primal.

    Tolerance: the central-difference error is about ε^(2/3) ≈ 4e-11 times the magnitude of the
    function and its derivatives here (values up to ~1e5 for y⁸ at |y| <= 4), so 1e-6 relative
    to that magnitude is loose for the method yet 1e5 times tighter than any planted mistake;
    plus four times the truncation error, estimated from the same differences at half the step.
    """
    args = data.draw(rule.inputs(np.dtype(np.float64)), label="args")
    hand = rule.derivative(*args)
    hand = hand if isinstance(hand, tuple) else (hand,)
    for k, argnum in enumerate(rule.wrt_indices):
        def along(a, argnum=argnum):
            return rule.primal(*args[:argnum], a, *args[argnum + 1:])

        fd = reference.finite_difference_jacobian(along, args[argnum])
        # where f curves sharply (layer norm of a nearly constant row, third derivative ~ eps^-1.5)
        # the truncation error exceeds the bound above; the same differences at half the step measure it
        half = reference.finite_difference_jacobian(along, args[argnum], step=np.cbrt(np.finfo(np.float64).eps) / 2)
        truncation = 4 / 3 * np.abs(half - fd)
        magnitude = max(1.0, float(np.max(np.abs(along(args[argnum])), initial=0.0)), float(np.max(np.abs(hand[k]), initial=0.0)))
        assert fd.shape == np.shape(hand[k])
        np.testing.assert_array_less(np.abs(hand[k] - fd), 1e-6 * magnitude + 1e-6 * np.abs(fd) + 4 * truncation,
                                     err_msg=f"{rule.name} w.r.t. {rule.args[argnum]}")
