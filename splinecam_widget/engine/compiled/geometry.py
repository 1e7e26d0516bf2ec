"""One convex polygon at a time, compiled: line values, clipping, bounding boxes (docs/design.md, fact 2).

The same arithmetic as :mod:`splinecam_widget.engine.polygons`, term for term and in the
same order, so both paths make the same decisions and give the same vertices: a line's
value ``a*u + b*v + c`` snapped to 0 within :data:`ZERO_TOLERANCE` of ``|a| + |b| + |c|``
(its terms over the window, in local coordinates),
crossing points ``p + t * (q - p)`` with ``t = f(p) / (f(p) - f(q))``, and edges lying on
the cut tagged with the cut's tag.

Polygons live in an *arena*: rows of ``verts (n, 2)`` and ``tags (n,)`` addressed by a start
row and a vertex count, counter-clockwise, not closed.  Every function here is a numba
``njit`` function compiled once per machine (``cache=True``) and runs without the GIL.
"""

from __future__ import annotations

import numpy as np

from ..polygons import ZERO_TOLERANCE
from .jit import jit  # numba.njit(cache=True, nogil=True), whose disk cache never stops a kernel


@jit
def line_values(verts, start, n, a, b, c, out):
    """``out[j]``: the line ``a*u + b*v + c`` at vertex ``start + j``, 0 within the tolerance."""
    tolerance = ZERO_TOLERANCE * (abs(a) + abs(b) + abs(c))
    for j in range(n):
        value = a * verts[start + j, 0] + b * verts[start + j, 1] + c
        if abs(value) <= tolerance:
            value = 0.0
        out[j] = value


@jit
def crosses(values, n) -> bool:
    """True when the line has vertices strictly on both sides."""
    positive = False
    negative = False
    for j in range(n):
        positive |= values[j] > 0.0
        negative |= values[j] < 0.0
    return positive and negative


@jit
def box_of(verts, start, n, boxes, row):
    """Bounding box of a polygon as (centre u, centre v, half-width, half-height) in ``boxes[row]``."""
    low_u = high_u = verts[start, 0]
    low_v = high_v = verts[start, 1]
    for j in range(1, n):
        low_u = min(low_u, verts[start + j, 0])
        high_u = max(high_u, verts[start + j, 0])
        low_v = min(low_v, verts[start + j, 1])
        high_v = max(high_v, verts[start + j, 1])
    boxes[row, 0] = (low_u + high_u) / 2
    boxes[row, 1] = (low_v + high_v) / 2
    boxes[row, 2] = (high_u - low_u) / 2
    boxes[row, 3] = (high_v - low_v) / 2


@jit
def enters_box(boxes, row, a, b, c) -> bool:
    """True where the line ``a*u + b*v + c = 0`` enters box ``boxes[row]`` (the filter of ``split.bbox_crossings``)."""
    return abs(c + a * boxes[row, 0] + b * boxes[row, 1]) < abs(a) * boxes[row, 2] + abs(b) * boxes[row, 3]


@jit
def clip_into(verts, tags, start, n, values, sign, new_tag, out_verts, out_tags, at, on_line):
    """Write the part of a polygon where ``sign * values >= 0`` at row ``at``; return its vertex count.

    Vertex ``j`` is kept when it is on the kept side (on the line counts for both sides),
    followed by the crossing point of edge ``j -> j+1`` when its ends are strictly on
    opposite sides; each output edge keeps the tag of the edge it lies on, and edges
    between two points on the line get ``new_tag``.  ``on_line`` is scratch of ``2 n``.
    ``out_verts`` must not overlap the input rows.
    """
    m = 0
    for j in range(n):
        k = j + 1 if j + 1 < n else 0
        here = values[j]
        there = values[k]
        if (here >= 0.0) if sign > 0 else (here <= 0.0):
            out_verts[at + m, 0] = verts[start + j, 0]
            out_verts[at + m, 1] = verts[start + j, 1]
            out_tags[at + m] = tags[start + j]
            on_line[m] = here == 0.0
            m += 1
        if (here > 0.0 and there < 0.0) or (here < 0.0 and there > 0.0):
            t = here / (here - there)
            out_verts[at + m, 0] = verts[start + j, 0] + t * (verts[start + k, 0] - verts[start + j, 0])
            out_verts[at + m, 1] = verts[start + j, 1] + t * (verts[start + k, 1] - verts[start + j, 1])
            out_tags[at + m] = tags[start + j]
            on_line[m] = True
            m += 1
    for q in range(m):
        if on_line[q] and on_line[q + 1 if q + 1 < m else 0]:
            out_tags[at + q] = new_tag
    return m


@jit
def mean_point(verts, start, n):
    """The vertex average of a polygon: an interior point of a non-degenerate convex polygon."""
    u = 0.0
    v = 0.0
    for j in range(n):
        u += verts[start + j, 0]
        v += verts[start + j, 1]
    return u / n, v / n


@jit
def grown(array, needed):
    """A copy of ``array`` with room for ``needed`` rows (at least twice as many); check ``len(array) < needed`` first.

    (Returning the array itself when it is large enough would cost a reference count per
    call: callers test the size inline, where it is free.)
    """
    grown = np.empty((max(needed, 2 * array.shape[0]),) + array.shape[1:], array.dtype)
    grown[: array.shape[0]] = array
    return grown
