r"""Rounding models of accumulations: sums of many terms, cumulative products, FFTs.

Used by :mod:`verification.noise`, which perturbs each result by $r\cdot\text{size}$, $r$ uniform
in $[-1, 1]$; this module gives the size, per entry, with $u = \epsilon$.

**Sums.**  ``dot_general``, ``conv_general_dilated`` (any stride, padding, dilation, feature and
batch groups), ``reduce_sum``, ``cumsum``, ``reduce_window`` sums (sum and average pooling),
``select_and_scatter_add`` (max pooling's backward) and ``scatter-add`` (segment sums) each add,
per result entry, $N$ terms $t_1 \ldots t_N$ (products, for ``dot_general`` and convolutions).
Added one at a time, the rounding error is $\sum_{k \ge 2} \delta_k s_k$ over the partial sums
$s_k$ ($|\delta_k| \le u/2$), plus $\sum_j \delta'_j t_j$ for the rounded products.  The order is
XLA's (blocked, vectorised, not known here), so the partial sums are taken in a random order:
with $S = \sum t$, $Q = \sum t^2$ and the terms' variance $v = Q/N - S^2/N^2$, drawing without
replacement gives

$$ \mathbb{E}\sum_{k=2}^N s_k^2 = A(N)\,S^2 + B(N)\,v, \qquad
   A(N) = \frac{N(N+1)(2N+1)/6 - 1}{N^2} \approx \frac N3, \quad B(N) = \frac{(N+3)(N-2)}{6}, $$

and the size is $u\sqrt{A(N) S^2 + B(N) v + Q_{\text{products}}}$: about three standard deviations
of the error (each $\delta$ has standard deviation $u/\sqrt{12}$).  Where the terms cancel
($S \approx 0$) it is $u\sqrt{N Q/6}$, far below the worst case $u N \sum|t|$; where they do not it
is $u\sqrt{N/3}\,|S|$.  $S$, $Q$ and $N$ are the same operation applied to the terms, to their
squares and to their indicators ($t \ne 0$, so padding, dilation and structural zeros do not count).

``cumsum`` is lowered (on CPU and GPU) to an associative scan, a tree of depth
$L = \lceil\log_2 N\rceil$ whose partial sums are far smaller: $A = 2(1 - 1/N)$, $B = N L$.

**Products** (``reduce_prod``, and ``cumprod`` with $N$ factors so far): each of the $N - 1$
multiplications errs relatively, whatever the order, so $u\sqrt N\,|y|$.  **cumlogsumexp** combines $N$ terms by log-add-exp in an
associative scan of depth $L$, each combination erring by the library functions' few ulps
absolutely and by one ulp of the result: $u\sqrt L\,(\text{ulps}_{\text{lib}} + |y|)$.

**FFTs** (any type and rank): a Cooley–Tukey transform of length $n$ rounds at each of its
$L = \log_2 n$ stages; the intermediate values of stage $s$ have norm $2^{s/2}\|x\|$ and what a stage
adds is carried by the later stages with the same growth, so every output entry errs by about
$u\sqrt L\,\mathrm{rms}(y)$, $\mathrm{rms}(y)$ over the transformed axes (``FFT_ULPS`` times that).
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import lax

TERMS: dict[str, tuple[int, ...]] = {
    "dot_general": (0, 1), "conv_general_dilated": (0, 1), "reduce_sum": (0,), "cumsum": (0,),
    "reduce_window_sum": (0,), "select_and_scatter_add": (0,), "scatter-add": (0, 2), "scatter_add": (0, 2),
}
"""The summing primitives, with the positions of their operands that carry terms (the others are
indices, or the operand whose largest entry a pooling window selects)."""
PRODUCTS = frozenset({"dot_general", "conv_general_dilated"})
"""Summing primitives whose terms are rounded products."""
SCANNED = frozenset({"cumsum"})
r"""Cumulative sums, which JAX lowers (on CPU and GPU) to an associative scan: each result combines
its terms in a tree of depth $\lceil\log_2 N\rceil$, not one after another."""
ACCUMULATIONS = frozenset(TERMS) | {"cumprod", "reduce_prod", "cumlogsumexp", "fft"}
"""Every primitive this module models."""
FFT_ULPS = 1.0
"""The FFT's constant: measured against a long-double FFT, XLA's float32 and float64 errors have
a root mean square of 0.2 to 0.3 and a largest entry of 0.6 to 1.3 times $u\\sqrt L\\,\\mathrm{rms}(y)$
(n from 8 to 4096), so 1 puts every entry within the noise factor's reach."""


def inexact(x) -> bool:
    """Whether ``x`` is a floating-point or complex array (the values rounding touches)."""
    return bool(jnp.issubdtype(jnp.result_type(x), jnp.inexact))


def real_dtype(dtype) -> np.dtype:
    """The real dtype of ``dtype`` (float32 for complex64)."""
    return np.dtype(jnp.finfo(dtype).dtype)


def scalar(value: float, dtype: Any) -> Any:
    """``value`` as a scalar of ``dtype``: ``lax`` broadcasts a scalar operand without an operation
    of its own, where a constant of the operand's shape costs one (and one more per ``vmap``)."""
    return np.dtype(dtype).type(value)


def _bind_on(eqn, invals, transform, real):
    """``eqn``'s operation applied to ``transform`` of its term operands (the others unchanged), in
    the real dtype ``real``."""
    params = dict(eqn.primitive.get_bind_params(eqn.params))
    if params.get("preferred_element_type") is not None:
        params["preferred_element_type"] = real
    positions = TERMS[eqn.primitive.name]
    args = [transform(v) if i in positions else v for i, v in enumerate(invals)]
    out = eqn.primitive.bind(*args, **params)
    return out[0] if eqn.primitive.multiple_results else out


def sum_rounding(total, squares, count, u: float, *, tree: bool = False):
    """``u·sqrt(A(N)·S² + B(N)·v)`` per entry (the module docstring) from |S|, Q and N, all of one
    real dtype and shape; ``tree``: added as an associative scan adds them, ``A = 2(1 − 1/N)``
    and ``B = N⌈log₂N⌉`` (each of the ⌈log₂N⌉ levels holds partial sums whose squares add up to
    about ``N·v``, and the last levels' partial sums add up to ``S``).  Written with ``lax`` (cheap
    to trace, as the perturbed evaluation is)."""
    dtype = jnp.result_type(total)

    def c(value: float):
        return scalar(value, dtype)

    n = lax.max(count, c(1.0))
    if tree:
        a = lax.mul(c(2.0), lax.sub(c(1.0), lax.div(c(1.0), n)))
        b = lax.mul(n, lax.ceil(lax.div(lax.log(n), c(math.log(2.0)))))
    else:
        a = lax.div(lax.sub(lax.div(lax.mul(lax.mul(n, lax.add(n, c(1.0))), lax.add(lax.mul(c(2.0), n), c(1.0))), c(6.0)), c(1.0)),
                    lax.mul(n, n))
        b = lax.max(lax.div(lax.mul(lax.add(n, c(3.0)), lax.sub(n, c(2.0))), c(6.0)), c(0.0))
    mean = lax.div(total, n)
    variance = lax.max(lax.sub(lax.div(squares, n), lax.mul(mean, mean)), c(0.0))
    # clamped at 0: compiled, a division by a constant becomes a product by its reciprocal, and
    # A(1) = 6/6 − 1 can come out as −ε, whose square root is NaN
    return lax.mul(lax.sqrt(lax.max(lax.add(lax.mul(a, lax.mul(total, total)), lax.mul(b, variance)), c(0.0))), c(u))


def _positions(like, axis: int, reverse: bool, real):
    """How many entries a cumulative operation along ``axis`` has combined at each entry."""
    shape = tuple(np.shape(like))
    index = lax.broadcasted_iota(real, shape, axis)
    return lax.sub(scalar(shape[axis], real), index) if reverse else lax.add(index, scalar(1.0, real))


def _root_mean_square(x, axes: tuple[int, ...]):
    """sqrt(mean(x²)) over ``axes``, broadcast back to ``x``'s shape."""
    shape, dtype = tuple(np.shape(x)), jnp.result_type(x)
    kept = tuple(d for d in range(len(shape)) if d not in axes)
    count = math.prod(shape[d] for d in axes)
    mean = lax.div(lax.reduce_sum(lax.mul(x, x), axes), scalar(count, dtype))
    return lax.broadcast_in_dim(lax.sqrt(mean), shape, kept)


def accumulation_size(eqn, invals, out, u: float, *, library_ulps: float):
    """The perturbation size of ``out``, the result of the accumulation ``eqn`` on ``invals``
    (real, ``out``'s shape); ``library_ulps``: the accuracy of a library function, in ulps."""
    name = eqn.primitive.name
    shape, real = tuple(np.shape(out)), real_dtype(jnp.result_type(out))
    magnitude = lax.convert_element_type(lax.abs(out), real)
    if name in TERMS:
        def square(v):
            v = lax.convert_element_type(lax.abs(v) if inexact(v) else v, real)
            return lax.mul(v, v)

        def nonzero(v):
            return lax.convert_element_type(lax.ne(v, scalar(0, jnp.result_type(v))), real)

        squares = _bind_on(eqn, invals, square, real)
        count = _bind_on(eqn, invals, nonzero, real)
        size = sum_rounding(magnitude, squares, count, u, tree=name in SCANNED)
        if name in PRODUCTS:  # each product is rounded once more
            size = lax.sqrt(lax.add(lax.mul(size, size), lax.mul(squares, scalar(u * u, real))))
        return size
    if name == "reduce_prod":
        factors = math.prod(np.shape(invals[0])[d] for d in eqn.params["axes"])
        return lax.mul(magnitude, scalar(u * math.sqrt(max(factors, 1)), real))
    if name in ("cumprod", "cumlogsumexp"):
        n = _positions(out, eqn.params["axis"], eqn.params["reverse"], real)
        if name == "cumprod":  # N − 1 roundings, each relative to the product, in any order
            return lax.mul(lax.mul(lax.sqrt(n), magnitude), scalar(u, real))
        depth = lax.max(lax.ceil(lax.div(lax.log(n), scalar(math.log(2.0), real))), scalar(1.0, real))
        terms = lax.add(magnitude, scalar(library_ulps, real))
        return lax.mul(lax.mul(lax.sqrt(depth), terms), scalar(u, real))
    # fft: the output's last len(fft_lengths) axes are the transformed ones
    lengths = tuple(eqn.params["fft_lengths"])
    rms = _root_mean_square(magnitude, tuple(range(len(shape) - len(lengths), len(shape))))
    stages = max(math.log2(max(math.prod(lengths), 2)), 1.0)
    return lax.mul(rms, scalar(FFT_ULPS * u * math.sqrt(stages), real))


__all__ = ["ACCUMULATIONS", "FFT_ULPS", "PRODUCTS", "TERMS", "accumulation_size", "inexact", "real_dtype", "scalar",
           "sum_rounding"]
