"""Compiled argmax cells of one convex polygon (docs/design.md, fact 5).

Inside a convex polygon the cell where affine function ``j`` is the largest of ``K`` is
the polygon clipped by the half-planes ``f_j >= f_k``, one after another, as
:func:`splinecam_widget.engine.argmax.argmax_cells` does for a batch: the others in
increasing order, a function identical to ``f_j`` on the cell taking it when its index is
lower, and a cell that shrinks below three vertices dropped.  This serves the max-pooling
cut, the decision boundary and the class cells.
"""

from __future__ import annotations

import numpy as np

from ..polygons import ZERO_TOLERANCE
from .geometry import clip_into, jit, line_values
from .pieces import NO_ROOM

OTHERS = -1
"""``edge_tag`` value: tag each new edge with the index of the function on its other side."""


@jit
def argmax_cell(room, start, n, affine, candidates, owner, edge_tag, used):
    """The cell of function ``owner`` inside the polygon at arena rows ``start .. start + n - 1``.

    Parameters
    ----------
    room : Workspace
        The arena holding the polygon; the cell is written after row ``used``.
    affine : ndarray (K, 3)
        The functions ``f_k = affine[k] . (u, v, 1)``.
    candidates : ndarray (K,) bool
        The functions that may win in the polygon; the cell is clipped against these.
    owner : int
    edge_tag : int
        Tag of the cell's new edges, or :data:`OTHERS`.
    used : int
        First free arena row.

    Returns
    -------
    (start, count, used)
        Where the cell is (count 0: empty) and the first free row after it, or
        ``(NO_ROOM, 0, used)`` when the arena is too small.
    """
    values, on_line = room.values, room.on_line
    s, k = start, n
    for other in range(affine.shape[0]):
        if other == owner or not candidates[other]:
            continue
        if k + 2 > values.shape[0] or used + k + 2 > room.arena.shape[0]:
            return NO_ROOM, 0, used
        a = affine[owner, 0] - affine[other, 0]
        b = affine[owner, 1] - affine[other, 1]
        c = affine[owner, 2] - affine[other, 2]
        line_values(room.arena, s, k, a, b, c, values)
        identical = True
        for j in range(k):
            identical &= values[j] == 0.0
        if identical:  # f_owner == f_other on the whole cell: the lower index wins
            if owner < other:
                continue
            return s, 0, used
        tag = other if edge_tag == OTHERS else edge_tag
        m = clip_into(room.arena, room.tags, s, k, values, 1, tag, room.arena, room.tags, used, on_line)
        s, k = used, m
        used += m
        if k < 3:
            return s, 0, used
    return s, k, used


@jit
def vertex_extremes(arena, start, n, affine, valid, low, high, mean, tolerance):
    """Per function: least, largest and average value over the polygon's vertices, and its tie tolerance.

    ``valid`` marks the functions that exist (short max-pool windows are padded); the
    tolerance is :data:`~splinecam_widget.engine.polygons.ZERO_TOLERANCE` times the
    function's terms ``|a| + |b| + |c|`` over the window (local coordinates).
    """
    for j in range(affine.shape[0]):
        if not valid[j]:
            low[j] = high[j] = mean[j] = -np.inf
            tolerance[j] = 0.0
            continue
        lo, hi, total = np.inf, -np.inf, 0.0
        for v in range(n):
            value = arena[start + v, 0] * affine[j, 0] + arena[start + v, 1] * affine[j, 1] + affine[j, 2]
            lo, hi, total = min(lo, value), max(hi, value), total + value
        terms = abs(affine[j, 0]) + abs(affine[j, 1]) + abs(affine[j, 2])
        low[j], high[j], mean[j], tolerance[j] = lo, hi, total / n, ZERO_TOLERANCE * terms


@jit
def winners(arena, start, n, affine, valid, keep, low, high, mean, tolerance) -> int:
    """Mark in ``keep`` the functions that may win in the polygon and differ from the leading one there.

    The compiled :func:`~splinecam_widget.engine.maxsplit.exact_contenders`: a function is a
    contender when its largest vertex value reaches the largest least value (within its
    tolerance); the leader is the contender with the largest vertex average, and a
    contender within both tolerances of the leader at every vertex is the same function
    there.  Returns how many are kept: the polygon holds several cells only when it is 2 or more.
    """
    vertex_extremes(arena, start, n, affine, valid, low, high, mean, tolerance)
    floor = -np.inf
    for j in range(affine.shape[0]):
        floor = max(floor, low[j])
    lead = -1
    for j in range(affine.shape[0]):
        keep[j] = valid[j] and high[j] >= floor - tolerance[j]
        if keep[j] and (lead < 0 or mean[j] > mean[lead]):
            lead = j
    kept = 0
    for j in range(affine.shape[0]):
        if not keep[j] or j == lead:
            kept += keep[j]
            continue
        a = affine[j, 0] - affine[lead, 0]
        b = affine[j, 1] - affine[lead, 1]
        c = affine[j, 2] - affine[lead, 2]
        gap = 0.0
        for v in range(n):
            gap = max(gap, abs(arena[start + v, 0] * a + arena[start + v, 1] * b + c))
        keep[j] = gap > tolerance[j] + tolerance[lead]
        kept += keep[j]
    return kept
