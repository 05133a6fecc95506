r"""The pseudo-random numbers of a perturbed evaluation (:mod:`verification.noise`).

Each perturbed operation draws $r$ uniform in $[-1, 1]$ per entry of its result from a 32-bit
integer hash of the entry's flat index $i$, the operation's position $k$ in the evaluation and
the sample's key, arithmetic modulo $2^{32}$:

$$ r = 2^{-23}\,\big\lfloor \mathrm{mix}(i\,G + k\,P + \mathrm{key}) / 2^8 \big\rfloor - 1, $$

``mix`` the xor-shift-multiply finaliser of :func:`mix`, $G$ and $P$ odd constants: a few integer
operations per entry, not ``jax.random`` (whose generator would be compiled once per perturbed
operation).

Drawn operation by operation (:func:`hashed_uniform`), that is a dozen traced and compiled
operations per perturbed operation.  Where the operations are known before the evaluation runs
(its jaxpr says which are perturbed, in which order, at which shapes), a :class:`Plan` draws them
all at once: the terms $i\,G + k\,P$ of every planned entry are one constant, hashed by one
``mix`` per dtype, and each operation slices its own entries.  The numbers are the same, bit for
bit; an operation the plan does not hold at its position, shape and dtype is drawn on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import lax

GOLDEN, ITERATION, DEPTH, OPERATION = 0x9E3779B1, 0x27D4EB2F, 0x165667B1, 0x85EBCA77
"""Odd 32-bit multipliers of the hash: an entry's index, a loop's iteration and depth, and an
operation's position are spread over all 32 bits before they are mixed."""

PLANNED_ENTRIES = 1 << 16
"""At most this many entries, over all planned operations, are drawn at once: their terms are a
constant of the compiled program.  Beyond, every operation draws on its own."""


def u32(value: int) -> np.uint32:
    """``value`` modulo 2³² as a uint32 scalar: ``lax`` broadcasts a scalar operand without an
    operation of its own, where a constant of the operand's shape costs one (and one more per
    ``vmap``)."""
    return np.uint32(value & 0xFFFFFFFF)


def mix(bits):
    """A 32-bit integer hash's finaliser (xor-shift and multiply, twice): every input bit moves
    about half of the output bits."""
    bits = lax.bitwise_xor(bits, lax.shift_right_logical(bits, u32(16)))
    bits = lax.mul(bits, u32(0x7FEB352D))
    bits = lax.bitwise_xor(bits, lax.shift_right_logical(bits, u32(15)))
    bits = lax.mul(bits, u32(0x846CA68B))
    return lax.bitwise_xor(bits, lax.shift_right_logical(bits, u32(16)))


def index_bits(shape: tuple[int, ...]):
    """Each entry's flat index as uint32, times ``GOLDEN`` (traced: iotas, no constant of the shape)."""
    index = lax.full(shape, 0, jnp.uint32)
    stride = 1
    for axis in reversed(range(len(shape))):
        index = lax.add(index, lax.mul(lax.broadcasted_iota(jnp.uint32, shape, axis), u32(stride)))
        stride *= shape[axis]
    return lax.mul(index, u32(GOLDEN))


def fraction(bits, dtype):
    """The top 24 bits of ``bits`` as a number of ``dtype`` uniform in [-1, 1)."""
    scaled = lax.mul(lax.convert_element_type(lax.shift_right_logical(bits, u32(8)), dtype), np.dtype(dtype).type(2.0 ** -23))
    return lax.sub(scaled, np.dtype(dtype).type(1.0))


def hashed_uniform(index, count: int, key_term, dtype):
    """The numbers of the operation at position ``count``, drawn on its own: ``index`` is
    :func:`index_bits` of its shape, ``key_term`` the sample's (uint32 scalar)."""
    return fraction(mix(lax.add(index, lax.add(key_term, u32(count * OPERATION)))), dtype)


class Plan:
    """The numbers of the operations ``draws`` (``(position, shape, dtype)`` each), drawn at once
    per dtype on first use; none when they hold more than :data:`PLANNED_ENTRIES` entries."""

    def __init__(self, draws: Sequence[tuple[int, tuple[int, ...], np.dtype]]):
        self._entries: dict[int, tuple[tuple[int, ...], np.dtype, int]] = {}
        terms: dict[np.dtype, list[np.ndarray]] = {}
        for count, shape, dtype in draws:
            parts = terms.setdefault(dtype, [])
            start = sum(len(p) for p in parts)
            self._entries[count] = (shape, dtype, start)
            parts.append((np.arange(math.prod(shape), dtype=np.uint64) * GOLDEN + (count * OPERATION)) % (1 << 32))
        if sum(len(p) for parts in terms.values() for p in parts) > PLANNED_ENTRIES:
            self._entries, terms = {}, {}
        self._terms = {dtype: np.concatenate(parts).astype(np.uint32) for dtype, parts in terms.items()}
        self._tables: dict[np.dtype, Any] = {}

    def draw(self, count: int, shape: tuple[int, ...], dtype: np.dtype, key_term: Callable[[], Any]):
        """The numbers of the operation at position ``count``, of ``shape`` and ``dtype``, with the
        sample's ``key_term()``; None where the plan does not hold that operation."""
        entry = self._entries.get(count)
        if entry is None or entry[0] != shape or entry[1] != dtype:
            return None
        if dtype not in self._tables:
            self._tables[dtype] = fraction(mix(lax.add(self._terms[dtype], key_term())), dtype)
        start = entry[2]
        return lax.reshape(lax.slice(self._tables[dtype], (start,), (start + math.prod(shape),)), shape)


__all__ = ["DEPTH", "GOLDEN", "ITERATION", "OPERATION", "PLANNED_ENTRIES", "Plan", "fraction", "hashed_uniform",
           "index_bits", "mix", "u32"]
