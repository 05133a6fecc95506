r"""FFTs and complex intermediates: a circular convolution through ``jnp.fft`` and a power spectrum.

Circular convolution of each row $x_b$ (length $N$) with one filter $w$, computed by JAX as
``irfft(rfft(x) · rfft(w))``, is $y[b, n] = \sum_m x[b, m]\, w[(n - m) \bmod N]$, so

$$ \bar x[b, m] = \sum_n \bar y[b, n]\, w[(n - m) \bmod N], \qquad
   \bar w[j] = \sum_{b, n} \bar y[b, n]\, x[b, (n - j) \bmod N]. $$

The power spectrum $P_k = |X_k|^2$ with $X_k = \sum_m x_m e^{-2\pi i k m / N}$ (``rfft``, $k \le N/2$)
has $\partial P_k / \partial x_m = 2\,\mathrm{Re}(\overline{X_k}\, e^{-2\pi i k m/N})$, so
$\bar x = 2\,\mathrm{Re}\big((\bar P \odot \overline{X}) E\big)$ with $E_{km} = e^{-2\pi i k m/N}$.
Both are written here with index and DFT matrices, not with an FFT.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from verification.corpus.case import Case, Mistake, case

N = 32
"""Signal length."""
ROWS = 4
"""Signals per point (one filter for all of them)."""


def circular_convolution(x, w):
    """``x`` (rows, N) circularly convolved with ``w`` (N,), through the real FFT."""
    return jnp.fft.irfft(jnp.fft.rfft(x, axis=-1) * jnp.fft.rfft(w)[None, :], n=N, axis=-1)


def _lags(shift: int = 0) -> np.ndarray:
    """``M[n, m] = (n − m − shift) mod N``."""
    n = np.arange(N)
    return (n[:, None] - n[None, :] - shift) % N


def circular_input_gradient(shift: int = 0, skip_first: bool = False) -> Callable:
    """``x̄(x, w, ȳ)``; ``shift`` ≠ 0 offsets the filter window, ``skip_first`` drops the n = 0 term
    (planted mistakes)."""
    def derivative(x, w, y_bar):
        filt = w[_lags(shift)]  # (n, m)
        if skip_first:
            y_bar = np.concatenate([np.zeros_like(y_bar[:, :1]), y_bar[:, 1:]], axis=1)
        return y_bar @ filt
    return derivative


def power_spectrum(x):
    """``|rfft(x)|²``."""
    spectrum = jnp.fft.rfft(x)
    return jnp.real(spectrum) ** 2 + jnp.imag(spectrum) ** 2


def power_spectrum_gradient(shift: int = 0, skip_dc: bool = False) -> Callable:
    """``x̄(x, P̄)`` with the DFT matrix; ``shift`` and ``skip_dc`` plant mistakes (a phase offset by
    one sample, the k = 0 term dropped)."""
    def derivative(x, p_bar):
        complex_type = np.result_type(x, np.complex64)
        k, m = np.arange(N // 2 + 1), np.arange(N)
        # k·m reduced modulo N first: the angle stays below 2π, so each entry of the DFT matrix is
        # as accurate as exp allows (an unreduced angle of k·m·2π/N carries its own rounding)
        dft = np.exp(-2j * np.pi * (np.outer(k, m) % N) / N).astype(complex_type)
        spectrum = dft @ x.astype(complex_type)
        phase = np.exp(-2j * np.pi * (np.outer(k, m + shift) % N) / N).astype(complex_type)
        weights = p_bar * np.conj(spectrum)
        if skip_dc:
            weights = np.concatenate([np.zeros_like(weights[:1]), weights[1:]])
        return (2 * np.real(weights @ phase)).astype(x.dtype)
    return derivative


def cases() -> tuple[Case, ...]:
    """A circular convolution w.r.t. the signal; a power spectrum w.r.t. the signal."""
    conv_grad = circular_input_gradient()
    power_grad = power_spectrum_gradient()

    def draw_conv(rng):
        return rng.standard_normal((ROWS, N)), rng.standard_normal(N)

    def draw_signal(rng):
        return (rng.standard_normal(N),)

    return (
        case("fft circular conv", "spectral", circular_convolution, conv_grad, draw_conv,
             description=f"circular convolution of {ROWS} signals of length {N} through jnp.fft, w.r.t. the signals",
             mistakes=(Mistake("dropped term", circular_input_gradient(skip_first=True)),
                       Mistake("window +1", circular_input_gradient(shift=1)))),
        case("fft power spectrum", "spectral", power_spectrum, power_grad, draw_signal,
             description=f"|rfft(x)|² of a signal of length {N} (complex intermediates)",
             mistakes=(Mistake("dropped term", power_spectrum_gradient(skip_dc=True)),
                       Mistake("window +1", power_spectrum_gradient(shift=1)))),
    )


__all__ = ["cases", "circular_convolution", "circular_input_gradient", "power_spectrum", "power_spectrum_gradient"]
