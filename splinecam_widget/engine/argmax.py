"""Argmax cells: inside a convex polygon, where each of K affine functions is the largest (docs/design.md, fact 5).

The cell of function j is the polygon clipped by the half-planes ``f_j >= f_k``.
It serves the multi-class decision boundary and max-pooling alike.
"""

from __future__ import annotations

import torch

from .polygons import ZERO_TOLERANCE, Polygons, clip, line_values


def vertex_outputs(verts: torch.Tensor, affine: torch.Tensor) -> torch.Tensor:
    """``(P, V, K)`` outputs at each polygon vertex from per-polygon maps ``(P, K, 3)``."""
    homogeneous = torch.cat([verts, torch.ones_like(verts[..., :1])], dim=-1)
    return torch.einsum("pvc,pkc->pvk", homogeneous, affine)


def output_scale(affine: torch.Tensor) -> torch.Tensor:
    """``(P,)`` the largest function's terms ``|a| + |b| + |c|`` over the window: the yardstick for ties.

    The maps ``(P, K, 3)`` are of local coordinates (within about [-1, 1]; see
    ``splinecam_widget/frame.py``), so this is the size of the outputs' terms anywhere in
    the window, however small the polygon or near the local origin.
    """
    return affine.abs().sum(dim=-1).amax(dim=-1)


def candidate_classes(verts: torch.Tensor, affine: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """``(M, K)`` classes that may win somewhere in each polygon.

    Where class j wins, ``f_j = max_k f_k >= max_k min_polygon f_k``; a class whose
    largest vertex value is below that floor never wins.  Cells need only be clipped
    against candidates: at any point the winner is a candidate.  ``valid (M, K)``
    marks the functions that exist (padding of short max-pool windows does not).
    """
    outputs = vertex_outputs(verts, affine)
    if valid is not None:
        outputs = outputs.masked_fill(~valid[:, None, :], float("-inf"))
    floor = outputs.amin(dim=1).amax(dim=1, keepdim=True)
    tolerance = ZERO_TOLERANCE * output_scale(affine)[:, None]
    return outputs.amax(dim=1) >= floor - tolerance


def argmax_cells(polys: Polygons, affine: torch.Tensor, candidates: torch.Tensor, edge_tag: int | None = None):
    """Split each polygon into the cells where each candidate function wins.

    Parameters
    ----------
    polys : Polygons
    affine : torch.Tensor (P, K, 3)
        The K functions on each polygon.
    candidates : torch.Tensor (P, K) bool
        Functions that may win somewhere in the polygon (see :func:`candidate_classes`).
    edge_tag : int, optional
        Tag for the new edges between cells; by default each is tagged with the index
        of the function on its other side.

    Returns
    -------
    cells : Polygons
        The non-empty cells.  Ties go to the lower index.
    source : torch.Tensor
        Index of the polygon each cell lies in.
    owner : torch.Tensor
        The function winning on each cell.
    """
    n_functions = affine.shape[1]
    # Each polygon's candidates first (sorted), padded with n_functions.
    ranked = torch.where(candidates, torch.arange(n_functions, device=affine.device), n_functions).sort(dim=1).values
    ranked = ranked[:, : int(candidates.sum(dim=1).max()) if len(polys) else 0]
    source, owner = candidates.nonzero(as_tuple=True)
    cells = polys.take(source)
    for step in range(ranked.shape[1]):
        other = ranked[source, step]
        skip = (other == owner) | (other == n_functions)
        other = torch.where(skip, owner, other)
        diff = affine[source, owner] - affine[source, other]
        values = line_values(cells.verts, diff[:, 0], diff[:, 1], diff[:, 2])
        identical = (values == 0).all(dim=1)  # f_owner == f_other on the whole cell: lower index wins
        keep_all = torch.where(skip | (owner < other), 1.0, -1.0).to(values)
        values = torch.where((identical | skip)[:, None], keep_all[:, None], values)
        cells = clip(cells, values, other if edge_tag is None else edge_tag)
        alive = (cells.counts >= 3).nonzero().squeeze(1)
        cells, source, owner = cells.take(alive), source[alive], owner[alive]
    return cells, source, owner
