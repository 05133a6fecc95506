r"""Recurrences through ``lax.scan`` and ``lax.fori_loop``: a tanh RNN, differentiated through time.

$h_t = \tanh(W h_{t-1} + x_t)$ for $t = 1 \ldots T$ from $h_0$.  Backpropagation through time for
cotangents $\bar h_t$ of every state (``states``) or of the last one (``last``):
$\delta_T = \bar h_T$, and for $t = T \ldots 1$

$$ a_t = \delta_t \odot (1 - h_t^2), \qquad \bar W \mathrel{+}= a_t\, h_{t-1}^{\mathsf T}, \qquad
   \delta_{t-1} = \bar h_{t-1} + W^{\mathsf T} a_t. $$
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
from jax import lax

from verification.corpus.case import Case, Mistake, case

HIDDEN = 6


def states(w, xs, h0):
    """Every hidden state, (T, H), through ``lax.scan``."""
    def step(h, x):
        h = jnp.tanh(w @ h + x)
        return h, h
    return lax.scan(step, h0, xs)[1]


def last_state(w, xs, h0):
    """The last hidden state through ``lax.fori_loop``."""
    return lax.fori_loop(0, xs.shape[0], lambda t, h: jnp.tanh(w @ h + xs[t]), h0)


def _forward(w, xs, h0) -> np.ndarray:
    """h_0 … h_T, (T + 1, H)."""
    h = [h0]
    for x in xs:
        h.append(np.tanh(w @ h[-1] + x))
    return np.stack(h)


def bptt(*, every_state: bool, skip_step: int | None = None, drop_direct: bool = False) -> Callable:
    """``W̄(w, xs, h0, h̄)``; ``skip_step`` leaves one time step's contribution to W̄ out,
    ``drop_direct`` never adds the direct cotangent h̄_{t−1} (planted mistakes)."""
    def derivative(w, xs, h0, h_bar):
        h = _forward(w, xs, h0)
        T = xs.shape[0]
        direct = h_bar if every_state else np.concatenate([np.zeros((T - 1, *h_bar.shape), h_bar.dtype), h_bar[None]])
        w_bar = np.zeros_like(w, dtype=np.result_type(w, xs, h_bar))
        delta = direct[T - 1]
        for t in range(T, 0, -1):
            a = delta * (1 - h[t] ** 2)
            if t != skip_step:
                w_bar += np.outer(a, h[t - 1])
            delta = w.T @ a + (0 if drop_direct or t == 1 else direct[t - 2])
        return w_bar
    return derivative


def _draw(steps: int) -> Callable:
    def draw(rng):
        w = 0.9 * rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)
        return w, rng.standard_normal((steps, HIDDEN)), rng.standard_normal(HIDDEN)
    return draw


def cases() -> tuple[Case, ...]:
    """The RNN through ``lax.scan`` over 30 and 100 steps (every state), and through ``fori_loop``."""
    out = []
    for steps in (30, 100):
        out.append(case(f"rnn scan {steps} steps", "recurrent", states, bptt(every_state=True), _draw(steps),
                        description=f"tanh RNN through lax.scan, {steps} steps, w.r.t. W (all states' cotangents)",
                        mistakes=(Mistake("time step dropped", bptt(every_state=True, skip_step=1)),
                                  Mistake("dropped term", bptt(every_state=True, drop_direct=True)))))
    out.append(case("rnn fori_loop 30 steps", "recurrent", last_state, bptt(every_state=False), _draw(30),
                    description="tanh RNN through lax.fori_loop, 30 steps, w.r.t. W (the last state's cotangent)",
                    mistakes=(Mistake("time step dropped", bptt(every_state=False, skip_step=30)),)))
    return tuple(out)


__all__ = ["HIDDEN", "bptt", "cases", "last_state", "states"]
