"""Carry the pieces of an activation layer past it, compiled: gather, activate and hash in one pass.

What the layer loop does chunk by chunk with torch (``engine/layers.py``: gather each
piece's maps from its region, apply the activation of its pattern, add the pattern's hash
to its region's id) in one pass per chunk, with the same arithmetic: ``maps * slope``,
then ``+ intercept`` on the offset row; ``id = parent id * multiplier + sum(piece * weight)``
in wrapping int64 (docs/design.md, fact 8).
"""

from __future__ import annotations

import numpy as np

from .geometry import jit


@jit
def carry(maps, parent, pattern, slopes, intercepts, with_intercepts, weights, parent_ids, multiplier):
    """The maps after the activation and the pattern ids of pieces cut from regions.

    Parameters
    ----------
    maps : ndarray (R, 3, D) float64
        The regions' maps entering the activation.
    parent : ndarray (P,) int64
        The region of each piece.
    pattern : ndarray (P, D) uint8
        The piece of every unit on each piece.
    slopes, intercepts : ndarray (m + 1, D) float64
        The activation's slope and intercept per piece and unit.
    with_intercepts : bool
        False when every intercept is 0 (nothing is added).
    weights : ndarray (D,) int64
        The layer's unit weights of the pattern hash.
    parent_ids : ndarray (R,) int64
        The regions' pattern ids.
    multiplier : int64
        The hash's layer multiplier.

    Returns
    -------
    maps (P, 3, D) float64, ids (P,) int64
    """
    n_pieces, n_units = parent.shape[0], maps.shape[2]
    out = np.empty((n_pieces, 3, n_units))
    ids = np.empty(n_pieces, np.int64)
    for p in range(n_pieces):
        r = parent[p]
        total = np.int64(0)
        for i in range(n_units):
            piece = pattern[p, i]
            slope = slopes[piece, i]
            out[p, 0, i] = maps[r, 0, i] * slope
            out[p, 1, i] = maps[r, 1, i] * slope
            out[p, 2, i] = maps[r, 2, i] * slope
            if with_intercepts:
                out[p, 2, i] += intercepts[piece, i]
            total += np.int64(piece) * weights[i]
        ids[p] = parent_ids[r] * multiplier + total
    return out, ids
