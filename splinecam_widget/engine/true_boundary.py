"""Decision-boundary segments on region edges: only where the class really changes, once (docs/design.md, fact 6).

Inside a region the outputs are affine, so a level set or an argmax boundary that
crosses a region's interior separates two classes.  A boundary lying along a region's
own edge is different: the class on the other side is the neighbouring region's.  Where
the outputs only *touch* a level (or two classes only tie) along a kink, as ``|u|`` does
at ``u = 0``, the same class wins on both sides: there is no boundary, although each side
sees a tie along its edge.  And where the class does change, the region that would report
it by the in-region rule ("from the lower class's cell") may have no such cell: its lower
class only ties on the edge.

So the backends flag every segment along its region's own edge (``Boundary.on_edge``;
argmax cells report such an edge whatever the order of their classes), and each flagged
segment is compared here with the regions across it: for each part, the class just inside
(the region's map at the edge, then its slope inward) and just across (the neighbour's map
and its slope outward), both exact.  A part where they differ stays, once: from the region
with the lower index when both sides report it.  Parts on the domain's own border have no
other side and are no boundary.  Flagged segments are rare (exact kinks at the level), so
ordinary partitions pay one test of a boolean array.

All coordinates are the engine's local coordinates (within about [-1, 1]).
"""

from __future__ import annotations

import numpy as np
import shapely
import torch

from ..partition import shapely_polygons
from .boundary import Boundary
from .polygons import ZERO_TOLERANCE

COLLINEAR = 1e-9
"""Distance (local units) within which a neighbour's edge lies on an edge's line: far above the
rounding of two cuts along one line, far below any region."""


def overlaps(start, end, region: int, verts, offsets) -> list[tuple[float, float]]:
    """Intervals ``[t0, t1]`` of the edge ``start -> end`` that edges of ``region`` running the other way cover."""
    ring = verts[offsets[region] : offsets[region + 1]]
    following = np.roll(ring, -1, axis=0)
    direction = end - start
    length = float(np.hypot(*direction))
    normal = np.array([-direction[1], direction[0]]) / length
    along = direction / length**2
    on_line = (
        (np.abs((ring - start) @ normal) <= COLLINEAR)
        & (np.abs((following - start) @ normal) <= COLLINEAR)
        & ((following - ring) @ direction < 0)
    )
    found = []
    for p, q in zip(ring[on_line], following[on_line]):
        t0, t1 = sorted((float((p - start) @ along), float((q - start) @ along)))
        t0, t1 = max(t0, 0.0), min(t1, 1.0)
        if t1 - t0 > COLLINEAR / length:
            found.append((t0, t1))
    return found


def class_beside(maps: np.ndarray, point: np.ndarray, direction: np.ndarray, level: float | None) -> int:
    """The class of ``maps (K, 3)`` just past ``point`` along ``direction``: value there first, then slope.

    Argmax (ties to the lower class) or, with a ``level``, 1 above it and 0 at or below it.
    """
    values = maps[:, 0] * point[0] + maps[:, 1] * point[1] + maps[:, 2]
    slopes = maps[:, :2] @ direction
    tolerance = ZERO_TOLERANCE * np.abs(maps).sum(axis=1).max()
    if level is not None:
        gap = values[0] - level
        return int(gap > tolerance or (gap >= -tolerance and slopes[0] > tolerance))
    tied = values >= values.max() - 2 * tolerance
    best = np.where(tied, slopes, -np.inf)
    return int(np.flatnonzero(best >= best.max() - tolerance)[0])


def edge_pieces(segments, regions, verts, offsets, maps, levels, level_index, owners) -> dict:
    """``{(region, neighbour, t0, t1): (class inside, class across, start, end)}`` where the class changes.

    ``segments (S, 2, 2)`` lie along edges of ``regions (S,)``, counter-clockwise.
    """
    tree = shapely.STRtree(shapely_polygons(verts, offsets))
    rows, neighbours = tree.query(shapely.linestrings(segments), predicate="dwithin", distance=COLLINEAR)
    found = {}
    for row, b in zip(rows, neighbours):
        r = regions[row]
        if b == r or (owners is not None and owners[b] != owners[r]):
            continue
        start, end = segments[row]
        direction = end - start
        outward = np.array([direction[1], -direction[0]]) / np.hypot(*direction)  # CCW rings: right of the edge
        level = None if level_index[row] < 0 else levels[level_index[row]]
        for t0, t1 in overlaps(start, end, b, verts, offsets):
            point = start + (t0 + t1) / 2 * direction
            inside = class_beside(maps[r], point, -outward, level)
            across = class_beside(maps[b], point, outward, level)
            if inside != across:
                key = (int(r), int(b), t0, t1, int(level_index[row]))
                found[key] = (inside, across, start + t0 * direction, start + t1 * direction)
    return found


def real_boundary(found: Boundary, verts, offsets, affine, levels, owners) -> Boundary:
    """``found`` with its edge-lying segments replaced by the parts where the class changes (module docstring).

    Parameters
    ----------
    found : Boundary
        Segments from a backend, in local coordinates, those along their region's edge flagged.
    verts, offsets : ndarray
        The final regions as flat polygons.
    affine : torch.Tensor (R, K, 3)
        The regions' output maps.
    levels : sequence of float
        The level values of a one-output network (argmax boundaries when K >= 2).
    owners : ndarray (R,) or None
        The slice of each region (regions of different slices overlap in local coordinates).
    """
    if not bool(found.on_edge.any()):
        return found  # the common case, at the cost of one test
    flagged = found.on_edge.cpu().numpy()
    maps = affine.cpu().numpy()
    segments, regions = found.segments.cpu().numpy(), found.regions.cpu().numpy()
    level_index = found.levels.cpu().numpy()
    pieces = edge_pieces(
        segments[flagged], regions[flagged], verts, offsets, maps, levels, level_index[flagged], owners
    )
    # both sides of an edge may report the same piece: the region with the lower index keeps it
    reported = {(key[0], key[1], key[4]) for key in pieces}
    kept = [
        (key, value) for key, value in pieces.items() if not (key[1] < key[0] and (key[1], key[0], key[4]) in reported)
    ]
    keep = ~flagged
    columns = [
        segments[keep],
        found.classes.cpu().numpy()[keep],
        level_index[keep],
        regions[keep],
    ]
    if kept:
        columns = [
            np.concatenate([column, extra])
            for column, extra in zip(
                columns,
                (
                    np.array([[start, end] for _, (_, _, start, end) in kept]).reshape(-1, 2, 2),
                    np.array([sorted(value[:2]) for _, value in kept], np.int64).reshape(-1, 2),
                    np.array([key[4] for key, _ in kept], np.int64),
                    np.array([key[0] for key, _ in kept], np.int64),
                ),
            )
        ]
    device, dtype = found.segments.device, found.segments.dtype
    return Boundary(
        torch.from_numpy(np.ascontiguousarray(columns[0])).to(device=device, dtype=dtype),
        *(torch.from_numpy(column.astype(np.int64)).to(device) for column in columns[1:]),
        torch.zeros(len(columns[0]), dtype=torch.bool, device=device),
    )
