"""Batched convex polygons and the clipping primitive (docs/design.md, fact 2).

Polygons live in padded tensors: ``verts (P, V, 2)`` with ``counts (P,)`` real
vertices in counter-clockwise order; padding slots repeat vertex 0, so min/max
reductions and line tests can ignore the counts.  ``tags (P, V)`` label the edge
leaving each vertex (which layer or class made it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# A line's value at a vertex within this fraction of the line's terms over the window counts as
# zero: far above float64 rounding (~1e-16), far below any real region's size.  The engine works
# in the window's local coordinates (splinecam_widget/frame.py), where |u|, |v| <= ~1, so the
# terms of ``a*u + b*v + c`` over the window are ``|a| + |b| + |c|`` wherever the plane's origin is.
ZERO_TOLERANCE = 1e-11


@dataclass
class Polygons:
    """A batch of convex polygons (padded; see module docstring)."""

    verts: torch.Tensor
    counts: torch.Tensor
    tags: torch.Tensor

    def __len__(self) -> int:
        return self.verts.shape[0]

    def take(self, index: torch.Tensor) -> Polygons:
        """The polygons at ``index`` (a new batch)."""
        return Polygons(self.verts[index], self.counts[index], self.tags[index])

    def bounding_boxes(self) -> torch.Tensor:
        """``(P, 4)``: centre u, centre v, half-width, half-height."""
        low = self.verts.amin(dim=1)
        high = self.verts.amax(dim=1)
        return torch.cat([(low + high) / 2, (high - low) / 2], dim=1)

    def flat(self):
        """The polygons as flat numpy arrays ``(vertices (N, 2), offsets (P + 1,), tags (N,))``."""
        return tuple(t.cpu().numpy() for t in flatten(self))

    @staticmethod
    def join(batches: list[Polygons]) -> Polygons:
        """The batches in one (see :func:`concat`)."""
        return concat(*batches)

    def mean_points(self) -> torch.Tensor:
        """``(P, 2)`` vertex averages: interior points of the (non-degenerate) polygons."""
        slots = torch.arange(self.verts.shape[1], device=self.verts.device)
        valid = (slots < self.counts[:, None]).unsqueeze(-1)
        return (self.verts * valid).sum(dim=1) / self.counts[:, None]


def line_values(verts: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Values of the lines ``a*u + b*v + c`` at each polygon's vertices, snapped to 0 near the line.

    ``a, b, c`` have shape ``(P,)``; the result ``(P, V)``; the vertices are in local
    coordinates (within about [-1, 1]).  A value counts as zero within
    :data:`ZERO_TOLERANCE` of ``|a| + |b| + |c|``, the line's terms over the window: the
    same at any zoom, any position of the window and any scale of weights, and never
    vanishing where lines meet (at the origin of local coordinates too).
    """
    u, v = verts[..., 0], verts[..., 1]
    a, b, c = a[:, None], b[:, None], c[:, None]
    values = a * u + b * v + c
    scale = a.abs() + b.abs() + c.abs()
    return torch.where(values.abs() <= ZERO_TOLERANCE * scale, torch.zeros_like(values), values)


def clip(polys: Polygons, values: torch.Tensor, new_tag) -> Polygons:
    """Keep the part of each polygon where ``values >= 0``.

    Parameters
    ----------
    polys : Polygons
    values : torch.Tensor, shape (P, V)
        The cutting line at each vertex (from :func:`line_values`).
    new_tag : int or torch.Tensor (P,)
        Tag for edges lying on the line (both ends at value 0).

    Returns
    -------
    Polygons
        The clipped polygons, convex and counter-clockwise; a polygon entirely
        on the negative side comes back with fewer than 3 vertices.
    """
    edges = EdgeCut(polys, values)
    return edges.assemble(edges.keep(values >= 0), new_tag)


def split(polys: Polygons, values: torch.Tensor, new_tag) -> Polygons:
    """Both halves of each polygon cut by a line: ``2P`` polygons, the ``values >= 0`` halves first.

    Same arguments as :func:`clip`; one pass instead of two clips.
    """
    edges = EdgeCut(polys, values)
    keep = torch.cat([edges.keep(values >= 0), edges.keep(values <= 0)])
    tag = torch.as_tensor(new_tag)
    return edges.assemble(keep, tag.repeat(2) if tag.ndim else tag, period=len(polys))


class EdgeCut:
    """What a line does to each polygon edge: the candidate output points, interleaved.

    Slot ``2j`` holds vertex ``j``, slot ``2j+1`` the crossing point on edge ``j -> j+1``.
    """

    def __init__(self, polys: Polygons, values: torch.Tensor):
        verts, counts = polys.verts, polys.counts
        n_polys, n_slots = values.shape
        slots = torch.arange(n_slots, device=values.device)
        self.valid = slots < counts[:, None]
        following = torch.where(slots + 1 < counts[:, None], slots + 1, 0)
        next_values = values.gather(1, following)
        next_verts = verts.gather(1, following.unsqueeze(-1).expand(-1, -1, 2))
        self.crossing = self.valid & (((values > 0) & (next_values < 0)) | ((values < 0) & (next_values > 0)))
        t = torch.where(self.crossing, values / torch.where(self.crossing, values - next_values, 1.0), 0.0)
        crossing_points = verts + t.unsqueeze(-1) * (next_verts - verts)
        self.points = torch.stack([verts, crossing_points], dim=2).reshape(n_polys, 2 * n_slots, 2)
        self.on_line = torch.stack([values == 0, torch.ones_like(self.crossing)], dim=2).reshape(n_polys, 2 * n_slots)
        self.old_tags = polys.tags.repeat_interleave(2, dim=1)

    def keep(self, side: torch.Tensor) -> torch.Tensor:
        """Output-slot mask for the vertices on ``side`` and all crossing points."""
        return torch.stack([self.valid & side, self.crossing], dim=2).flatten(1)

    def assemble(self, mask: torch.Tensor, new_tag, period: int | None = None) -> Polygons:
        """Compact the kept slots into padded polygons; edges between two on-line points get ``new_tag``.

        ``mask`` has a row per output polygon; with ``period``, output row ``r`` takes its
        points from the cut of polygon ``r % period`` (both halves of :func:`split` from one cut).
        """
        n_polys, device = mask.shape[0], mask.device
        out_counts = mask.sum(dim=1)
        width = max(int(out_counts.max()), 1) if n_polys else 1
        rows, source = mask.nonzero(as_tuple=True)
        position = mask.cumsum(dim=1)[rows, source] - 1
        origin = rows if period is None else rows % period
        out_verts = torch.zeros(n_polys, width, 2, dtype=self.points.dtype, device=device)
        out_verts[rows, position] = self.points[origin, source]
        out_on_line = torch.zeros(n_polys, width, dtype=torch.bool, device=device)
        out_on_line[rows, position] = self.on_line[origin, source]
        out_tags = torch.zeros(n_polys, width, dtype=self.old_tags.dtype, device=device)
        out_tags[rows, position] = self.old_tags[origin, source]

        out_slots = torch.arange(width, device=device)
        out_valid = out_slots < out_counts[:, None]
        out_following = torch.where(out_slots + 1 < out_counts[:, None], out_slots + 1, 0)
        on_cut = out_valid & out_on_line & out_on_line.gather(1, out_following)
        new_tag = torch.as_tensor(new_tag, dtype=out_tags.dtype, device=device)
        out_tags = torch.where(on_cut, new_tag.reshape(-1, 1) if new_tag.ndim else new_tag, out_tags)
        # Padding repeats vertex 0 (see module docstring).
        out_verts = torch.where(out_valid.unsqueeze(-1), out_verts, out_verts[:, :1])
        return Polygons(out_verts, out_counts, out_tags)


def concat(*batches: Polygons) -> Polygons:
    """The batches in one (narrower ones padded to the widest by repeating vertex 0)."""
    width = max(b.verts.shape[1] for b in batches)
    parts = [pad_to(b, width) for b in batches]
    return Polygons(
        torch.cat([p.verts for p in parts]), torch.cat([p.counts for p in parts]), torch.cat([p.tags for p in parts])
    )


def pad_to(polys: Polygons, width: int) -> Polygons:
    """The batch padded to ``width`` vertex slots (padding repeats vertex 0)."""
    extra = width - polys.verts.shape[1]
    if extra <= 0:
        return polys
    verts = torch.cat([polys.verts, polys.verts[:, :1].expand(-1, extra, -1)], dim=1)
    tags = torch.cat([polys.tags, polys.tags[:, :1].expand(-1, extra)], dim=1)
    return Polygons(verts, polys.counts, tags)


def flatten(polys: Polygons):
    """Padded polygons as flat ``(vertices (N, 2), offsets (P + 1,), tags (N,))``."""
    slots = torch.arange(polys.verts.shape[1], device=polys.verts.device)
    valid = slots < polys.counts[:, None]
    offsets = torch.zeros(len(polys) + 1, dtype=torch.int64, device=polys.verts.device)
    offsets[1:] = polys.counts.cumsum(0)
    return polys.verts[valid], offsets, polys.tags[valid]


def from_flat(vertices: torch.Tensor, offsets: torch.Tensor) -> Polygons:
    """Padded polygons from flat ``vertices (N, 2)`` and ``offsets (P + 1,)``: the inverse of :func:`flatten`.

    Tags are -1.
    """
    counts = offsets[1:] - offsets[:-1]
    width = int(counts.max()) if len(counts) else 3
    slots = torch.arange(width, device=vertices.device)
    # padding slots repeat vertex 0, as everywhere else
    index = offsets[:-1, None] + torch.where(slots < counts[:, None], slots, 0)
    verts = vertices[index] if len(counts) else vertices.new_zeros(0, width, 2)
    return Polygons(verts, counts, torch.full(index.shape, -1, dtype=torch.int16, device=vertices.device))
