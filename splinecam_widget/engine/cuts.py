"""One entry point for the stages that cut regions: activations (lines) and maxima (argmax cells)."""

from __future__ import annotations

from ..network.stages import Maximum
from .maxsplit import candidate_windows, split_by_maximum
from .split import candidate_lines, split_regions


def find_candidates(boxes, maps, stage):
    """What may cut each region of bounding boxes ``boxes`` (see the two splitters)."""
    if isinstance(stage, Maximum):
        return candidate_windows(boxes, maps, stage)
    return candidate_lines(boxes, maps, stage.breakpoints)


def cut(regions, maps, stage, candidates, tag: int, budget):
    """Pieces of ``regions`` on which ``stage`` is affine, and the region each came from (see ``split.Budget``)."""
    if isinstance(stage, Maximum):
        return split_by_maximum(regions, maps, stage, candidates, tag, budget)
    return split_regions(regions, maps, stage.breakpoints, candidates, tag, budget)
