"""Convex polygons as flat arrays: the layout of the compiled path.

Region ``p`` owns ``verts[offsets[p]:offsets[p + 1]]`` (counter-clockwise, not closed)
and the tags of the edges leaving those vertices, as in a :class:`~splinecam_widget.Partition`.
:class:`FlatPolygons` offers what the layer loop asks of a batch of polygons (its length,
a run of consecutive polygons, joining batches, the flat arrays), like the padded torch
:class:`~.polygons.Polygons` of the reference path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FlatPolygons:
    """A batch of convex polygons in flat numpy arrays.

    Attributes
    ----------
    verts : ndarray (N, 2) float64
    offsets : ndarray (P + 1,) int64
    tags : ndarray (N,) int16
        Tag of the edge leaving each vertex (the layer or class that made it; -1: the domain).
    """

    verts: np.ndarray
    offsets: np.ndarray
    tags: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_counts(cls, verts: np.ndarray, counts: np.ndarray, tags: np.ndarray) -> FlatPolygons:
        """Polygons of ``counts`` vertices each, in order."""
        offsets = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(verts, offsets, tags)

    def take(self, rows: slice) -> FlatPolygons:
        """The polygons ``rows`` (a run of consecutive polygons, as a view)."""
        start, stop, _ = rows.indices(len(self))
        stop = max(start, stop)
        first, last = self.offsets[start], self.offsets[stop]
        return FlatPolygons(self.verts[first:last], self.offsets[start : stop + 1] - first, self.tags[first:last])

    def flat(self):
        """``(verts, offsets, tags)``."""
        return self.verts, self.offsets, self.tags

    @staticmethod
    def join(batches: list[FlatPolygons]) -> FlatPolygons:
        """The batches in one, in order."""
        if len(batches) == 1:
            return batches[0]
        counts = np.concatenate([np.diff(b.offsets) for b in batches])
        return FlatPolygons.from_counts(
            np.concatenate([b.verts for b in batches]), counts, np.concatenate([b.tags for b in batches])
        )
