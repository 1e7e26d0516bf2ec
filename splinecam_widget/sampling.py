"""Exact samples on the decision boundary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .errors import SplineCamError
from .numbers import is_whole

PLACES = ("all", "inside", "outside")

MAX_SAMPLE_BYTES = 2 * 2**30
"""Largest memory one call of :func:`sample_boundary` may return (its inputs above all)."""


@dataclass
class BoundarySamples:
    """Points on the decision boundary.

    Attributes
    ----------
    inputs : ndarray (n, *input_shape)
        The points in input space.
    uv : ndarray (n, 2)
        Their slice coordinates.
    classes : ndarray (n, 2)
        The two classes (or below / above a level) on either side of each point.
    """

    inputs: np.ndarray
    uv: np.ndarray
    classes: np.ndarray


def boundary_pieces(partition, where: str):
    """Boundary segments ``(S, 2, 2)`` and their class pairs, kept inside / outside the anchors' triangle."""
    segments, classes = partition.boundary, partition.boundary_classes
    if where == "all" or len(segments) == 0:
        return segments, classes
    if partition.slice.anchors_2d is None:
        raise SplineCamError("where='inside' or 'outside' needs a slice built from anchors (Slice.from_anchors)")
    triangle = shapely.Polygon(partition.slice.anchors_2d)
    lines = shapely.linestrings(segments)
    parts = shapely.intersection(lines, triangle) if where == "inside" else shapely.difference(lines, triangle)
    pieces, index = shapely.get_parts(parts, return_index=True)
    # Keep non-empty line pieces (a segment can also graze the triangle at a single point).
    keep = (shapely.get_type_id(pieces) == 1) & ~shapely.is_empty(pieces)
    pieces, index = pieces[keep], index[keep]
    coords, owner = shapely.get_coordinates(pieces, return_index=True)
    ends = np.arange(len(pieces))
    first, last = np.searchsorted(owner, ends), np.searchsorted(owner, ends, side="right") - 1
    return np.stack([coords[first], coords[last]], axis=1), classes[index]


def sample_boundary(partition, n: int, seed=None, where: str = "all") -> BoundarySamples:
    """``n`` points on the decision boundary, uniform by length.

    Parameters
    ----------
    partition : Partition
    n : int
        Number of points.
    seed : int or numpy.random.Generator, optional
    where : {"all", "inside", "outside"}
        Sample the whole boundary, only inside the anchors' triangle (between the data
        points), or only outside it.
    """
    if where not in PLACES:
        raise SplineCamError(f"where must be one of {PLACES}, got {where!r}")
    if not (is_whole(n) and n >= 0):
        raise SplineCamError(f"n must be a non-negative integer, got {n!r}")
    needed = int(n) * (partition.slice.dim + 4) * 8  # the inputs, plane points and classes returned
    if needed > MAX_SAMPLE_BYTES:
        raise SplineCamError(
            f"n={n} boundary samples of {partition.slice.dim} input values each would take "
            f"{needed / 2**30:.3g} GiB; ask for at most {MAX_SAMPLE_BYTES // ((partition.slice.dim + 4) * 8):,} "
            "at a time"
        )
    segments, classes = boundary_pieces(partition, where)
    lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1) if len(segments) else np.zeros(0)
    if n and lengths.sum() <= 0:
        place = "" if where == "all" else f" {where} the anchors' triangle"
        raise SplineCamError(f"the decision boundary has no length{place} in this slice")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(segments), size=n, p=lengths / lengths.sum()) if n else np.zeros(0, int)
    t = rng.uniform(size=(n, 1))
    uv = segments[chosen, 0] + t * (segments[chosen, 1] - segments[chosen, 0])
    return BoundarySamples(partition.slice.to_input(uv), uv, classes[chosen])
