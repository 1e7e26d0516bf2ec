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
    """Growable padded storage for the pieces of one layer, with per-piece bookkeeping.

    Rows ``0 .. size - 1`` hold pieces; capacity doubles as pieces are added, so a round
    costs no copy of the store.  Besides the polygon of each piece it keeps its bounding
    box (every round tests them), the region it came from (``parent``), where it is in
    its region's candidate list (``pointer``) and where that list ends (``end``).  Rows
    are read with ``index_select`` and written with ``index_copy_``: for the small
    batches of a round they cost a third of advanced indexing.
    """

    def __init__(self, regions: Polygons, starts: torch.Tensor):
        n = len(regions)
        self.verts = regions.verts.clone()
        self.counts = regions.counts.clone()
        self.tags = regions.tags.clone()
        self.boxes = regions.bounding_boxes()
        self.parent = torch.arange(n, device=regions.verts.device)
        self.pointer = starts[:-1].clone()
        self.end = starts[1:].clone()
        self.size = n
        # room for about one new piece per candidate, so that growing (a copy of the store) is rare
        self.grow(min(int(starts[-1]), 8 * n + 64))

    def widen(self, width: int) -> None:
        """Make room for polygons of ``width`` vertices."""
        if width > self.verts.shape[1]:
            wider = pad_to(Polygons(self.verts, self.counts, self.tags), width)
            self.verts, self.tags = wider.verts, wider.tags

    def grow(self, rows: int) -> None:
        """Make room for ``rows`` more pieces (capacity doubles)."""
        needed = self.size + rows
        capacity = self.verts.shape[0]
        if needed > capacity:
            capacity = max(needed, 2 * capacity)
            for name in ("verts", "counts", "tags", "boxes", "parent", "pointer", "end"):
                column = getattr(self, name)
                grown = column.new_empty(capacity, *column.shape[1:])  # rows past ``size`` are never read
                grown[: self.size] = column[: self.size]
                setattr(self, name, grown)

    def put(self, index: torch.Tensor, polys: Polygons) -> None:
        """Overwrite the polygons at rows ``index``."""
        self.widen(polys.verts.shape[1])
        polys = pad_to(polys, self.verts.shape[1])
        self.verts.index_copy_(0, index, polys.verts)
        self.counts.index_copy_(0, index, polys.counts)
        self.tags.index_copy_(0, index, polys.tags)
        self.boxes.index_copy_(0, index, polys.bounding_boxes())

    def polygons(self, index=None) -> Polygons:
        """The stored pieces (all, or those at rows ``index``)."""
        if index is None:
            return Polygons(self.verts[: self.size], self.counts[: self.size], self.tags[: self.size])
        return Polygons(
            self.verts.index_select(0, index), self.counts.index_select(0, index), self.tags.index_select(0, index)
        )


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

    Each piece walks through its region's candidate list (its ``pointer`` in the store).
    Cutting a piece replaces it by its first child and appends the others, which continue
    from the same point of the list.  ``active`` holds the pieces with candidates left.
    """

    def __init__(self, regions: Polygons, candidate_region: torch.Tensor, tag: int, budget: Budget):
        device = regions.verts.device
        starts = torch.zeros(len(regions) + 1, dtype=torch.int64, device=device)
        starts[1:] = torch.bincount(candidate_region, minlength=len(regions)).cumsum(0)
        self.store = PieceStore(regions, starts)
        self.tag, self.budget = tag, budget
        size = self.store.size
        self.active = (self.store.pointer[:size] < self.store.end[:size]).nonzero().squeeze(1)

    def pointers(self, rows: torch.Tensor) -> torch.Tensor:
        """Where each piece in ``rows`` is in its candidate list."""
        return self.store.pointer.index_select(0, rows)

    def ends(self, rows: torch.Tensor) -> torch.Tensor:
        """End of the candidate list of each piece in ``rows``."""
        return self.store.end.index_select(0, rows)

    def parents(self, rows: torch.Tensor) -> torch.Tensor:
        """The region each piece in ``rows`` came from."""
        return self.store.parent.index_select(0, rows)

    def advance(self, rows: torch.Tensor, pointers: torch.Tensor) -> None:
        """Move the pieces ``rows`` to ``pointers`` in their candidate lists."""
        self.store.pointer.index_copy_(0, rows, pointers)

    def replace(self, source: torch.Tensor, children: Polygons, first: torch.Tensor | None = None) -> None:
        """Put ``children`` in place of the pieces ``source`` they were cut from.

        ``first`` marks, for each piece cut, the child that takes its place; without it,
        the first half of ``children`` takes the places of the pieces cut (and ``source``
        lists those pieces twice, halves in the same order), as :func:`split` returns them.
        """
        store = self.store
        if first is None:
            n_kept = len(source) // 2
        else:
            order = torch.argsort((~first).to(torch.uint8), stable=True)  # kept children first
            n_kept = int(first.sum())
            source, children = source.index_select(0, order), children.take(order)
        extra = source[n_kept:]
        new_rows = torch.arange(store.size, store.size + len(extra), device=source.device)
        store.grow(len(extra))
        store.size += len(extra)
        store.put(torch.cat([source[:n_kept], new_rows]), children)
        if len(extra):
            start = store.size - len(extra)
            for name in ("parent", "pointer", "end"):  # new pieces continue where the piece they came from was
                column = getattr(store, name)
                column[start : store.size] = column.index_select(0, extra)
            self.budget.add(self.budget.owners.index_select(0, self.parents(new_rows)), self.tag)
            self.active = torch.cat([self.active, new_rows])

    def retire(self) -> None:
        """Drop the pieces whose candidate lists are exhausted from ``active``."""
        active = self.active
        keep = (self.pointers(active) < self.ends(active)).nonzero().squeeze(1)
        self.active = active.index_select(0, keep)

    def result(self):
        """All pieces and the region each came from."""
        return self.store.polygons(), self.store.parent[: self.store.size]


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
    store = rounds.store
    window = torch.arange(LOOKAHEAD, device=maps.device)
    while rounds.active.numel():
        active = rounds.active
        first = rounds.pointers(active)
        # Look at the next LOOKAHEAD candidates at once; the first entering the piece's box is tried.
        k = first[:, None] + window
        valid = k < rounds.ends(active)[:, None]
        k = torch.where(valid, k, first[:, None])
        a, b, c = lines.index_select(0, k.reshape(-1)).reshape(*k.shape, 3).unbind(-1)
        near = bbox_crossings(store.boxes.index_select(0, active), a, b, c).logical_and_(valid)
        found = near.any(dim=1)
        pick = near.to(torch.uint8).argmax(dim=1)
        rounds.advance(active, torch.where(found, first + pick + 1, first + LOOKAHEAD))
        hit = found.nonzero().squeeze(1)
        line = lines.index_select(0, k.gather(1, pick[:, None]).squeeze(1).index_select(0, hit))
        rows = active.index_select(0, hit)
        values = line_values(store.verts.index_select(0, rows), line[:, 0], line[:, 1], line[:, 2])
        cuts = ((values > 0).any(dim=1) & (values < 0).any(dim=1)).nonzero().squeeze(1)
        if cuts.numel():
            rows = rows.index_select(0, cuts)
            halves = split(store.polygons(rows), values.index_select(0, cuts), tag)
            rounds.replace(rows.repeat(2), halves)
        rounds.retire()
    return rounds.result()
