"""The compiled cut of an activation layer: each region cut by its lines one after another.

The torch path (:mod:`splinecam_widget.engine.split`) cuts all pieces in rounds; here one
region at a time walks its units in order and, for each line entering its bounding box,
cuts every piece the line crosses, exactly as the rounds do (docs/design.md, fact 3):
a line is tried on the pieces that existed before it, the part where it is >= 0 keeps
the piece's place and the other part becomes a new piece.  So both paths give the same
pieces with the same vertices; only the numbering of pieces across regions differs.

The activation pattern of each piece (its piece index of every unit at the vertex
average) is read here too, while the region's maps are in cache.
"""

from __future__ import annotations

import numpy as np

from .geometry import box_of, clip_into, crosses, enters_box, jit, line_values, mean_point
from .pieces import NO_ROOM, OVER_BUDGET, emit, new_outputs, trimmed, workspace

OK = -1
"""Status of a cut that stayed within the region budget (otherwise: the slice that went over)."""


@jit
def cut_region(verts, tags, start, n, maps, r, breakpoints, tag, allowance, room) -> int:
    """Cut one region by every line of its units; the pieces are left in ``room``.

    Returns the number of pieces, :data:`NO_ROOM` when ``room`` is too small (grow it and
    call again) or :data:`OVER_BUDGET` when the region would have more than
    ``allowance + 1`` pieces.
    """
    arena, arena_tags, starts, sizes, boxes, values, on_line = room  # never resized here (see pieces.py)
    if arena.shape[0] < n:
        return NO_ROOM
    arena[:n] = verts[start : start + n]
    arena_tags[:n] = tags[start : start + n]
    used = n
    n_pieces = 1
    starts[0] = 0
    sizes[0] = n
    box_of(arena, 0, n, boxes, 0)
    region = boxes[0].copy().reshape(1, 4)
    for i in range(maps.shape[2]):
        a = maps[r, 0, i]
        b = maps[r, 1, i]
        for q in range(breakpoints.shape[0]):
            c = maps[r, 2, i] - breakpoints[q]
            if not enters_box(region, 0, a, b, c):
                continue
            for p in range(n_pieces):  # the pieces before this line: new ones are appended after them
                if not enters_box(boxes, p, a, b, c):
                    continue
                s, k = starts[p], sizes[p]
                if k + 2 > values.shape[0] or used + 2 * k + 4 > arena.shape[0] or n_pieces == starts.shape[0]:
                    return NO_ROOM
                line_values(arena, s, k, a, b, c, values)
                if not crosses(values, k):
                    continue
                kept = clip_into(arena, arena_tags, s, k, values, 1, tag, arena, arena_tags, used, on_line)
                starts[p], sizes[p] = used, kept
                box_of(arena, used, kept, boxes, p)
                used += kept
                other = clip_into(arena, arena_tags, s, k, values, -1, tag, arena, arena_tags, used, on_line)
                starts[n_pieces], sizes[n_pieces] = used, other
                box_of(arena, used, other, boxes, n_pieces)
                used += other
                n_pieces += 1
                if n_pieces > allowance + 1:
                    return OVER_BUDGET
    return n_pieces


@jit
def piece_index(maps, r, breakpoints, u, v, pattern, row):
    """Every unit's piece (number of breakpoints below its value) at the point ``(u, v)`` of region ``r``."""
    for i in range(maps.shape[2]):
        value = maps[r, 2, i] + u * maps[r, 0, i] + v * maps[r, 1, i]
        piece = 0
        for q in range(breakpoints.shape[0]):
            piece += value > breakpoints[q]
        pattern[row, i] = piece


@jit
def cut_by_lines(verts, offsets, tags, maps, breakpoints, tag, first, stop, owners, base, limit):
    """Cut regions ``first .. stop - 1`` along every unit line ``maps[r, :, i] . (u, v, 1) = breakpoint``.

    Parameters
    ----------
    verts, offsets, tags : ndarray
        The regions as flat polygons: float64 ``(N, 2)``, int64 ``(R + 1,)``, int16 ``(N,)``.
    maps : ndarray (R, 3, D) float64
        Per-region pre-activation maps (rows d/du, d/dv, offset).
    breakpoints : ndarray (m,) float64
        Increasing breakpoints shared by all units.
    tag : int
        Edge tag of the new edges (the layer index).
    first, stop : int
        The regions to cut.
    owners : ndarray (R,) int64
        The slice of each region.
    base : ndarray (S,) int64
        Pieces each slice has before this call (every region counts as one).
    limit : int
        Stop as soon as a slice would have more than ``limit`` pieces.

    Returns
    -------
    verts, tags, counts, parent, pattern, added, status
        The pieces as flat polygons with their vertex counts, the region each came from,
        ``(P, D)`` uint8 piece index of every unit, the pieces added per slice, and
        :data:`OK` or the slice that went over ``limit`` (the other outputs are then partial).
    """
    out = new_outputs(stop - first, offsets[stop] - offsets[first], maps.shape[2])
    room = workspace(4096)
    added = np.zeros(base.shape[0], np.int64)
    status = OK
    for r in range(first, stop):
        owner = owners[r]
        allowance = limit - base[owner] - added[owner]
        start, n = offsets[r], offsets[r + 1] - offsets[r]
        n_pieces = cut_region(verts, tags, start, n, maps, r, breakpoints, tag, allowance, room)
        while n_pieces == NO_ROOM:
            room = workspace(2 * room.arena.shape[0])
            n_pieces = cut_region(verts, tags, start, n, maps, r, breakpoints, tag, allowance, room)
        if n_pieces == OVER_BUDGET:
            status = owner
            break
        added[owner] += n_pieces - 1
        out = emit(out, room, n_pieces, r)
        for p in range(n_pieces):
            u, v = mean_point(room.arena, room.starts[p], room.sizes[p])
            piece_index(maps, r, breakpoints, u, v, out.pattern, out.n_pieces - n_pieces + p)
    return trimmed(out) + (added, status)
