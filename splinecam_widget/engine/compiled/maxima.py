"""The compiled cut of a max-pooling or maxout stage: each region cut by its windows one after another.

The compiled twin of :mod:`splinecam_widget.engine.maxsplit`: a window that may change its
winner inside the region's bounding box (two members that can both win and differ there)
is tested exactly on the vertices of every piece that existed before it, and a piece it
really splits is replaced by the window's argmax cells, the first cell keeping the
piece's place (docs/design.md, fact 5).  The winner of every window at each piece's
vertex average is its pattern.
"""

from __future__ import annotations

import numpy as np

from ..polygons import ZERO_TOLERANCE
from .cells import argmax_cell, winners
from .geometry import box_of, jit, mean_point
from .lines import OK
from .pieces import NO_ROOM, OVER_BUDGET, emit, new_outputs, trimmed, workspace


@jit
def window_maps(maps, r, windows, w, affine, valid):
    """The member maps of window ``w`` on region ``r`` in ``affine (k, 3)``; ``valid`` marks real members."""
    for j in range(windows.shape[1]):
        unit = windows[w, j]
        valid[j] = unit >= 0
        for row in range(3):
            affine[j, row] = maps[r, row, unit] if unit >= 0 else 0.0


@jit
def may_change_winner(box, affine, valid) -> bool:
    """The box test of :func:`~splinecam_widget.engine.maxsplit.candidate_windows` for one window."""
    k = affine.shape[0]
    at = np.empty(k)
    reach = np.empty(k)
    tolerance = np.empty(k)
    floor = -np.inf
    for j in range(k):
        a, b, c = affine[j, 0], affine[j, 1], affine[j, 2]
        at[j] = c + a * box[0] + b * box[1]
        reach[j] = abs(a) * box[2] + abs(b) * box[3]
        tolerance[j] = ZERO_TOLERANCE * (abs(a) + abs(b) + abs(c))  # its terms over the window
        if valid[j]:
            floor = max(floor, at[j] - reach[j])
    reference = -1
    for j in range(k):
        if valid[j] and at[j] + reach[j] >= floor - tolerance[j] and (reference < 0 or at[j] > at[reference]):
            reference = j
    for j in range(k):
        if not valid[j] or at[j] + reach[j] < floor - tolerance[j]:
            continue
        gap = abs(at[j] - at[reference])
        gap += abs(affine[j, 0] - affine[reference, 0]) * box[2] + abs(affine[j, 1] - affine[reference, 1]) * box[3]
        if gap > tolerance[j] + tolerance[reference]:
            return True
    return False


@jit
def cut_region(verts, tags, start, n, maps, r, windows, tag, allowance, room) -> int:
    """Cut one region by every window of the stage; the pieces are left in ``room``.

    Returns the number of pieces, :data:`NO_ROOM` or :data:`OVER_BUDGET` (see ``lines.cut_region``).
    """
    arena, starts, sizes, boxes = room.arena, room.starts, room.sizes, room.boxes
    if arena.shape[0] < n:
        return NO_ROOM
    k = windows.shape[1]
    affine = np.empty((k, 3))
    valid = np.empty(k, np.bool_)
    keep = np.empty(k, np.bool_)
    low, high, mean, tolerance = np.empty(k), np.empty(k), np.empty(k), np.empty(k)
    arena[:n] = verts[start : start + n]
    room.tags[:n] = tags[start : start + n]
    used = n
    n_pieces = 1
    starts[0] = 0
    sizes[0] = n
    box_of(arena, 0, n, boxes, 0)
    region = boxes[0].copy()
    for w in range(windows.shape[0]):
        window_maps(maps, r, windows, w, affine, valid)
        if not may_change_winner(region, affine, valid):
            continue
        for p in range(n_pieces):  # the pieces before this window
            s, size = starts[p], sizes[p]
            if winners(arena, s, size, affine, valid, keep, low, high, mean, tolerance) < 2:
                continue
            if n_pieces + k > starts.shape[0]:
                return NO_ROOM
            first = True
            for owner in range(k):
                if not keep[owner]:
                    continue
                cell, count, used = argmax_cell(room, s, size, affine, keep, owner, tag, used)
                if cell == NO_ROOM:
                    return NO_ROOM
                if count == 0:
                    continue
                row = p if first else n_pieces
                starts[row], sizes[row] = cell, count
                box_of(arena, cell, count, boxes, row)
                if not first:
                    n_pieces += 1
                first = False
            if n_pieces > allowance + 1:
                return OVER_BUDGET
    return n_pieces


@jit
def winning_members(maps, r, windows, u, v, pattern, row):
    """The winner of every window (first of equal maxima) at the point ``(u, v)`` of region ``r``."""
    for w in range(windows.shape[0]):
        best, winner = -np.inf, 0
        for j in range(windows.shape[1]):
            unit = windows[w, j]
            if unit < 0:
                continue
            value = maps[r, 2, unit] + u * maps[r, 0, unit] + v * maps[r, 1, unit]
            if value > best:
                best, winner = value, j
        pattern[row, w] = winner


@jit
def cut_by_windows(verts, offsets, tags, maps, windows, tag, first, stop, owners, base, limit):
    """Cut regions ``first .. stop - 1`` where a window of ``windows (W, k)`` changes its winner.

    Parameters and returns as :func:`~.lines.cut_by_lines`, with ``windows`` the flat unit
    indices of each window (-1 pads short windows) instead of breakpoints, and the
    pattern ``(P, W)``: the winning member of each window.
    """
    out = new_outputs(stop - first, offsets[stop] - offsets[first], windows.shape[0])
    room = workspace(4096)
    added = np.zeros(base.shape[0], np.int64)
    status = OK
    for r in range(first, stop):
        owner = owners[r]
        allowance = limit - base[owner] - added[owner]
        start, n = offsets[r], offsets[r + 1] - offsets[r]
        n_pieces = cut_region(verts, tags, start, n, maps, r, windows, tag, allowance, room)
        while n_pieces == NO_ROOM:
            room = workspace(2 * room.arena.shape[0])
            n_pieces = cut_region(verts, tags, start, n, maps, r, windows, tag, allowance, room)
        if n_pieces == OVER_BUDGET:
            status = owner
            break
        added[owner] += n_pieces - 1
        out = emit(out, room, n_pieces, r)
        for p in range(n_pieces):
            u, v = mean_point(room.arena, room.starts[p], room.sizes[p])
            winning_members(maps, r, windows, u, v, out.pattern, out.n_pieces - n_pieces + p)
    return trimmed(out) + (added, status)
