"""The comparison the rule tests share: a value against one worked by hand."""

import numpy as np
import pytest

EPS = np.finfo(np.float64).eps


def assert_close(actual, expected, *, scale: float = 1.0, ulps: int = 8):
    """Exact shape; values within ``ulps`` roundings of ``scale`` (the magnitude of the terms summed)."""
    expected = np.asarray(expected, dtype=np.float64)
    assert np.shape(actual) == expected.shape, f"shape {np.shape(actual)} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=ulps * EPS, atol=ulps * EPS * scale)


@pytest.fixture
def close():
    """:func:`assert_close`, for a test to compare with."""
    return assert_close
