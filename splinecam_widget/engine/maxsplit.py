"""Cut regions where a max-pooling or maxout stage changes its winner (docs/design.md, fact 5).

A window of k units is a maximum of k affine functions on each region; its linear pieces
are the argmax cells.  A window can cut a region only if two members whose maps differ
can both win there: members that can never reach the largest lower bound are out, and
members whose maps are identical on the region (the all-zero maps of dead ReLUs, above
all) are one function, whichever wins.  Candidate windows are found with these two tests
on each region's bounding box (:func:`candidate_windows`), then pieces are split in
rounds like the lines of an activation layer: each piece looks at its next
:data:`LOOKAHEAD` windows at once, tests them exactly on its vertices, and is replaced by
the argmax cells of the first one that really splits it.
"""

from __future__ import annotations

import torch

from ..network.stages import Maximum
from .argmax import argmax_cells
from .polygons import ZERO_TOLERANCE, Polygons
from .split import Budget, PieceRounds

LOOKAHEAD = 8  # candidate windows tested per piece and round


def candidate_windows(boxes: torch.Tensor, maps: torch.Tensor, stage: Maximum):
    """``(region, window)`` pairs whose winner may change inside the region's bounding box.

    Parameters
    ----------
    boxes : torch.Tensor (R, 4)
        Bounding boxes (centre, half-sizes).
    maps : torch.Tensor (R, 3, D)
        Per-region affine map of each unit entering the stage.
    """
    a, b, c = maps[:, 0], maps[:, 1], maps[:, 2]
    centre = torch.addcmul(c, a, boxes[:, 0:1]).addcmul_(b, boxes[:, 1:2])
    reach = a.abs().mul_(boxes[:, 2:3]).addcmul_(b.abs(), boxes[:, 3:4])
    # the terms |a| + |b| + |c| over the window (local coordinates): the yardstick of ties
    size = c.abs().add_(a.abs()).add_(b.abs())
    members = stage.windows.clamp(min=0)
    valid = stage.windows >= 0
    at = centre[:, members]  # (R, W, k)
    spread = reach[:, members]
    high = (at + spread).masked_fill(~valid, float("-inf"))
    floor = (at - spread).masked_fill(~valid, float("-inf")).amax(dim=2, keepdim=True)
    tolerance = ZERO_TOLERANCE * size[:, members]
    contenders = high >= floor - tolerance
    # the member with the largest value at the box centre, against which ties are judged
    reference = at.masked_fill(~(contenders & valid), float("-inf")).argmax(dim=2, keepdim=True)
    gap = (at - at.gather(2, reference)).abs()
    gap += (a[:, members] - a[:, members].gather(2, reference)).abs().mul_(boxes[:, 2:3, None])
    gap += (b[:, members] - b[:, members].gather(2, reference)).abs().mul_(boxes[:, 3:4, None])
    tied = gap <= tolerance + tolerance.gather(2, reference)
    different = contenders & valid & ~tied
    return different.any(dim=2).nonzero(as_tuple=True)


def exact_contenders(verts: torch.Tensor, affine: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Members that may win inside each polygon and differ from the leading one there.

    Parameters
    ----------
    verts : torch.Tensor (A, V, 2)
        The polygons (padding repeats vertex 0).
    affine : torch.Tensor (A, L, k, 3)
        ``L`` windows of ``k`` member maps per polygon.
    valid : torch.Tensor (A, L, k) bool
        Members that exist (short windows are padded).

    Returns
    -------
    torch.Tensor (A, L, k) bool
        The leading member (largest at the vertex average) and every contender whose map
        is not identical to it on the polygon; a window splits its polygon only when it
        has two.
    """
    homogeneous = torch.cat([verts, torch.ones_like(verts[..., :1])], dim=-1)  # (A, V, 3)
    values = torch.einsum("avc,alkc->alkv", homogeneous, affine)
    tolerance = ZERO_TOLERANCE * affine.abs().sum(dim=3)  # (A, L, k): each member's terms over the window
    values = values.masked_fill(~valid[..., None], float("-inf"))
    floor = values.amin(dim=3).amax(dim=2, keepdim=True)
    contenders = valid & (values.amax(dim=3) >= floor - tolerance)
    lead = values.mean(dim=3).masked_fill(~contenders, float("-inf")).argmax(dim=2, keepdim=True)  # (A, L, 1)
    lead_maps = affine.gather(2, lead[..., None].expand(-1, -1, 1, 3))
    gap = torch.einsum("avc,alkc->alkv", homogeneous, affine - lead_maps).abs().amax(dim=3)
    tied = gap <= tolerance + tolerance.gather(2, lead)
    keep = contenders & ~tied
    return keep.scatter(2, lead, True)


def split_by_maximum(regions: Polygons, maps: torch.Tensor, stage: Maximum, candidates, tag: int, budget: Budget):
    """All pieces of ``regions`` on which every window of ``stage`` has one winner.

    Parameters and returns as :func:`~.split.split_regions`, with ``candidates`` the
    ``(region, window)`` pairs from :func:`candidate_windows`.
    """
    region, windows = candidates
    rounds = PieceRounds(regions, region, tag, budget)
    look = torch.arange(LOOKAHEAD, device=maps.device)
    while rounds.active.numel():
        active = rounds.active
        first = rounds.pointers(active)
        k = first[:, None] + look
        inside = k < rounds.ends(active)[:, None]  # (A, L)
        members = stage.windows[windows[torch.where(inside, k, first[:, None])]]  # (A, L, k)
        valid = (members >= 0) & inside[..., None]
        affine = maps[rounds.parents(active)[:, None, None], :, members.clamp(min=0)]  # (A, L, k, 3)
        contenders = exact_contenders(rounds.store.verts.index_select(0, active), affine, valid)
        splits = contenders.sum(dim=2) >= 2
        found = splits.any(dim=1)
        pick = splits.to(torch.uint8).argmax(dim=1)
        rounds.advance(active, torch.where(found, first + pick + 1, first + LOOKAHEAD))
        hit = found.nonzero().squeeze(1)
        if hit.numel():
            pick = pick[hit]
            cells, source, _ = argmax_cells(
                rounds.store.polygons(active[hit]), affine[hit, pick], contenders[hit, pick], edge_tag=tag
            )
            first_cell = torch.ones_like(source, dtype=torch.bool)
            first_cell[1:] = source[1:] != source[:-1]  # cells come grouped by the piece they split
            rounds.replace(active[hit[source]], cells, first_cell)
        rounds.retire()
    return rounds.result()
