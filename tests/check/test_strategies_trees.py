"""verification.strategies.trees: a pytree of strategies draws a pytree of the same structure,
each strategy leaf drawn and every other leaf kept, and shrinks leaf by leaf."""

from typing import Any, NamedTuple

import numpy as np
from hypothesis import find, given
from hypothesis import strategies as st
from test_strategies import SHRINK

from verification import strategies as S


class Layer(NamedTuple):
    W: Any
    b: Any


@given(st.data())
def test_each_strategy_leaf_is_drawn_and_every_other_leaf_kept(data):
    template = {"layers": [Layer(S.matrices(shape=(2, 3)), S.vectors(n=3)), Layer(S.matrices(shape=(3, 1)), 0.5)],
                "name": "mlp", "frozen": None, "scale": st.just(2.0)}
    tree = data.draw(S.pytrees(template))
    assert sorted(tree) == ["frozen", "layers", "name", "scale"]
    first, second = tree["layers"]
    assert type(first) is Layer and type(second) is Layer
    assert first.W.shape == (2, 3) and first.b.shape == (3,) and second.W.shape == (3, 1)
    assert second.b == 0.5 and tree["name"] == "mlp" and tree["frozen"] is None and tree["scale"] == 2.0


def test_a_tree_shrinks_leaf_by_leaf():
    tree = find(S.pytrees({"a": S.vectors(n=2), "b": S.floats()}), lambda t: t["b"] > 1, settings=SHRINK)
    assert not tree["a"].any() and tree["b"] > 1
    assert isinstance(tree["a"], np.ndarray)
