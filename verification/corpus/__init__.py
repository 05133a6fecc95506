"""A corpus of correct hand-written derivatives, and planted mistakes, for the checker's false-alarm
and miss rates: convolutions, pooling, FFTs, scatter-adds, cumulative operations, recurrences
through ``lax.scan``/``fori_loop``, and formulas that saturate or cancel.

Every derivative is written in NumPy from the mathematics (each module's docstring gives it), never
by differentiating the JAX twin.  :func:`run_corpus` checks them through the public
:func:`verification.check_derivative`; ``.markdown()`` renders the counts.
"""

from __future__ import annotations

from verification.corpus.case import LANES, Case, Mistake
from verification.corpus.catalog import CASES
from verification.corpus.runner import CaseResult, CorpusReport, draw_point, run_case, run_corpus

__all__ = ["CASES", "LANES", "Case", "CaseResult", "CorpusReport", "Mistake", "draw_point", "run_case", "run_corpus"]
