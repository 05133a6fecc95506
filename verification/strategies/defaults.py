"""The defaults the strategies share: the pools of sizes (each new shape compiles again), the
bounds on magnitudes, and the margin kept around the ReLU's kink."""

from __future__ import annotations

__all__ = ["BATCH_SIZES", "KINK_MARGIN", "MAGNITUDE", "MATRIX_SIZES", "MIN_MAGNITUDE", "VECTOR_SIZES"]

VECTOR_SIZES = (1, 3)
"""Vector lengths: 1 (the scalar case in vector form) and 3 (off-diagonal entries exist)."""
BATCH_SIZES = (1, 5)
"""Batch sizes N of ``regression_batches``."""
MATRIX_SIZES = (1, 3)
"""Row and column counts of ``matrices`` and the square matrices."""
MAGNITUDE = 4.0
"""Default bound on |x|: large enough for saturation to show, small enough that exp stays finite."""
MIN_MAGNITUDE = 1e-3
"""Default smallest nonzero |x|: a product of a few such values stays far from subnormal."""
KINK_MARGIN = 0.1
"""|z| >= KINK_MARGIN around the ReLU kink: far above the rounding error of z (about
eps * sum|w_j x_j| < 1e-4 in float32 for these magnitudes), so NumPy and XLA agree on the
side of the kink every sample is on.  The tie z == 0 itself is tested separately."""
