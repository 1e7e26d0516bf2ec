"""Class cells: the pieces of the regions that hold the decision boundary, one per class (docs/design.md, fact 5).

Inside a region the outputs are affine, so the set where class ``j`` wins is convex:
the region clipped by the half-planes ``f_j >= f_k``.  Drawing those pieces in their
class colours (instead of each region in the class at its centroid) makes a class
picture exact.  For one output with sorted levels ``l_1 < ... < l_m`` the "class" is
the number of levels below ``f``: it is the argmax of the affine functions
``g_i = i f - (l_1 + ... + l_i)``, ``i = 0..m`` (``g_i - g_{i-1} = f - l_i``), so the
same clipping serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .argmax import argmax_cells, candidate_classes
from .polygons import flatten, from_flat


@dataclass(frozen=True)
class ClassCells:
    """Convex pieces of the boundary regions, each inside one class.

    Attributes
    ----------
    vertices : ndarray (N, 2) float64
        CCW polygon vertices in plane coordinates.
    offsets : ndarray (C + 1,) int64
        Cell c owns ``vertices[offsets[c]:offsets[c + 1]]``.
    classes : ndarray (C,) int64
        The class winning on each cell (ties go to the lower class, as in ``classes_at``).
    regions : ndarray (C,) int64
        The region each cell lies in.
    """

    vertices: np.ndarray
    offsets: np.ndarray
    classes: np.ndarray
    regions: np.ndarray


def level_functions(affine: torch.Tensor, levels) -> torch.Tensor:
    """``(R, m + 1, 3)`` maps of ``g_i`` from one-output maps ``(R, 1, 3)`` and ``m`` levels."""
    levels = torch.as_tensor(sorted(levels), dtype=affine.dtype, device=affine.device)
    steps = torch.arange(len(levels) + 1, dtype=affine.dtype, device=affine.device)
    g = steps[None, :, None] * affine[:, :1, :]
    g[:, 1:, 2] -= torch.cumsum(levels, 0)[None]
    return g


def class_cells(partition) -> ClassCells:
    """The :class:`ClassCells` of a final partition (empty when no region holds the boundary)."""
    regions = np.unique(partition.boundary_regions)
    frame = partition.frame  # cut in the engine's local coordinates, where its tolerances hold
    vertices = torch.from_numpy(partition.local_vertices)
    offsets = torch.from_numpy(partition.offsets)
    starts = offsets[:-1][regions]
    counts = offsets[1:][regions] - starts
    local_offsets = torch.cat([torch.zeros(1, dtype=torch.int64), counts.cumsum(0)])
    # the vertices of the chosen regions, in order: global index = region start + position within it
    picked = torch.repeat_interleave(starts - local_offsets[:-1], counts) + torch.arange(int(local_offsets[-1]))
    polys = from_flat(vertices[picked], local_offsets)
    affine = torch.from_numpy(partition.local_affine[regions])
    if partition.n_outputs == 1:
        levels = partition.levels if partition.levels else (0.0,)
        affine = level_functions(affine, levels)
    cells, source, owner = argmax_cells(polys, affine, candidate_classes(polys.verts, affine))
    flat_vertices, flat_offsets, _ = flatten(cells)
    return ClassCells(
        frame.to_plane(flat_vertices.numpy()),
        flat_offsets.numpy(),
        owner.numpy().astype(np.int64),
        regions[source.numpy()].astype(np.int64),
    )
