"""Decision boundaries and level sets inside each region (docs/design.md, facts 5-6).

One output: the segment ``f = level`` clipped to each region.  Several outputs:
inside each region the cell where class ``j`` wins is the region clipped by the
half-planes ``f_j >= f_k``; the boundary is made of the cell edges that lie on
one of those lines.  A region whose vertices all pick the same class, with a
clear margin, lies entirely in that class's cell (cells are convex) and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .argmax import argmax_cells, candidate_classes, output_scale, vertex_outputs
from .polygons import ZERO_TOLERANCE, Polygons, clip, line_values


@dataclass
class Boundary:
    """Decision-boundary segments.

    Attributes
    ----------
    segments : (S, 2, 2) endpoints in plane coordinates
    classes : (S, 2) the two classes on either side (lower first); (0, 1) for a level set
    levels : (S,) index of the level for one-output networks, -1 for argmax boundaries
    regions : (S,) region holding the segment
    on_edge : (S,) bool, True for a segment running exactly along an edge of its own region
        (the class across it is the neighbour's: see :mod:`.true_boundary`)
    """

    segments: torch.Tensor
    classes: torch.Tensor
    levels: torch.Tensor
    regions: torch.Tensor
    on_edge: torch.Tensor


def tagged_edges(polys: Polygons, wanted: torch.Tensor):
    """Edges selected by ``wanted (P, V) bool``: polygon index, slot, start and end points."""
    slots = torch.arange(polys.verts.shape[1], device=polys.verts.device)
    valid = slots < polys.counts[:, None]
    following = torch.where(slots + 1 < polys.counts[:, None], slots + 1, 0)
    poly, slot = (valid & wanted).nonzero(as_tuple=True)
    return poly, slot, polys.verts[poly, slot], polys.verts[poly, following[poly, slot]]


def along_edges(regions: Polygons, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """``(S,)`` True where ``start -> end`` runs along an edge of the polygon of the same row in ``regions``.

    Both ends within :data:`ZERO_TOLERANCE` (local units) of the edge's line, as
    ``compiled/boundary.py``'s ``along_edge``.
    """
    slots = torch.arange(regions.verts.shape[1], device=start.device)
    valid = slots < regions.counts[:, None]
    following = torch.where(slots + 1 < regions.counts[:, None], slots + 1, 0)
    after = regions.verts.gather(1, following.unsqueeze(-1).expand(-1, -1, 2))
    d = after - regions.verts
    reach = ZERO_TOLERANCE * d.norm(dim=-1)

    def off_line(point):
        offset = point[:, None] - regions.verts
        return (offset[..., 0] * d[..., 1] - offset[..., 1] * d[..., 0]).abs()

    return (valid & (reach > 0) & (off_line(start) <= reach) & (off_line(end) <= reach)).any(dim=1)


def level_sets(regions: Polygons, affine: torch.Tensor, levels) -> Boundary:
    """Segments of ``{f = level}`` for a one-output network, one level after another.

    A segment lying on a region edge is reported by the region on the side where
    ``f > level``, so shared edges appear once.
    """
    parts = []
    for index, level in enumerate(levels):
        values = line_values(regions.verts, affine[:, 0, 0], affine[:, 0, 1], affine[:, 0, 2] - level)
        touching = ((values > 0).any(dim=1) & (values <= 0).any(dim=1)).nonzero().squeeze(1)
        above = clip(regions.take(touching), values[touching], -2)
        poly, _, start, end = tagged_edges(above, above.tags == -2)
        on_edge = along_edges(regions.take(touching[poly]), start, end)
        parts.append((start, end, torch.full_like(poly, index), touching[poly], on_edge))
    return assemble(parts, affine, argmax=False)


REGION_CHUNK = 8192  # regions whose vertex outputs (V x K each) are evaluated at once


def mixed_regions(regions: Polygons, affine: torch.Tensor) -> torch.Tensor:
    """Regions whose vertices do not all pick one class by a clear margin (the others hold no boundary)."""
    found = []
    for start in range(0, len(regions), REGION_CHUNK):
        rows = slice(start, start + REGION_CHUNK)
        verts, maps = regions.verts[rows], affine[rows]
        top2 = vertex_outputs(verts, maps).topk(2, dim=-1)
        tie = (top2.values[..., 0] - top2.values[..., 1]) <= ZERO_TOLERANCE * output_scale(maps)[:, None]
        winner = top2.indices[..., 0]
        mixed = tie.any(dim=1) | (winner != winner[:, :1]).any(dim=1)
        found.append(mixed.nonzero().squeeze(1) + start)
    return torch.cat(found)


def argmax_boundary(regions: Polygons, affine: torch.Tensor) -> Boundary:
    """Boundary between the argmax cells of a K-output network (K >= 2)."""
    mixed = mixed_regions(regions, affine)
    polys = regions.take(mixed)
    polys.tags = torch.full_like(polys.tags, -1)  # only edges between cells matter here
    cells, source, owner = argmax_cells(polys, affine[mixed], candidate_classes(polys.verts, affine[mixed]))
    # each edge between cells once, from the lower class's cell; an edge along the region's own edge from
    # every cell that has it (the other class's cell is across, or nowhere: true_boundary.py decides)
    poly, slot, start, end = tagged_edges(cells, cells.tags >= 0)
    on_edge = along_edges(polys.take(source[poly]), start, end)
    other = cells.tags[poly, slot].long()
    wanted = (other > owner[poly]) | on_edge
    poly, start, end, other, on_edge = poly[wanted], start[wanted], end[wanted], other[wanted], on_edge[wanted]
    pair = torch.stack([owner[poly], other], dim=1).sort(dim=1).values
    return assemble([(start, end, pair, mixed[source[poly]], on_edge)], affine, argmax=True)


def empty_boundary(affine: torch.Tensor) -> Boundary:
    """A boundary without segments (when the caller does not want it computed)."""
    return assemble([], affine, argmax=False)


def assemble(parts, affine: torch.Tensor, argmax: bool) -> Boundary:
    """Concatenate per-level (or per-class) pieces into one :class:`Boundary`."""
    device = affine.device
    if not parts or sum(len(p[0]) for p in parts) == 0:
        empty = torch.zeros(0, dtype=torch.int64, device=device)
        segments = torch.zeros(0, 2, 2, dtype=affine.dtype, device=device)
        return Boundary(segments, empty.reshape(0, 2), empty, empty, empty.bool())
    segments = torch.cat([torch.stack([s, e], dim=1) for s, e, _, _, _ in parts])
    regions = torch.cat([r for _, _, _, r, _ in parts])
    on_edge = torch.cat([flag for _, _, _, _, flag in parts])
    if argmax:
        classes = torch.cat([c for _, _, c, _, _ in parts])
        levels = torch.full((len(segments),), -1, dtype=torch.int64, device=device)
    else:
        levels = torch.cat([lv for _, _, lv, _, _ in parts])
        classes = torch.tensor([0, 1], device=device).repeat(len(segments), 1)
    return Boundary(segments, classes, levels, regions, on_edge)
