"""The decision boundary of every region, compiled: level sets and argmax boundaries (docs/design.md, facts 5-6).

The twins of :func:`~splinecam_widget.engine.boundary.level_sets` and
:func:`~splinecam_widget.engine.boundary.argmax_boundary`, region by region, with the same
clipping (:func:`.geometry.clip_into`, :func:`.cells.argmax_cell`) and the same segment
order: levels, then regions, then edges for level sets; regions, then classes, then
edges for argmax boundaries.
"""

from __future__ import annotations

import numpy as np

from ..polygons import ZERO_TOLERANCE
from .cells import OTHERS, argmax_cell
from .geometry import clip_into, grown, jit, line_values
from .pieces import NO_ROOM, workspace

ON_LEVEL = -2
"""Tag of the edges a level set cuts (region edges are tagged -1 or a layer index)."""


@jit
def widest(offsets) -> int:
    """The largest vertex count of the polygons."""
    width = 3
    for r in range(offsets.shape[0] - 1):
        width = max(width, offsets[r + 1] - offsets[r])
    return width


@jit
def along_edge(verts, start, n, p, q) -> bool:
    """Whether ``p -> q`` runs along an edge of the polygon at rows ``start .. start + n - 1``.

    Both points within :data:`ZERO_TOLERANCE` (local units) of the edge's line: cuts copy the
    polygon's vertices and put new ones on its edges, and a convex polygon lies on one side
    of each edge's line, so such a segment is part of that edge.
    """
    for j in range(n):
        k = j + 1 if j + 1 < n else 0
        du = verts[start + k, 0] - verts[start + j, 0]
        dv = verts[start + k, 1] - verts[start + j, 1]
        reach = ZERO_TOLERANCE * np.sqrt(du * du + dv * dv)
        if (
            reach > 0.0
            and abs((p[0] - verts[start + j, 0]) * dv - (p[1] - verts[start + j, 1]) * du) <= reach
            and abs((q[0] - verts[start + j, 0]) * dv - (q[1] - verts[start + j, 1]) * du) <= reach
        ):
            return True
    return False


@jit
def level_segments(verts, offsets, tags, affine, levels):
    """Segments of ``{f = level}`` in each region of a one-output network, one level after another.

    Parameters
    ----------
    verts, offsets, tags : ndarray
        The regions as flat polygons.
    affine : ndarray (R, 1, 3)
        The output map of each region.
    levels : ndarray (L,)

    Returns
    -------
    segments (S, 2, 2), level (S,), region (S,), on_edge (S,)
        A segment lying on a region edge is reported by the region where ``f > level``
        and flagged in ``on_edge``.
    """
    width = widest(offsets) + 2
    values = np.empty(width)
    cut = np.empty((2 * width, 2))
    cut_tags = np.empty(2 * width, np.int16)
    on_line = np.empty(2 * width, np.bool_)
    segments = np.empty((64, 2, 2))
    level = np.empty(64, np.int64)
    region = np.empty(64, np.int64)
    on_edge = np.empty(64, np.bool_)
    count = 0
    for index in range(levels.shape[0]):
        for r in range(offsets.shape[0] - 1):
            start, n = offsets[r], offsets[r + 1] - offsets[r]
            line_values(verts, start, n, affine[r, 0, 0], affine[r, 0, 1], affine[r, 0, 2] - levels[index], values)
            above = False
            below = False
            for j in range(n):
                above |= values[j] > 0.0
                below |= values[j] <= 0.0
            if not (above and below):
                continue
            m = clip_into(verts, tags, start, n, values, 1, ON_LEVEL, cut, cut_tags, 0, on_line)
            for q in range(m):
                if cut_tags[q] != ON_LEVEL:
                    continue
                if count == segments.shape[0]:
                    segments, level, region, on_edge = (
                        grown(segments, count + 1),
                        grown(level, count + 1),
                        grown(region, count + 1),
                        grown(on_edge, count + 1),
                    )
                following = q + 1 if q + 1 < m else 0
                segments[count, 0] = cut[q]
                segments[count, 1] = cut[following]
                level[count] = index
                region[count] = r
                on_edge[count] = along_edge(verts, start, n, cut[q], cut[following])
                count += 1
    return segments[:count], level[:count], region[:count], on_edge[:count]


@jit
def vertex_winners(verts, start, n, maps, lowest, highest, candidates) -> bool:
    """Whether a region holds boundary (its vertices do not all pick one class by a clear margin).

    Also marks in ``candidates`` the classes that may win in the region (as
    :func:`~splinecam_widget.engine.argmax.candidate_classes`): those whose largest vertex
    value reaches the largest of the least ones.  ``lowest`` and ``highest`` are scratch of ``K``.
    """
    k = maps.shape[0]
    scale = 0.0  # the largest output's terms over the window (local coordinates): the yardstick of ties
    for c in range(k):
        scale = max(scale, abs(maps[c, 0]) + abs(maps[c, 1]) + abs(maps[c, 2]))
    tolerance = ZERO_TOLERANCE * scale
    mixed = False
    first = -1
    lowest[:] = np.inf
    highest[:] = -np.inf
    for j in range(n):
        u, v = verts[start + j, 0], verts[start + j, 1]
        best, second, winner = -np.inf, -np.inf, -1
        for c in range(k):
            value = u * maps[c, 0] + v * maps[c, 1] + maps[c, 2]
            lowest[c] = min(lowest[c], value)
            highest[c] = max(highest[c], value)
            if value > best:
                best, second, winner = value, best, c
            elif value > second:
                second = value
        if best - second <= tolerance:
            mixed = True
        if first < 0:
            first = winner
        elif winner != first:
            mixed = True
    floor = lowest.max()
    for c in range(k):
        candidates[c] = highest[c] >= floor - tolerance
    return mixed


@jit
def argmax_segments(verts, offsets, affine):
    """Boundary segments between the argmax cells of a K-output network in each region.

    Parameters
    ----------
    verts, offsets : ndarray
        The regions as flat polygons.
    affine : ndarray (R, K, 3)
        The output maps of each region.

    Returns
    -------
    segments (S, 2, 2), classes (S, 2), region (S,), on_edge (S,)
        Each segment between cells once, from the cell of the lower class; ``classes`` the
        two classes on either side, lower first.  A segment along the region's own edge is
        reported by every cell that has it and flagged in ``on_edge``: the other class's
        cell is across it, or nowhere (``engine/true_boundary.py`` decides).
    """
    k = affine.shape[1]
    room = workspace(max(4096, 16 * widest(offsets)))
    lowest, highest = np.empty(k), np.empty(k)
    candidates = np.empty(k, np.bool_)
    segments = np.empty((64, 2, 2))
    classes = np.empty((64, 2), np.int64)
    region = np.empty(64, np.int64)
    on_edge = np.empty(64, np.bool_)
    count = 0
    for r in range(offsets.shape[0] - 1):
        start, n = offsets[r], offsets[r + 1] - offsets[r]
        if not vertex_winners(verts, start, n, affine[r], lowest, highest, candidates):
            continue
        for owner in range(k):
            if not candidates[owner]:
                continue
            while True:
                room.arena[:n] = verts[start : start + n]
                room.tags[:n] = -1
                cell, size, _ = argmax_cell(room, 0, n, affine[r], candidates, owner, OTHERS, n)
                if cell != NO_ROOM:
                    break
                room = workspace(2 * room.arena.shape[0])
            for q in range(size):
                other = room.tags[cell + q]
                if other < 0:
                    continue
                following = q + 1 if q + 1 < size else 0
                edge = along_edge(verts, start, n, room.arena[cell + q], room.arena[cell + following])
                if other < owner and not edge:
                    continue
                if count == segments.shape[0]:
                    segments, classes, region, on_edge = (
                        grown(segments, count + 1),
                        grown(classes, count + 1),
                        grown(region, count + 1),
                        grown(on_edge, count + 1),
                    )
                segments[count, 0] = room.arena[cell + q]
                segments[count, 1] = room.arena[cell + following]
                classes[count, 0] = min(owner, other)
                classes[count, 1] = max(owner, other)
                region[count] = r
                on_edge[count] = edge
                count += 1
    return segments[:count], classes[:count], region[:count], on_edge[:count]
