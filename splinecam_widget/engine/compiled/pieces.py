"""Scratch space and output buffers shared by the compiled cuts.

A region is cut in a :class:`Workspace`: an arena of polygon rows where each cut writes
its pieces at the end, with the start row, vertex count and bounding box of every piece.
Cutting functions never resize it: resizing an array inside a loop costs reference
counting on every iteration, so they return :data:`NO_ROOM` instead, and the caller grows
the workspace and cuts the region again.  Finished pieces are copied into
:class:`Outputs`, which grow (doubling) between regions.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .geometry import grown, jit

NO_ROOM = -1
"""A cutting function ran out of workspace: grow it (:func:`workspace`) and cut the region again."""
OVER_BUDGET = -2
"""A region would get more pieces than its slice's region budget allows."""

Workspace = namedtuple("Workspace", "arena tags starts sizes boxes values on_line")
Outputs = namedtuple("Outputs", "verts tags counts parent pattern n_pieces n_verts")


@jit
def workspace(rows):
    """Room for ``rows`` arena rows, ``rows // 4`` pieces and polygons of ``rows // 8`` vertices."""
    pieces = max(rows // 4, 16)
    width = max(rows // 8, 16)
    return Workspace(
        np.empty((rows, 2)),
        np.empty(rows, np.int16),
        np.empty(pieces, np.int64),
        np.empty(pieces, np.int64),
        np.empty((pieces, 4)),
        np.empty(width),
        np.empty(2 * width, np.bool_),
    )


@jit
def new_outputs(n_regions, n_verts, pattern_width):
    """Empty outputs with room for about two pieces per region."""
    pieces = 2 * n_regions + 16
    return Outputs(
        np.empty((4 * n_verts + 64, 2)),
        np.empty(4 * n_verts + 64, np.int16),
        np.empty(pieces, np.int64),
        np.empty(pieces, np.int64),
        np.empty((pieces, pattern_width), np.uint8),
        0,
        0,
    )


@jit
def emit(out, room, n_pieces, region):
    """``out`` with the ``n_pieces`` pieces in ``room`` appended, each recorded as coming from ``region``.

    Their pattern rows are left for the caller to fill (rows ``n_pieces`` before the end).
    """
    verts, tags, counts, parent, pattern = out.verts, out.tags, out.counts, out.parent, out.pattern
    n_out, v_out = out.n_pieces, out.n_verts
    if counts.shape[0] < n_out + n_pieces:
        counts, parent, pattern = (
            grown(counts, n_out + n_pieces),
            grown(parent, n_out + n_pieces),
            grown(pattern, n_out + n_pieces),
        )
    total = room.sizes[:n_pieces].sum()
    if verts.shape[0] < v_out + total:
        verts, tags = grown(verts, v_out + total), grown(tags, v_out + total)
    for p in range(n_pieces):
        s, k = room.starts[p], room.sizes[p]
        verts[v_out : v_out + k] = room.arena[s : s + k]
        tags[v_out : v_out + k] = room.tags[s : s + k]
        v_out += k
        counts[n_out] = k
        parent[n_out] = region
        n_out += 1
    return Outputs(verts, tags, counts, parent, pattern, n_out, v_out)


@jit
def trimmed(out):
    """The filled part of ``out``: verts, tags, counts, parent, pattern."""
    return (
        out.verts[: out.n_verts],
        out.tags[: out.n_verts],
        out.counts[: out.n_pieces],
        out.parent[: out.n_pieces],
        out.pattern[: out.n_pieces],
    )
