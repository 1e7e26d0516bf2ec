"""The one test of "a whole number" and of "a real number" that every count, size, seed, budget and scale check uses."""

from __future__ import annotations

import numpy as np


def is_whole(value) -> bool:
    """True for a Python or numpy integer; bools, floats (even ``2.0``) and strings are not."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """True for a Python or numpy int or float; bools, strings, arrays and tensors are not."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
