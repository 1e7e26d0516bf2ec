"""Activation-pattern ids: the one hash behind pattern ids and pattern colours.

A region's pattern id is a wrapping int64 sum over layers and units (see
``engine/layers.py``); each unit's weight and each colour come from the SplitMix64
finaliser :func:`mix64`, so equal patterns get equal ids and colours in every slice,
zoom and checkpoint of one architecture.
"""

from __future__ import annotations

import numpy as np

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
"""SplitMix64's increment (2^64 / golden ratio), also the multiplier that chains layer hashes."""


def mix64(x) -> np.ndarray:
    """The SplitMix64 finaliser of each uint64 in ``x``: every input bit spreads over the result."""
    x = np.asarray(x).astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def unit_weights(layer: int, n_units: int) -> np.ndarray:
    """``(n_units,)`` int64 pseudo-random weights of a layer's units, the summands of a pattern id."""
    with np.errstate(over="ignore"):
        keys = (np.uint64(layer) << np.uint64(32)) + np.arange(1, n_units + 1, dtype=np.uint64)
        return mix64(keys * GOLDEN_GAMMA).view(np.int64)


LAYER_MULTIPLIER = int(GOLDEN_GAMMA.astype(np.int64))
"""``id = previous_id * LAYER_MULTIPLIER + sum(weights of the active pieces)`` (int64, wrapping)."""
