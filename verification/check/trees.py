r"""Pytrees as a check sees them: leaves named by key path, structures matched, points stacked.

A check compares a hand derivative with JAX's leaf by leaf.  Each leaf is named as
``jax.tree_util.keystr`` writes its key path, after the argument it belongs to: ``args[0]['W1']``,
``args[0].layers[0].weight``, ``args[1][1]``.  Structures are matched by those key paths, so a user
class whose tree definition has no ``__eq__`` (static fields holding arrays) still matches itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from jax.tree_util import keystr, tree_flatten_with_path

Path = tuple[Any, ...]


def is_array_leaf(x: Any) -> bool:
    """NumPy arrays and scalars are leaves even though JAX would also treat them so; spelled out
    for trees that hold them next to Python lists."""
    return isinstance(x, np.ndarray | np.generic)


def flatten(tree: Any) -> tuple[list[Path], list[Any], Any]:
    """``(paths, leaves, treedef)`` of ``tree``."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf=is_array_leaf)
    return [p for p, _ in pairs], [leaf for _, leaf in pairs], treedef


def path_text(path: Path) -> str:
    return keystr(tuple(path))


@dataclass(frozen=True)
class Mismatch:
    """A hand derivative whose structure is not the one JAX gives."""

    expected: str
    actual: str
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    def text(self, what: str) -> str:
        lines = [f"{what} has the wrong structure:"]
        if self.missing:
            lines.append(f"  missing: {', '.join(self.missing)}")
        if self.extra:
            lines.append(f"  unexpected: {', '.join(self.extra)}")
        if not self.missing and not self.extra:
            lines.append("  the same key paths, in another order or another container")
        lines.append(f"  expected: {self.expected}")
        lines.append(f"  got:      {self.actual}")
        return "\n".join(lines)


def flatten_like(value: Any, treedef: Any, paths: Sequence[Path]) -> list[np.ndarray] | Mismatch:
    """The leaves of ``value`` in the order of ``treedef``'s, as float64 arrays, or the mismatch.

    A single expected leaf takes ``value`` whole (a nested list is one array, as NumPy reads it).
    Otherwise ``value`` is flattened up to ``treedef``; where the containers differ only in type
    (a list for a tuple) or their tree definitions cannot be compared, the key paths decide.
    """
    if treedef.num_leaves == 1 and not paths[0]:
        return [_as_array(value)]
    try:
        return [_as_array(leaf) for leaf in treedef.flatten_up_to(value)]
    except (ValueError, TypeError):
        pass
    got_paths, got_leaves, got_def = flatten(value)
    by_text = {path_text(p): leaf for p, leaf in zip(got_paths, got_leaves, strict=True)}
    wanted = [path_text(p) for p in paths]
    if list(by_text) == wanted:
        return [_as_array(by_text[w]) for w in wanted]
    return Mismatch(expected=str(treedef), actual=str(got_def),
                    missing=tuple(w for w in wanted if w not in by_text),
                    extra=tuple(g for g in by_text if g not in wanted))


def _as_array(leaf: Any) -> np.ndarray:
    try:
        return np.asarray(leaf, dtype=np.float64)
    except (TypeError, ValueError):
        return np.asarray(np.nan)  # not numbers: fails every comparison, named as NaN


def stack(trees: Sequence[Any]) -> Any:
    """Trees of one structure stacked leaf by leaf along a new axis 0."""
    if isinstance(trees[0], np.ndarray):
        return np.stack(trees)
    return jax.tree.map(lambda *leaves: np.stack(leaves), *trees, is_leaf=is_array_leaf)


def unstack(tree: Any, index: int) -> Any:
    return jax.tree.map(lambda leaf: leaf[index], tree, is_leaf=is_array_leaf)


def signature(tree: Any) -> tuple:
    """What a compiled program depends on: the structure and each leaf's shape and dtype."""
    if isinstance(tree, np.ndarray):
        return ("PyTreeDef(*)", ((tree.shape, tree.dtype.str),))
    paths, leaves, treedef = flatten(tree)
    return (str(treedef), tuple((np.shape(leaf), np.asarray(leaf).dtype.str) for leaf in leaves))


__all__ = ["Mismatch", "Path", "flatten", "flatten_like", "is_array_leaf", "path_text", "signature", "stack",
           "unstack"]
