"""The training benchmark (``python -m verification bench``): measurement and report, apart.

:mod:`verification.bench.measure` times the NumPy and jitted training loops
(:func:`~verification.bench.measure.run_benchmark`); :mod:`verification.bench.report` holds
what was measured (:class:`~verification.bench.report.Report`), judges it against the targets,
renders it as Markdown, and writes generated blocks into the docs
(:func:`~verification.bench.report.write_block`).
"""
