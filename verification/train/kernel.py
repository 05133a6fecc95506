r"""The compiled training loop: every step of a run in one ``lax.scan`` inside one ``jax.jit`` program.

Each step evaluates, on every device's rows of X, the loss and the gradient of
``verification.neuron``: the hand formula :func:`~verification.neuron.loss_and_grads`
(``mode="hand"``), ``jax.value_and_grad`` of :func:`~verification.neuron.mse_loss`
(``"autodiff"``), or both, compared at every step (``"both"``); adds the devices' partial sums
with ``psum``; and applies rule ``gd_update``, $\mathbf{w} \leftarrow \mathbf{w} - \eta\,\partial C/\partial\mathbf{w}$,
$b \leftarrow b - \eta\,\partial C/\partial b$.

- A program is compiled once per (mesh, shapes, dtype, steps, mode, models) and cached: new
  data, learning rate or start point of the same shapes reuse it (:func:`compile_count`).
- A device holding several blocks walks them with ``lax.fori_loop``: $z$ for a block, then
  $X_{blk}^T\mathbf{s}$ while the block is still in cache, so X is read from memory once per step.
  $C$ is a sum over blocks, so the autodiff gradient is ``jax.value_and_grad`` of each block's
  term, summed.
- ``models``: the loop ``jax.vmap``-ed over a leading axis of ``w``, ``b`` and the learning rate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

from verification.neuron import hand_signal, loss_and_grads, mse_loss
from verification.train.layout import AXIS, SUB_ROWS

MODES = ("hand", "autodiff", "both", "loss", "active", "final")
BLOCK_UNROLL = 4
"""``fori_loop`` unroll factor for the block loop."""
_traced = 0


def compile_count() -> int:
    """How many training programs have been traced and compiled in this process so far."""
    return _traced


def block_terms(w, b, X, y, mask, *, n, mode: str, features_first: bool = False, signal: Callable = hand_signal) -> tuple:
    r"""One block's terms of the sums a step needs.

    ``"hand"`` and ``"autodiff"``: (C, ∂C/∂w, ∂C/∂b); ``"loss"``: (C,); ``"active"``: (the
    number of samples with z > 0,); ``"final"``: both of those; ``"both"``: (C, hand ∂C/∂w, ∂C/∂b, autodiff ∂C/∂w, ∂C/∂b,
    $\sum_i |s_i||\mathbf{x}_i|$, $\sum_i |s_i|$): the magnitudes of the summed terms.
    """
    if not features_first and X.shape[0] > SUB_ROWS and X.shape[0] % SUB_ROWS == 0:
        X, y = X.reshape(-1, SUB_ROWS, X.shape[1]), y.reshape(-1, SUB_ROWS)
        mask = None if mask is None else mask.reshape(-1, SUB_ROWS)
    layout = {"n": n, "mask": mask, "features_first": features_first}
    if mode == "loss":
        return (mse_loss(w, b, X, y, **layout),)
    if mode in ("active", "final"):
        active = ((w @ X if features_first else X @ w) + b > 0).astype(X.dtype)
        count = jnp.sum(active if mask is None else active * mask)
        return (count,) if mode == "active" else (mse_loss(w, b, X, y, **layout), count)
    if mode == "autodiff":
        loss, (grad_w, grad_b) = jax.value_and_grad(mse_loss, argnums=(0, 1))(w, b, X, y, **layout)
        return loss, grad_w, grad_b
    loss, grad_w, grad_b, s = loss_and_grads(w, b, X, y, **layout, signal=signal)
    if mode == "hand":
        return loss, grad_w, grad_b
    auto_w, auto_b = jax.grad(mse_loss, argnums=(0, 1))(w, b, X, y, **layout)
    scale_w = jnp.abs(X) @ jnp.abs(s) if features_first else jnp.einsum("...ri,...r->i", jnp.abs(X), jnp.abs(s))
    return loss, grad_w, grad_b, auto_w, auto_b, scale_w, jnp.sum(jnp.abs(s))


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
        init = tuple(lax.pcast(jnp.zeros(s.shape, s.dtype), (AXIS,), to="varying") for s in shapes)

        def body(k, acc):
            return tuple(a + t for a, t in zip(acc, terms(w, b, X[k], y[k], None), strict=True))

        sums = lax.fori_loop(0, X.shape[0], body, init, unroll=BLOCK_UNROLL)
    if rest:
        rest_X, rest_y, mask = rest
        sums = tuple(a + t for a, t in zip(sums, terms(w, b, rest_X[0], rest_y[0], mask[0]), strict=True))
    return tuple(lax.psum(s, AXIS) for s in sums)


def _gap(hand, auto, scale):
    """max_j |hand_j - auto_j| / scale_j (inf where the scale is 0 but they differ)."""
    difference = jnp.abs(hand - auto)
    safe = jnp.where(scale > 0, scale, 1)
    return jnp.max(jnp.where(scale > 0, difference / safe, jnp.where(difference > 0, jnp.inf, 0)))


@functools.lru_cache(maxsize=64)
def program(mesh: Mesh, n: int, steps: int, mode: str, models: bool, features_first: bool, signal: Callable = hand_signal):
    """The jitted loop ``(w, b, learning_rate, X, y, rest) -> (w, b, per-step outputs, final loss, active count)``.

    Per-step outputs are the loss before each step, or (loss, gap) in ``"both"`` mode, the
    gap between the hand and autodiff gradients in units of the summed terms' magnitude.
    ``steps=0`` gives ``(w, b, rest...) -> (loss or active count,)`` at (w, b) ("loss" or "active").
    """

    def sums(w, b, X, y, rest, mode):
        local = functools.partial(_device_sums, n=n, mode=mode, features_first=features_first, signal=signal)
        return jax.shard_map(local, mesh=mesh, in_specs=(P(), P(), P(AXIS), P(AXIS), P(AXIS)), out_specs=P())(w, b, X, y, rest)

    def evaluate(w, b, X, y, rest):
        global _traced
        _traced += 1
        return sums(w, b, X, y, rest, mode)

    def run(w, b, learning_rate, X, y, rest):
        global _traced
        _traced += 1

        def step(params, _):
            w, b = params
            if mode == "both":
                loss, grad_w, grad_b, auto_w, auto_b, scale_w, scale_b = sums(w, b, X, y, rest, "both")
                gap = jnp.maximum(_gap(grad_w, auto_w, scale_w), _gap(grad_b, auto_b, scale_b))
                return (w - learning_rate * grad_w, b - learning_rate * grad_b), (loss, gap)
            loss, grad_w, grad_b = sums(w, b, X, y, rest, mode)
            return (w - learning_rate * grad_w, b - learning_rate * grad_b), loss

        (w, b), history = lax.scan(step, (w, b), None, length=steps)
        final_loss, active = sums(w, b, X, y, rest, "final")
        return w, b, history, final_loss, active

    if steps == 0:
        return jax.jit(evaluate)
    if models:
        run = jax.vmap(run, in_axes=(0, 0, 0, None, None, None))
    return jax.jit(run)
