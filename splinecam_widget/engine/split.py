"""Cut every region by the lines of one piecewise-linear layer (design facts 2-3).

On region ``r`` the pre-activation of unit ``i`` is ``a*u + b*v + c``; with a
breakpoint ``t`` its cut is the line ``a*u + b*v + (c - t) = 0``.  Lines that
miss a region's bounding box cannot cut it or its children, so each region
keeps a short list of candidate lines.  Splitting then runs in rounds: every
piece still holding candidates tests its next one and, if the line crosses it,
is replaced by its two halves, which both continue with the following candidate.
"""

from __future__ import annotations

import torch

from ..errors import RegionBudgetExceeded
from .polygons import Polygons, clip, line_values

LOOKAHEAD = 8  # candidates examined per piece and round: most miss a small piece, so rounds shrink


def bbox_crossings(boxes: torch.Tensor, a, b, c) -> torch.Tensor:
    """True where the line ``a*u + b*v + c = 0`` enters a box (centre, half-sizes)."""
    centre = torch.addcmul(c, a, boxes[:, 0:1]).addcmul_(b, boxes[:, 1:2]).abs_()
    reach = a.abs().mul_(boxes[:, 2:3]).addcmul_(b.abs(), boxes[:, 3:4])
    return centre < reach


def candidate_lines(boxes: torch.Tensor, maps: torch.Tensor, breakpoints: torch.Tensor):
    """Lines that may cut each region: those entering its bounding box.

    Parameters
    ----------
    boxes : torch.Tensor (R, 4)
        Bounding boxes (centre, half-sizes) of the regions.
    maps : torch.Tensor (R, 3, D)
        Per-region affine map of each unit.
    breakpoints : torch.Tensor (m,)

    Returns
    -------
    region, units, breaks : torch.Tensor (C,)
        Region, unit and breakpoint index of each candidate, sorted by region.
    """
    a, b, c = maps[:, 0], maps[:, 1], maps[:, 2]
    hits = torch.stack([bbox_crossings(boxes, a, b, c - t) for t in breakpoints.tolist()], dim=2)
    return hits.nonzero(as_tuple=True)


class PieceStore:
    """Growable padded storage for the pieces of one layer."""

    def __init__(self, regions: Polygons):
        self.verts = regions.verts.clone()
        self.counts = regions.counts.clone()
        self.tags = regions.tags.clone()
        self.size = len(regions)

    def widen(self, width: int) -> None:
        """Make room for polygons of ``width`` vertices (padding repeats vertex 0)."""
        extra = width - self.verts.shape[1]
        if extra > 0:
            self.verts = torch.cat([self.verts, self.verts[:, :1].expand(-1, extra, -1)], dim=1)
            self.tags = torch.cat([self.tags, self.tags[:, :1].expand(-1, extra)], dim=1)

    def grow(self, rows: int) -> None:
        """Make room for ``rows`` more pieces (capacity doubles)."""
        needed = self.size + rows
        if needed > self.verts.shape[0]:
            capacity = max(needed, 2 * self.verts.shape[0])
            extra = capacity - self.verts.shape[0]
            self.verts = torch.cat([self.verts, self.verts.new_zeros(extra, *self.verts.shape[1:])])
            self.counts = torch.cat([self.counts, self.counts.new_zeros(extra)])
            self.tags = torch.cat([self.tags, self.tags.new_zeros(extra, self.tags.shape[1])])

    def put(self, index: torch.Tensor, polys: Polygons) -> None:
        """Overwrite the pieces at ``index``."""
        self.widen(polys.verts.shape[1])
        width = polys.verts.shape[1]
        pad = self.verts.shape[1] - width
        verts = torch.cat([polys.verts, polys.verts[:, :1].expand(-1, pad, -1)], dim=1) if pad else polys.verts
        tags = torch.cat([polys.tags, polys.tags[:, :1].expand(-1, pad)], dim=1) if pad else polys.tags
        self.verts[index] = verts
        self.counts[index] = polys.counts
        self.tags[index] = tags

    def polygons(self, index=None) -> Polygons:
        """The stored pieces (all, or those at ``index``)."""
        if index is None:
            index = slice(0, self.size)
        return Polygons(self.verts[index], self.counts[index], self.tags[index])


def split_regions(regions: Polygons, maps: torch.Tensor, breakpoints: torch.Tensor, candidates, tag: int,
                  max_regions: int):
    """All pieces of ``regions`` cut by the layer whose pre-activation maps are ``maps``.

    Parameters
    ----------
    regions : Polygons
        The current regions.
    maps : torch.Tensor, shape (R, 3, D)
        Per-region affine map of each unit (rows d/du, d/dv, offset).
    breakpoints : torch.Tensor, shape (m,)
        Where the layer's function bends.
    candidates : tuple of torch.Tensor
        ``(region, unit, breakpoint)`` indices of the lines that may cut each region,
        sorted by region (see :func:`candidate_lines`).
    tag : int
        Edge tag for the cuts (the layer index).
    max_regions : int
        Raise :class:`RegionBudgetExceeded` past this many pieces.

    Returns
    -------
    pieces : Polygons
    parent : torch.Tensor (P,)
        Index of the region each piece came from.
    """
    region, units, breaks = candidates
    starts = torch.zeros(len(regions) + 1, dtype=torch.int64, device=maps.device)
    starts[1:] = torch.bincount(region, minlength=len(regions)).cumsum(0)
    store = PieceStore(regions)
    parent = torch.arange(len(regions), device=maps.device)
    pointer = starts[:-1].clone()
    active = (pointer < starts[1:]).nonzero().squeeze(1)
    window = torch.arange(LOOKAHEAD, device=maps.device)
    while active.numel():
        owner = parent[active]
        first = pointer[active]
        # Look at the next LOOKAHEAD candidates at once; the first entering the piece's box is tried.
        k = first[:, None] + window
        valid = k < starts[owner + 1][:, None]
        k = torch.where(valid, k, first[:, None])
        line_owner = owner[:, None]
        unit, offset = units[k], breakpoints[breaks[k]]
        a, b, c = maps[line_owner, 0, unit], maps[line_owner, 1, unit], maps[line_owner, 2, unit] - offset
        pieces = store.polygons(active)
        near = bbox_crossings(pieces.bounding_boxes(), a, b, c) & valid
        found = near.any(dim=1)
        pick = near.to(torch.uint8).argmax(dim=1)
        pointer[active] = torch.where(found, first + pick + 1, first + LOOKAHEAD)
        hit = found.nonzero().squeeze(1)
        pick = pick[hit]
        values = line_values(pieces.verts[hit], a[hit, pick], b[hit, pick], c[hit, pick])
        cuts = (values > 0).any(dim=1) & (values < 0).any(dim=1)
        cut, values = hit[cuts], values[cuts]
        if cut.numel():
            whole = pieces.take(cut)
            below = clip(whole, -values, tag)
            above = clip(whole, values, tag)
            cut_rows = active[cut]
            new_rows = torch.arange(store.size, store.size + cut.numel(), device=maps.device)
            store.grow(cut.numel())
            store.size += cut.numel()
            if store.size > max_regions:
                raise RegionBudgetExceeded(max_regions, tag, store.size)
            store.put(cut_rows, above)
            store.put(new_rows, below)
            parent = torch.cat([parent, parent[cut_rows]])
            pointer = torch.cat([pointer, pointer[cut_rows]])
            active = torch.cat([active, new_rows])
        active = active[pointer[active] < starts[parent[active] + 1]]
    return store.polygons(), parent
