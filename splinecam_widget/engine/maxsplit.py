"""Cut regions where a max-pooling or maxout stage changes its winner (docs/design.md, fact 5).

A window of k units is a maximum of k affine functions on each region; its
linear pieces are the argmax cells.  Windows whose winner cannot change over a
region's bounding box are skipped; the others are processed in rounds like the
lines of an activation layer: each piece takes its next candidate window and is
replaced by that window's argmax cells.
"""

from __future__ import annotations

import torch

from ..network.stages import Maximum
from .argmax import argmax_cells, candidate_classes
from .polygons import Polygons
from .split import PieceRounds


def candidate_windows(boxes: torch.Tensor, maps: torch.Tensor, stage: Maximum):
    """``(region, window)`` pairs whose winner may change inside the region's bounding box."""
    a, b, c = maps[:, 0], maps[:, 1], maps[:, 2]
    centre = torch.addcmul(c, a, boxes[:, 0:1]).addcmul_(b, boxes[:, 1:2])
    reach = a.abs().mul_(boxes[:, 2:3]).addcmul_(b.abs(), boxes[:, 3:4])
    highest = stage.window_values(centre + reach)
    floor = stage.window_values(centre - reach).amax(dim=2, keepdim=True)
    contenders = (highest >= floor).sum(dim=2)
    return (contenders >= 2).nonzero(as_tuple=True)


def split_by_maximum(regions: Polygons, maps: torch.Tensor, stage: Maximum, candidates, tag: int, max_regions: int):
    """All pieces of ``regions`` on which every window of ``stage`` has one winner.

    Parameters and returns as :func:`~.split.split_regions`, with ``candidates`` the
    ``(region, window)`` pairs from :func:`candidate_windows`.
    """
    region, windows = candidates
    rounds = PieceRounds(regions, region, tag, max_regions)
    while rounds.active.numel():
        active = rounds.active
        owner = rounds.parent[active]
        members = stage.windows[windows[rounds.pointer[active]]]  # (A, k)
        affine = maps[owner[:, None], :, members.clamp(min=0)]  # (A, k, 3)
        pieces = rounds.store.polygons(active)
        contenders = candidate_classes(pieces.verts, affine, valid=members >= 0)
        rounds.pointer[active] += 1
        split = (contenders.sum(dim=1) >= 2).nonzero().squeeze(1)
        if split.numel():
            cells, source, _ = argmax_cells(pieces.take(split), affine[split], contenders[split], edge_tag=tag)
            first = torch.ones_like(source, dtype=torch.bool)
            first[1:] = source[1:] != source[:-1]  # cells come grouped by the piece they split
            rounds.replace(active[split[source]], cells, first)
        rounds.retire()
    return rounds.result()
