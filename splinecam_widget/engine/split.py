"""Cut every region by the lines of one piecewise-linear layer (docs/design.md, facts 2-3).

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
from .polygons import Polygons, line_values, pad_to, split

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
        self.boxes = regions.bounding_boxes()  # kept up to date: every round tests them
        self.size = len(regions)

    def widen(self, width: int) -> None:
        """Make room for polygons of ``width`` vertices."""
        if width > self.verts.shape[1]:
            wider = pad_to(Polygons(self.verts, self.counts, self.tags), width)
            self.verts, self.tags = wider.verts, wider.tags

    def grow(self, rows: int) -> None:
        """Make room for ``rows`` more pieces (capacity doubles)."""
        needed = self.size + rows
        if needed > self.verts.shape[0]:
            capacity = max(needed, 2 * self.verts.shape[0])
            extra = capacity - self.verts.shape[0]
            self.verts = torch.cat([self.verts, self.verts.new_zeros(extra, *self.verts.shape[1:])])
            self.counts = torch.cat([self.counts, self.counts.new_zeros(extra)])
            self.tags = torch.cat([self.tags, self.tags.new_zeros(extra, self.tags.shape[1])])
            self.boxes = torch.cat([self.boxes, self.boxes.new_zeros(extra, 4)])

    def put(self, index: torch.Tensor, polys: Polygons) -> None:
        """Overwrite the pieces at ``index``."""
        self.widen(polys.verts.shape[1])
        polys = pad_to(polys, self.verts.shape[1])
        self.verts[index] = polys.verts
        self.counts[index] = polys.counts
        self.tags[index] = polys.tags
        self.boxes[index] = polys.bounding_boxes()

    def polygons(self, index=None) -> Polygons:
        """The stored pieces (all, or those at ``index``)."""
        if index is None:
            index = slice(0, self.size)
        return Polygons(self.verts[index], self.counts[index], self.tags[index])


class Budget:
    """The region budget of one cutting layer, per slice.

    ``owners`` gives the slice of each region about to be cut; ``counts`` the pieces each
    slice already has at this layer, the regions about to be cut included (it is updated
    in place as pieces are added).  :class:`RegionBudgetExceeded` is raised as soon as a
    slice has more than ``limit`` pieces.
    """

    def __init__(self, limit: int, owners: torch.Tensor, counts: torch.Tensor):
        self.limit, self.owners, self.counts = limit, owners, counts

    def add(self, owners: torch.Tensor, tag: int) -> None:
        """Count new pieces of the slices ``owners``."""
        if owners.numel() == 0:
            return
        self.counts.index_add_(0, owners, torch.ones_like(owners))
        worst = int(self.counts[owners].max())
        if worst > self.limit:
            raise RegionBudgetExceeded(self.limit, tag, worst)


class PieceRounds:
    """The pieces of one layer while they are cut in rounds.

    Each piece walks through its region's candidate list (``pointer``).  Cutting a
    piece replaces it by its first child and appends the others, which continue
    from the same point of the list.  ``active`` holds the pieces with candidates left.
    """

    def __init__(self, regions: Polygons, candidate_region: torch.Tensor, tag: int, budget: Budget):
        device = regions.verts.device
        self.starts = torch.zeros(len(regions) + 1, dtype=torch.int64, device=device)
        self.starts[1:] = torch.bincount(candidate_region, minlength=len(regions)).cumsum(0)
        self.store = PieceStore(regions)
        self.parent = torch.arange(len(regions), device=device)
        self.pointer = self.starts[:-1].clone()
        self.tag, self.budget = tag, budget
        self.active = (self.pointer < self.starts[1:]).nonzero().squeeze(1)

    def ends(self, rows: torch.Tensor) -> torch.Tensor:
        """End of the candidate list of each piece in ``rows``."""
        return self.starts[self.parent[rows] + 1]

    def replace(self, source: torch.Tensor, children: Polygons, first: torch.Tensor) -> None:
        """Put ``children`` in place of the pieces ``source`` they were cut from.

        ``first`` marks, for each piece cut, the child that takes its place.
        """
        extra = (~first).nonzero().squeeze(1)
        new_rows = torch.arange(self.store.size, self.store.size + extra.numel(), device=source.device)
        self.store.grow(extra.numel())
        self.store.size += extra.numel()
        self.budget.add(self.budget.owners[self.parent[source[extra]]], self.tag)
        kept = first.nonzero().squeeze(1)
        self.store.put(source[kept], children.take(kept))
        self.store.put(new_rows, children.take(extra))
        self.parent = torch.cat([self.parent, self.parent[source[extra]]])
        self.pointer = torch.cat([self.pointer, self.pointer[source[extra]]])
        self.active = torch.cat([self.active, new_rows])

    def retire(self) -> None:
        """Drop the pieces whose candidate lists are exhausted from ``active``."""
        self.active = self.active[self.pointer[self.active] < self.ends(self.active)]

    def result(self):
        """All pieces and the region each came from."""
        return self.store.polygons(), self.parent


def split_regions(
    regions: Polygons, maps: torch.Tensor, breakpoints: torch.Tensor, candidates, tag: int, budget: Budget
):
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
    budget : Budget
        Raise :class:`RegionBudgetExceeded` when a slice gets more pieces than it allows.

    Returns
    -------
    pieces : Polygons
    parent : torch.Tensor (P,)
        Index of the region each piece came from.
    """
    region, units, breaks = candidates
    lines = maps[region, :, units]  # (C, 3): each candidate's line a*u + b*v + c
    lines[:, 2] -= breakpoints[breaks]
    rounds = PieceRounds(regions, region, tag, budget)
    window = torch.arange(LOOKAHEAD, device=maps.device)
    while rounds.active.numel():
        active = rounds.active
        first = rounds.pointer[active]
        # Look at the next LOOKAHEAD candidates at once; the first entering the piece's box is tried.
        k = first[:, None] + window
        valid = k < rounds.ends(active)[:, None]
        a, b, c = lines[torch.where(valid, k, first[:, None])].unbind(-1)
        near = bbox_crossings(rounds.store.boxes[active], a, b, c) & valid
        found = near.any(dim=1)
        pick = near.to(torch.uint8).argmax(dim=1)
        rounds.pointer[active] = torch.where(found, first + pick + 1, first + LOOKAHEAD)
        hit = found.nonzero().squeeze(1)
        pick = pick[hit]
        values = line_values(rounds.store.verts[active[hit]], a[hit, pick], b[hit, pick], c[hit, pick])
        cuts = (values > 0).any(dim=1) & (values < 0).any(dim=1)
        cut, values = hit[cuts], values[cuts]
        if cut.numel():
            halves = split(rounds.store.polygons(active[cut]), values, tag)
            first_half = torch.arange(2 * cut.numel(), device=maps.device) < cut.numel()
            rounds.replace(active[cut].repeat(2), halves, first_half)
        rounds.retire()
    return rounds.result()
