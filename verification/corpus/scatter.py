r"""Scatter-adds and segment sums: an embedding bag.

Rows ``idx[j]`` of a table $E$ (with repeats), weighted by $a_j$, summed into bags ``seg[j]``:
$y[b] = \sum_{j: \mathrm{seg}_j = b} a_j\, E[\mathrm{idx}_j]$ (``jax.ops.segment_sum``).  Then

$$ \bar E[v] = \sum_{j: \mathrm{idx}_j = v} a_j\, \bar y[\mathrm{seg}_j], \qquad
   \bar a_j = E[\mathrm{idx}_j] \cdot \bar y[\mathrm{seg}_j]; $$

the first is itself a scatter-add (``np.add.at``), adding up to ``REPEATS`` cotangents per row.
"""

from __future__ import annotations

import jax
import numpy as np

from verification.corpus.case import Case, Mistake, case

VOCABULARY, WIDTH, BAGS = 8, 4, 6
REPEATS = 4
"""How many times each table row is looked up."""
IDX = np.random.default_rng(7).permutation(np.repeat(np.arange(VOCABULARY), REPEATS))
SEG = np.sort(np.random.default_rng(8).integers(0, BAGS, IDX.size))


def embedding_bag(table, weights):
    """``segment_sum(table[IDX] · weights, SEG)``."""
    return jax.ops.segment_sum(table[IDX] * weights[:, None], SEG, num_segments=BAGS)


def table_gradient(table, weights, y_bar, *, drop_last: bool = False, shift: int = 0):
    """``Ē`` by ``np.add.at``; ``drop_last`` leaves out the last lookup, ``shift`` reads the next
    bag's cotangent (planted mistakes)."""
    rows = weights[:, None] * y_bar[(SEG + shift) % BAGS]
    keep = slice(None, -1) if drop_last else slice(None)
    out = np.zeros_like(table, dtype=np.result_type(table, weights, y_bar))
    np.add.at(out, IDX[keep], rows[keep])
    return out


def weight_gradient(table, weights, y_bar, *, shift: int = 0):
    """``ā``; ``shift`` reads the next bag's cotangent (a planted mistake)."""
    return np.sum(table[IDX] * y_bar[(SEG + shift) % BAGS], axis=1)


def _first_weight_dropped(table, weights, y_bar):
    """``ā`` with the first lookup's term left out (a planted mistake)."""
    out = weight_gradient(table, weights, y_bar)
    out[0] = 0
    return out


def _draw(rng):
    return rng.standard_normal((VOCABULARY, WIDTH)), rng.standard_normal(IDX.size)


def cases() -> tuple[Case, ...]:
    """The embedding bag w.r.t. the table (a scatter-add backward) and w.r.t. the weights."""
    return (
        case("segment_sum w.r.t. table", "scatter", embedding_bag, table_gradient, _draw, wrt=0,
             description=f"embedding bag: {IDX.size} lookups of {VOCABULARY} rows into {BAGS} bags; the backward scatter-adds",
             mistakes=(Mistake("dropped term", lambda e, a, g: table_gradient(e, a, g, drop_last=True)),
                       Mistake("window +1", lambda e, a, g: table_gradient(e, a, g, shift=1)))),
        case("segment_sum w.r.t. weights", "scatter", embedding_bag, weight_gradient, _draw, wrt=1,
             description="embedding bag w.r.t. the lookup weights",
             mistakes=(Mistake("dropped term", _first_weight_dropped),
                       Mistake("window +1", lambda e, a, g: weight_gradient(e, a, g, shift=1)))),
    )


__all__ = ["BAGS", "IDX", "SEG", "cases", "embedding_bag", "table_gradient", "weight_gradient"]
