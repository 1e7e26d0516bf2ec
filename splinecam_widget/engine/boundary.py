"""Decision boundaries and level sets inside each region (design facts 5-6).

One output: the segment ``f = level`` clipped to each region.  Several outputs:
inside each region the cell where class ``j`` wins is the region clipped by the
half-planes ``f_j >= f_k``; the boundary is made of the cell edges that lie on
one of those lines.  A region whose vertices all pick the same class, with a
clear margin, lies entirely in that class's cell (cells are convex) and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

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
    """

    segments: torch.Tensor
    classes: torch.Tensor
    levels: torch.Tensor
    regions: torch.Tensor


def tagged_edges(polys: Polygons, wanted: torch.Tensor):
    """Edges selected by ``wanted (P, V) bool``: polygon index, slot, start and end points."""
    slots = torch.arange(polys.verts.shape[1], device=polys.verts.device)
    valid = slots < polys.counts[:, None]
    following = torch.where(slots + 1 < polys.counts[:, None], slots + 1, 0)
    poly, slot = (valid & wanted).nonzero(as_tuple=True)
    return poly, slot, polys.verts[poly, slot], polys.verts[poly, following[poly, slot]]


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
        parts.append((start, end, torch.full_like(poly, index), touching[poly]))
    return assemble(parts, affine, argmax=False)


REGION_CHUNK = 8192  # regions whose vertex outputs (V x K each) are evaluated at once


def vertex_outputs(verts: torch.Tensor, affine: torch.Tensor) -> torch.Tensor:
    """``(P, V, K)`` outputs at each polygon vertex from per-polygon maps ``(P, K, 3)``."""
    homogeneous = torch.cat([verts, torch.ones_like(verts[..., :1])], dim=-1)
    return torch.einsum("pvc,pkc->pvk", homogeneous, affine)


def output_scale(verts: torch.Tensor, affine: torch.Tensor) -> torch.Tensor:
    """``(P,)`` magnitude of the terms making up the outputs: the yardstick for ties."""
    reach = torch.cat([verts.abs().amax(dim=1), torch.ones_like(verts[:, :1, 0])], dim=1)
    return (affine.abs() * reach[:, None]).sum(dim=-1).amax(dim=-1)


def mixed_regions(regions: Polygons, affine: torch.Tensor) -> torch.Tensor:
    """Regions whose vertices do not all pick one class by a clear margin (the others hold no boundary)."""
    found = []
    for start in range(0, len(regions), REGION_CHUNK):
        rows = slice(start, start + REGION_CHUNK)
        verts, maps = regions.verts[rows], affine[rows]
        top2 = vertex_outputs(verts, maps).topk(2, dim=-1)
        tie = (top2.values[..., 0] - top2.values[..., 1]) <= ZERO_TOLERANCE * output_scale(verts, maps)[:, None]
        winner = top2.indices[..., 0]
        mixed = tie.any(dim=1) | (winner != winner[:, :1]).any(dim=1)
        found.append(mixed.nonzero().squeeze(1) + start)
    return torch.cat(found)


def candidate_classes(verts: torch.Tensor, affine: torch.Tensor) -> torch.Tensor:
    """``(M, K)`` classes that may win somewhere in each polygon.

    Where class j wins, ``f_j = max_k f_k >= max_k min_polygon f_k``; a class whose
    largest vertex value is below that floor never wins.  Cells need only be clipped
    against candidates: at any point the winner is a candidate.
    """
    outputs = vertex_outputs(verts, affine)
    floor = outputs.amin(dim=1).amax(dim=1, keepdim=True)
    return outputs.amax(dim=1) >= floor - ZERO_TOLERANCE * output_scale(verts, affine)[:, None]


def argmax_boundary(regions: Polygons, affine: torch.Tensor) -> Boundary:
    """Boundary between the argmax cells of a K-output network (K >= 2)."""
    n_classes = affine.shape[1]
    mixed = mixed_regions(regions, affine)
    candidates = candidate_classes(regions.verts[mixed], affine[mixed])
    # Each region's candidate classes first (sorted), padded with n_classes.
    ranked = torch.where(candidates, torch.arange(n_classes, device=affine.device), n_classes).sort(dim=1).values
    ranked = ranked[:, : int(candidates.sum(dim=1).max()) if len(mixed) else 0]

    # One cell per (mixed region, candidate class), clipped by f_owner >= f_other for each other candidate.
    local, owner = candidates.nonzero(as_tuple=True)
    region = mixed[local]
    cells = regions.take(region)
    cells.tags = torch.full_like(cells.tags, -1)
    for step in range(ranked.shape[1]):
        other = ranked[local, step]
        skip = (other == owner) | (other == n_classes)
        other = torch.where(skip, owner, other)
        diff = affine[region, owner] - affine[region, other]
        values = line_values(cells.verts, diff[:, 0], diff[:, 1], diff[:, 2])
        identical = (values == 0).all(dim=1)  # f_owner == f_other on the whole cell: lower index wins
        keep_all = torch.where(skip | (owner < other), 1.0, -1.0).to(values)
        values = torch.where((identical | skip)[:, None], keep_all[:, None], values)
        cells = clip(cells, values, other)
        alive = (cells.counts >= 3).nonzero().squeeze(1)
        cells, region, owner, local = cells.take(alive), region[alive], owner[alive], local[alive]
    poly, slot, start, end = tagged_edges(cells, cells.tags > owner[:, None])
    pair = torch.stack([owner[poly], cells.tags[poly, slot].long()], dim=1)
    return assemble([(start, end, pair, region[poly])], affine, argmax=True)


def assemble(parts, affine: torch.Tensor, argmax: bool) -> Boundary:
    """Concatenate per-level (or per-class) pieces into one :class:`Boundary`."""
    device = affine.device
    if not parts or sum(len(p[0]) for p in parts) == 0:
        empty = torch.zeros(0, dtype=torch.int64, device=device)
        return Boundary(torch.zeros(0, 2, 2, dtype=affine.dtype, device=device), empty.reshape(0, 2), empty, empty)
    segments = torch.cat([torch.stack([s, e], dim=1) for s, e, _, _ in parts])
    regions = torch.cat([r for _, _, _, r in parts])
    if argmax:
        classes = torch.cat([c for _, _, c, _ in parts])
        levels = torch.full((len(segments),), -1, dtype=torch.int64, device=device)
    else:
        levels = torch.cat([lv for _, _, lv, _ in parts])
        classes = torch.tensor([0, 1], device=device).repeat(len(segments), 1)
    return Boundary(segments, classes, levels, regions)
