"""The reference (torch) backend of the layer loop: batched cuts in rounds, on any device.

A *backend* is what :class:`~.layers.Descent` asks of the regions of a cutting layer
(docs/design.md, fact 3): ``domains(planes, device)`` makes the first regions,
``candidates(pieces, rows, maps, stage)`` finds what may cut the pieces ``rows`` at the
next cutting layer, and ``cut(regions, maps, stage, candidates, tag, budget)`` returns
the pieces, the region each came from and their activation pattern; at the end,
``boundary(regions, affine, levels)`` finds the decision boundary in the final regions.
A backend may also offer ``carry``, which gathers, activates and hashes a chunk of pieces in
one pass (``compiled/cutter.py``); ``None`` leaves that to the layer loop.  This one runs on
torch tensors (padded :class:`~.polygons.Polygons`) and serves CUDA and the reference
checks; :mod:`.compiled.cutter` is its compiled twin for the CPU.
"""

from __future__ import annotations

import torch

from ..network.stages import Maximum
from ..slice import Slice
from .boundary import Boundary, argmax_boundary, level_sets
from .maxsplit import candidate_windows, split_by_maximum
from .polygons import Polygons, concat
from .split import candidate_lines, split_regions

carry = None
"""No one-pass carry: the layer loop gathers, activates and hashes each chunk with torch."""


def domains(planes: list[Slice], device) -> Polygons:
    """The domains of ``planes`` as a batch of polygons whose edges are tagged -1."""
    return concat(
        *[
            Polygons(
                torch.from_numpy(p.domain).to(device).unsqueeze(0),
                torch.tensor([len(p.domain)], device=device),
                torch.full((1, len(p.domain)), -1, dtype=torch.int16, device=device),
            )
            for p in planes
        ]
    )


def candidates(pieces: Polygons, rows: slice, maps: torch.Tensor, stage):
    """What may cut the pieces ``rows`` at ``stage``, whose maps entering it are ``maps (len(rows), 3, D)``."""
    boxes = pieces.take(rows).bounding_boxes()
    if isinstance(stage, Maximum):
        return candidate_windows(boxes, maps, stage)
    return candidate_lines(boxes, maps, stage.breakpoints)


def cut(regions: Polygons, maps: torch.Tensor, stage, candidates, tag: int, budget):
    """Pieces of ``regions`` on which ``stage`` is affine, the region each came from, and no pattern.

    The pattern is left to the layer loop (``None``), which reads it at each piece's
    interior point chunk by chunk, while the chunk's maps are in cache.
    """
    if isinstance(stage, Maximum):
        pieces, parent = split_by_maximum(regions, maps, stage, candidates, tag, budget)
    else:
        pieces, parent = split_regions(regions, maps, stage.breakpoints, candidates, tag, budget)
    return pieces, parent, None


def boundary(regions: Polygons, affine: torch.Tensor, levels) -> Boundary:
    """The level sets (one output) or the argmax boundary (several) in every region (``affine (R, K, 3)``)."""
    if affine.shape[1] == 1:
        return level_sets(regions, affine, levels)
    return argmax_boundary(regions, affine)
