"""Every case of the corpus, by family."""

from __future__ import annotations

from verification.corpus import convolution, cumulative, pooling, recurrent, saturation, scatter, spectral
from verification.corpus.case import Case

CASES: tuple[Case, ...] = (
    *convolution.cases(), *pooling.cases(), *spectral.cases(), *scatter.cases(), *cumulative.cases(),
    *recurrent.cases(), *saturation.cases(),
)
"""Every case: convolution, pooling, spectral, scatter, cumulative, recurrent, saturation."""

__all__ = ["CASES"]
