"""The one test of "a whole number" that every count, size, seed and budget check uses."""

from __future__ import annotations

import numpy as np


def is_whole(value) -> bool:
    """True for a Python or numpy integer; bools, floats (even ``2.0``) and strings are not."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
