"""Decision-boundary segments on region edges: only where the class really changes, once (docs/design.md, fact 6).

Inside a region the outputs are affine, so a level set or an argmax boundary that
crosses a region's interior separates two classes, and a backend finds it there.  A
boundary lying along a region's own edge is different: the class on the other side is
the neighbouring region's.  Where the outputs only *touch* a level (or two classes only
tie) along a kink, as ``|u|`` does at ``u = 0``, the same class wins on both sides: there
is no boundary, although each side sees a tie along its edge.  And where the class does
change, the side that would report it by the in-region convention ("from the lower
class's cell") may have no cell there at all (its lower class only ties on the edge).

So the backends' edge-lying segments are replaced here.  Every region edge along which
the region's outputs are tied (or at the level) at both ends is compared with the regions
across it: for each part of the edge, the class just inside (the region's map at the edge,
then its slope inward) and just across (the neighbour's map and its slope outward), both
exact.  A part where they differ is a boundary segment, kept once: from the region with
the lower index when both sides find it.  Parts on the domain's own border have no other
side and are no boundary.  Such edges are rare (exact kinks at the level), so ordinary
networks pay one vectorised test of their vertices.

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


def following_vertex(offsets: np.ndarray) -> np.ndarray:
    """``(N,)`` index of the next vertex of each vertex's polygon."""
    index = np.arange(offsets[-1]) + 1
    index[offsets[1:] - 1] = offsets[:-1]
    return index


def tied_edges(verts, offsets, tags, maps: np.ndarray, level: float | None) -> np.ndarray:
    """Vertex indices ``j`` of inner edges ``j -> next`` with the outputs tied (or at ``level``) at both ends."""
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    on_vertex = maps[owner]  # (N, K, 3)
    values = on_vertex[..., 0] * verts[:, :1] + on_vertex[..., 1] * verts[:, 1:] + on_vertex[..., 2]
    terms = np.abs(on_vertex).sum(axis=2)  # (N, K): each output's terms over the window
    if level is None:
        top = np.sort(values, axis=1)[:, -2:] if values.shape[1] > 1 else np.zeros((len(values), 2))
        tied = top[:, 1] - top[:, 0] <= 2 * ZERO_TOLERANCE * terms.max(axis=1)
    else:
        tied = np.abs(values[:, 0] - level) <= ZERO_TOLERANCE * (terms[:, 0] + abs(level))
    return np.flatnonzero(tied & tied[following_vertex(offsets)] & (tags >= 0))


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


def edge_pieces(edges, verts, offsets, maps, level, owners) -> dict:
    """``{(region, neighbour, t0, t1): (class inside, class across, start, end)}`` where the class changes."""
    following = following_vertex(offsets)
    region_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    tree = shapely.STRtree(shapely_polygons(verts, offsets))
    lines = shapely.linestrings(np.stack([verts[edges], verts[following[edges]]], axis=1))
    edge_rows, neighbours = tree.query(lines, predicate="dwithin", distance=COLLINEAR)
    found = {}
    for row, b in zip(edge_rows, neighbours):
        j = edges[row]
        r = region_of[j]
        if b == r or (owners is not None and owners[b] != owners[r]):
            continue
        start, end = verts[j], verts[following[j]]
        direction = end - start
        outward = np.array([direction[1], -direction[0]]) / np.hypot(*direction)  # CCW rings: right of the edge
        for t0, t1 in overlaps(start, end, b, verts, offsets):
            point = start + (t0 + t1) / 2 * direction
            inside = class_beside(maps[r], point, -outward, level)
            across = class_beside(maps[b], point, outward, level)
            if inside != across:
                found[(int(r), int(b), t0, t1)] = (inside, across, start + t0 * direction, start + t1 * direction)
    return found


def real_boundary(found: Boundary, verts, offsets, tags, affine, levels, owners) -> Boundary:
    """``found`` with its edge-lying segments replaced by those where the class changes (module docstring).

    Parameters
    ----------
    found : Boundary
        Segments from a backend, in local coordinates.
    verts, offsets, tags : ndarray
        The final regions as flat polygons.
    affine : torch.Tensor (R, K, 3)
        The regions' output maps.
    levels : sequence of float
        The level values of a one-output network (argmax boundaries when K >= 2).
    owners : ndarray (R,) or None
        The slice of each region (regions of different slices overlap in local coordinates).
    """
    maps = affine.cpu().numpy()
    segments, regions = found.segments.cpu().numpy(), found.regions.cpu().numpy()
    keep = ~on_own_edge(segments, regions, verts, offsets)
    parts = [(segments[keep], found.classes.cpu().numpy()[keep], found.levels.cpu().numpy()[keep], regions[keep])]
    argmax = maps.shape[1] > 1
    for index, level in enumerate([None] if argmax else levels):
        edges = tied_edges(verts, offsets, tags, maps, level)
        if not len(edges):
            continue
        pieces = edge_pieces(edges, verts, offsets, maps, level, owners)
        # both sides of an edge may find the same piece: the region with the lower index keeps it
        found_from = {(key[0], key[1]) for key in pieces}
        kept = [(key, value) for key, value in pieces.items() if not (key[1] < key[0] and key[1::-1] in found_from)]
        if kept:
            parts.append(
                (
                    np.array([[start, end] for _, (_, _, start, end) in kept]),
                    np.array([sorted(value[:2]) for _, value in kept], np.int64),
                    np.full(len(kept), -1 if argmax else index, np.int64),
                    np.array([key[0] for key, _ in kept], np.int64),
                )
            )
    device, dtype = found.segments.device, found.segments.dtype
    columns = [np.concatenate(column) for column in zip(*parts)]
    return Boundary(
        torch.from_numpy(columns[0].reshape(-1, 2, 2)).to(device=device, dtype=dtype),
        *(torch.from_numpy(column.astype(np.int64)).to(device) for column in columns[1:]),
    )


def on_own_edge(segments: np.ndarray, regions: np.ndarray, verts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``(S,)`` True for segments that run exactly along an edge of their own region."""
    found = np.zeros(len(segments), bool)
    counts = offsets[regions + 1] - offsets[regions]
    for slot in range(int(counts.max(initial=0))):
        position = np.minimum(slot, counts - 1)
        here = offsets[regions] + position
        following = offsets[regions] + (position + 1) % counts
        found |= (
            (slot < counts)
            & (verts[here] == segments[:, 0]).all(axis=1)
            & (verts[following] == segments[:, 1]).all(axis=1)
        )
    return found
