r"""The compiled training loop: every step of a run in one ``lax.scan`` inside one ``jax.jit`` program.

Each step evaluates, on every device's rows of X, the loss and the gradient of
``verification.neuron``: the hand formula :func:`~verification.neuron.loss_and_grads`
(``Mode.HAND``), ``jax.value_and_grad`` of :func:`~verification.neuron.mse_loss`
(``Mode.AUTODIFF``), or both, compared at every step (``Mode.BOTH``); adds the devices' partial
sums with ``psum``; and applies rule ``gd_update``, $\mathbf{w} \leftarrow \mathbf{w} - \eta\,\partial C/\partial\mathbf{w}$,
$b \leftarrow b - \eta\,\partial C/\partial b$.

- A program is compiled once per (mesh, shapes, dtype, steps, mode, models) and cached: new
  data, learning rate or start point of the same shapes reuse it (:func:`compile_count`).
- A device holding several blocks walks them with ``lax.fori_loop``: $z$ for a block, then
  $X_{blk}^T\mathbf{s}$ while the block is still in cache, so X is read from memory once per step.
  $C$ is a sum over blocks, so the autodiff gradient is ``jax.value_and_grad`` of each block's
  term, summed.
- ``models``: the loop ``jax.vmap``-ed over a leading axis of ``w``, ``b`` and the learning rate.

Every mode sums one kind of terms over the samples, a ``NamedTuple`` of arrays (JAX adds them
leaf by leaf): :class:`Step`, :class:`Compared`, :class:`Loss`, :class:`Active`, :class:`Final`,
:class:`Gram`.
"""

from __future__ import annotations

import enum
import functools
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

from verification.neuron import hand_signal, loss_and_grads, mse_loss
from verification.train.errors import ArgumentError
from verification.train.layout import AXIS, SUB_ROWS


class Mode(enum.Enum):
    """What a program sums over the samples; the result type of each is in ``RESULTS``."""

    HAND = "hand"
    AUTODIFF = "autodiff"
    BOTH = "both"
    LOSS = "loss"
    ACTIVE = "active"
    FINAL = "final"
    GRAM = "gram"


class Step(NamedTuple):
    """$C$ and its gradient, by the hand formula or by ``jax.value_and_grad``."""

    loss: Any
    grad_w: Any
    grad_b: Any


class Compared(NamedTuple):
    r"""$C$, the hand gradient, the ``jax.grad`` one, and the magnitudes of the summed terms,
    $\sum_i |s_i||\mathbf{x}_i|$ and $\sum_i |s_i|$ (the units of their difference)."""

    loss: Any
    grad_w: Any
    grad_b: Any
    auto_w: Any
    auto_b: Any
    scale_w: Any
    scale_b: Any


class Loss(NamedTuple):
    loss: Any


class Active(NamedTuple):
    """How many samples have $z_i > 0$."""

    count: Any


class Final(NamedTuple):
    """$C$ and the active count at the end of a run."""

    loss: Any
    active: Any


class Gram(NamedTuple):
    r"""The pieces of $\hat X^T\hat X$, $\hat X = [X, \vec{1}]$: $X^TX$, $X^T\vec{1}$ and the number of samples."""

    products: Any
    sums: Any
    count: Any


RESULTS: dict[Mode, type] = {Mode.HAND: Step, Mode.AUTODIFF: Step, Mode.BOTH: Compared, Mode.LOSS: Loss,
                             Mode.ACTIVE: Active, Mode.FINAL: Final, Mode.GRAM: Gram}
GRADIENTS = (Mode.HAND, Mode.AUTODIFF)
"""The gradients a run can follow."""
BLOCK_UNROLL = 4
"""``fori_loop`` unroll factor for the block loop."""
_traced = 0


def gradient_mode(gradient: str | Mode, choices: tuple[Mode, ...] = GRADIENTS) -> Mode:
    """``gradient`` (a mode or its name) as one of ``choices``; ArgumentError naming ``gradient`` otherwise."""
    names = tuple(mode.value for mode in choices)
    value = gradient.value if isinstance(gradient, Mode) else gradient
    if value not in names:
        raise ArgumentError("gradient", f"expected one of {names}, got {gradient!r}")
    return Mode(value)


def compile_count() -> int:
    """How many training programs have been traced and compiled in this process so far."""
    return _traced


def block_terms(w, b, X, y, mask, *, n, mode: Mode, features_first: bool = False, signal: Callable = hand_signal):
    """One block's terms of the sums ``mode`` needs, as ``RESULTS[mode]``."""
    if not features_first and X.shape[0] > SUB_ROWS and X.shape[0] % SUB_ROWS == 0:
        X, y = X.reshape(-1, SUB_ROWS, X.shape[1]), y.reshape(-1, SUB_ROWS)
        mask = None if mask is None else mask.reshape(-1, SUB_ROWS)
    layout = {"n": n, "mask": mask, "features_first": features_first}
    if mode is Mode.LOSS:
        return Loss(mse_loss(w, b, X, y, **layout))
    if mode is Mode.GRAM:
        count = jnp.sum(jnp.ones_like(y) if mask is None else mask)
        if features_first:  # X is (n, rows)
            rows = X if mask is None else X * mask[None, :]
            return Gram(X @ rows.T, jnp.sum(rows, axis=-1), count)
        rows = X if mask is None else X * mask[..., None]
        return Gram(jnp.einsum("...ri,...rj->ij", rows, X), jnp.sum(rows, axis=tuple(range(X.ndim - 1))), count)
    if mode in (Mode.ACTIVE, Mode.FINAL):
        active = ((w @ X if features_first else X @ w) + b > 0).astype(X.dtype)
        count = jnp.sum(active if mask is None else active * mask)
        return Active(count) if mode is Mode.ACTIVE else Final(mse_loss(w, b, X, y, **layout), count)
    if mode is Mode.AUTODIFF:
        loss, (grad_w, grad_b) = jax.value_and_grad(mse_loss, argnums=(0, 1))(w, b, X, y, **layout)
        return Step(loss, grad_w, grad_b)
    loss, grad_w, grad_b, s = loss_and_grads(w, b, X, y, **layout, signal=signal)
    if mode is Mode.HAND:
        return Step(loss, grad_w, grad_b)
    auto_w, auto_b = jax.grad(mse_loss, argnums=(0, 1))(w, b, X, y, **layout)
    scale_w = jnp.abs(X) @ jnp.abs(s) if features_first else jnp.einsum("...ri,...r->i", jnp.abs(X), jnp.abs(s))
    return Compared(loss, grad_w, grad_b, auto_w, auto_b, scale_w, jnp.sum(jnp.abs(s)))


def _add(total, terms):
    return jax.tree.map(operator.add, total, terms)


def _device_sums(w, b, X, y, rest, *, n, mode, features_first, signal):
    """Sums over this device's blocks (a ``fori_loop`` when it holds several) and its rest rows,
    then over the devices."""
    terms = functools.partial(block_terms, n=n, mode=mode, features_first=features_first, signal=signal)
    # Differentiate this device's own copy of the parameters: a gradient with respect to the
    # replicated ones would be summed over devices (a psum) inside every block.
    w, b = (lax.pcast(v, (AXIS,), to="varying") for v in (w, b))
    if X.shape[0] == 1:
        sums = terms(w, b, X[0], y[0], None)
    else:
        shapes = jax.eval_shape(lambda: terms(w, b, X[0], y[0], None))
        init = jax.tree.map(lambda s: lax.pcast(jnp.zeros(s.shape, s.dtype), (AXIS,), to="varying"), shapes)
        sums = lax.fori_loop(0, X.shape[0], lambda k, total: _add(total, terms(w, b, X[k], y[k], None)), init,
                             unroll=BLOCK_UNROLL)
    if rest:
        rest_X, rest_y, mask = rest
        sums = _add(sums, terms(w, b, rest_X[0], rest_y[0], mask[0]))
    return jax.tree.map(lambda s: lax.psum(s, AXIS), sums)


def _gap(hand, auto, scale):
    """max_j |hand_j - auto_j| / scale_j (inf where the scale is 0 but they differ)."""
    difference = jnp.abs(hand - auto)
    safe = jnp.where(scale > 0, scale, 1)
    return jnp.max(jnp.where(scale > 0, difference / safe, jnp.where(difference > 0, jnp.inf, 0)))


def _sums(mesh: Mesh, n: int, mode: Mode, features_first: bool, signal: Callable):
    """``(w, b, X, y, rest) -> RESULTS[mode]``, summed over every device of ``mesh``."""
    local = functools.partial(_device_sums, n=n, mode=mode, features_first=features_first, signal=signal)
    return jax.shard_map(local, mesh=mesh, in_specs=(P(), P(), P(AXIS), P(AXIS), P(AXIS)), out_specs=P())


@functools.lru_cache(maxsize=64)
def evaluation(mesh: Mesh, n: int, mode: Mode, features_first: bool):
    """The jitted ``(w, b, X, y, rest) -> RESULTS[mode]`` at one point (``Mode.LOSS``, ``ACTIVE`` or ``GRAM``)."""
    sums = _sums(mesh, n, mode, features_first, hand_signal)

    def evaluate(w, b, X, y, rest):
        global _traced
        _traced += 1
        return sums(w, b, X, y, rest)

    return jax.jit(evaluate)


@functools.lru_cache(maxsize=64)
def program(mesh: Mesh, n: int, steps: int, mode: Mode, models: bool, features_first: bool, signal: Callable = hand_signal):
    """The jitted loop ``(w, b, learning_rate, X, y, rest) -> (w, b, per-step outputs, Final)``.

    Per-step outputs are the loss before each step, or (loss, gap) in ``Mode.BOTH``, the gap
    between the hand and autodiff gradients in units of the summed terms' magnitude.
    """
    sums = _sums(mesh, n, mode, features_first, signal)
    final = _sums(mesh, n, Mode.FINAL, features_first, signal)

    def run(w, b, learning_rate, X, y, rest):
        global _traced
        _traced += 1

        def step(params, _):
            w, b = params
            terms = sums(w, b, X, y, rest)
            updated = (w - learning_rate * terms.grad_w, b - learning_rate * terms.grad_b)
            if mode is Mode.BOTH:
                gap = jnp.maximum(_gap(terms.grad_w, terms.auto_w, terms.scale_w), _gap(terms.grad_b, terms.auto_b, terms.scale_b))
                return updated, (terms.loss, gap)
            return updated, terms.loss

        (w, b), history = lax.scan(step, (w, b), None, length=steps)
        return w, b, history, final(w, b, X, y, rest)

    if models:
        run = jax.vmap(run, in_axes=(0, 0, 0, None, None, None))
    return jax.jit(run)
