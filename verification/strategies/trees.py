"""Pytrees of strategies: a strategy that draws a pytree shaped like a template whose leaves are
strategies (a params dict, a list of layers, an ``equinox`` module)."""

from __future__ import annotations

from typing import Any

import jax
from hypothesis import strategies as st

__all__ = ["pytrees"]


def pytrees(template: Any) -> st.SearchStrategy[Any]:
    """Pytrees shaped like ``template``, each leaf that is a strategy drawn from it (other leaves
    kept as they are): ``pytrees({"W": matrices(shape=(3, 2)), "b": vectors(n=2)})`` draws a
    params dict.  Any JAX pytree works as the template: dicts, lists, tuples, NamedTuples,
    registered dataclasses, ``equinox`` modules.  Hypothesis shrinks leaf by leaf.
    ``st.fixed_dictionaries`` and ``st.builds`` compose the same way for dicts and classes.

    Example:
        >>> from hypothesis import find
        >>> from verification.strategies import arrays, vectors
        >>> tree = find(pytrees({"W": arrays(shape=(2, 2)), "b": vectors(n=2)}), lambda _: True)
        >>> sorted(tree), tree["W"].shape, tree["b"].shape
        (['W', 'b'], (2, 2), (2,))
    """
    leaves, treedef = jax.tree_util.tree_flatten(template, is_leaf=lambda x: isinstance(x, st.SearchStrategy))
    drawn = [leaf if isinstance(leaf, st.SearchStrategy) else st.just(leaf) for leaf in leaves]
    return st.tuples(*drawn).map(lambda values: jax.tree_util.tree_unflatten(treedef, list(values)))
