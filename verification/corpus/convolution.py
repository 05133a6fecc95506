r"""Convolutions (1-D and 2-D; strided, padded, dilated, grouped): input and weight gradients.

The forward pass (layout NC… for the input, OI… for the weights, cross-correlation as in
``lax.conv_general_dilated``), with stride $s$, dilation $d$, padding $p$ and $G$ feature groups:

$$ y[n, o, q] = \sum_{c, k} x_p[n, g(o)\,C_g + c,\; q s + k d]\; w[o, c, k] $$

where $x_p$ is the zero-padded input, $C_g$ the input channels per group and $g(o)$ the group of
output channel $o$.  The gradients, for a cotangent $\bar y$ of $y$'s shape:

$$ \bar x_p[n, g C_g + c,\; q s + k d] \mathrel{+}= \sum_{o \in g} \bar y[n, o, q]\, w[o, c, k], \qquad
   \bar w[o, c, k] = \sum_{n, q} \bar y[n, o, q]\; x_p[n, g(o) C_g + c,\; q s + k d] $$

and $\bar x$ is $\bar x_p$ with the padding cropped off.  Written here with one NumPy
``einsum`` per kernel offset $k$ over a strided view of the padded input.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from jax import lax

from verification.corpus.case import Case, Mistake, case


@dataclass(frozen=True)
class Geometry:
    """A convolution's shapes and hyperparameters (spatial tuples have one entry per spatial axis)."""

    batch: int
    in_channels: int
    out_channels: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int = 1

    @property
    def out_size(self) -> tuple[int, ...]:
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, p, d, k, s in zip(self.size, self.padding, self.dilation, self.kernel, self.stride, strict=True))

    def jax_conv(self) -> Callable:
        """``conv(x, w)`` with ``lax.conv_general_dilated``."""
        def conv(x, w):
            return lax.conv_general_dilated(x, w, self.stride, [(p, p) for p in self.padding],
                                            rhs_dilation=self.dilation, feature_group_count=self.groups)
        return conv

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((self.batch, self.in_channels, *self.size))
        w = rng.standard_normal((self.out_channels, self.in_channels // self.groups, *self.kernel))
        return x, w

    def window(self, offset: tuple[int, ...], shift: int = 0) -> tuple[slice, ...]:
        """The strided view of the padded input that kernel ``offset`` multiplies (``shift``: moved
        along the first spatial axis, a planted mistake)."""
        starts = [k * d for k, d in zip(offset, self.dilation, strict=True)]
        starts[0] += shift
        return tuple(slice(b, b + s * (q - 1) + 1, s) for b, s, q in zip(starts, self.stride, self.out_size, strict=True))


def _grouped(g: Geometry, x_p: np.ndarray, w: np.ndarray, y_bar: np.ndarray):
    """The arrays with the group axis split out: x_p (n, G, Cg, …), w (G, Og, Cg, …), ȳ (n, G, Og, …)."""
    n, G = x_p.shape[0], g.groups
    return (x_p.reshape(n, G, -1, *x_p.shape[2:]), w.reshape(G, -1, *w.shape[1:]),
            y_bar.reshape(n, G, -1, *y_bar.shape[2:]))


def input_gradient(g: Geometry, shift: int = 0) -> Callable:
    """``x̄(x, w, ȳ)``.  ``shift`` ≠ 0 plants a window offset by ``shift`` (a wrong derivative)."""
    def derivative(x, w, y_bar):
        pad = [(0, 0), (0, 0)] + [(p, p + abs(shift)) for p in g.padding]
        x_p = np.zeros(np.pad(x, pad).shape, dtype=np.result_type(x, w, y_bar))
        xs, ws, ys = _grouped(g, x_p, w, y_bar)
        for offset in itertools.product(*(range(k) for k in g.kernel)):
            window = g.window(offset, shift)
            xs[(slice(None),) * 3 + window] += np.einsum("ngo...,goc->ngc...", ys, ws[(Ellipsis, *offset)])
        crop = tuple(slice(p, p + n) for p, n in zip(g.padding, g.size, strict=True))
        return x_p[(slice(None), slice(None)) + crop]
    return derivative


def weight_gradient(g: Geometry, shift: int = 0) -> Callable:
    """``w̄(x, w, ȳ)``; ``shift`` as in :func:`input_gradient`."""
    def derivative(x, w, y_bar):
        pad = [(0, 0), (0, 0)] + [(p, p + abs(shift)) for p in g.padding]
        x_p = np.pad(x, pad)
        xs, ws, ys = _grouped(g, x_p, w, y_bar)
        w_bar = np.zeros(ws.shape, dtype=np.result_type(x, w, y_bar))
        sp = "hwd"[: len(g.size)]  # the spatial axes
        for offset in itertools.product(*(range(k) for k in g.kernel)):
            window = g.window(offset, shift)
            w_bar[(Ellipsis, *offset)] = np.einsum(f"ngo{sp},ngc{sp}->goc", ys, xs[(slice(None),) * 3 + window])
        return w_bar.reshape(w.shape)
    return derivative


def _cases_for(name: str, g: Geometry, description: str) -> tuple[Case, Case]:
    conv = g.jax_conv()
    dx, dw = input_gradient(g), weight_gradient(g)
    def draw(rng):
        return g.draw(rng)

    def dx_dropped(x, w, y_bar):  # the last kernel tap left out
        w = w.copy()
        w[(Ellipsis, *(k - 1 for k in g.kernel))] = 0
        return dx(x, w, y_bar)

    def dw_dropped(x, w, y_bar):  # the last batch sample left out
        y_bar = y_bar.copy()
        y_bar[-1] = 0
        return dw(x, w, y_bar)

    return (
        case(f"{name} w.r.t. input", "convolution", conv, dx, draw, wrt=0, description=description,
             mistakes=(Mistake("dropped term", dx_dropped), Mistake("window +1", input_gradient(g, shift=1)))),
        case(f"{name} w.r.t. weights", "convolution", conv, dw, draw, wrt=1, description=description,
             mistakes=(Mistake("dropped term", dw_dropped), Mistake("window +1", weight_gradient(g, shift=1)))),
    )


def cases() -> tuple[Case, ...]:
    """1-D stride 2, padding 2, dilation 2; 2-D strided; 2-D padded and dilated; 2-D grouped."""
    return (
        *_cases_for("conv1d s2 p2 d2", Geometry(2, 3, 4, (16,), (3,), (2,), (2,), (2,)),
                    "1-D convolution, stride 2, padding 2, dilation 2"),
        *_cases_for("conv2d strided", Geometry(2, 3, 4, (9, 9), (3, 3), (2, 2), (0, 0), (1, 1)),
                    "2-D convolution, 3×3 kernel, stride 2"),
        *_cases_for("conv2d p1 d2", Geometry(1, 3, 4, (8, 8), (3, 3), (1, 1), (1, 1), (2, 2)),
                    "2-D convolution, 3×3 kernel, padding 1, dilation 2"),
        *_cases_for("conv2d groups 2", Geometry(2, 4, 6, (7, 7), (3, 3), (1, 1), (1, 1), (1, 1), groups=2),
                    "2-D convolution, 2 feature groups, padding 1"),
    )


__all__ = ["Geometry", "cases", "input_gradient", "weight_gradient"]
