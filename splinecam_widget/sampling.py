"""Exact samples on the decision boundary, and the local region density around data points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .errors import SplineCamError
from .slice import Slice, as_float64_array

PLACES = ("all", "inside", "outside")


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
    if not (isinstance(n, (int, np.integer)) and n >= 0):
        raise SplineCamError(f"n must be a non-negative integer, got {n!r}")
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


def disk(radius: float, sides: int = 64) -> np.ndarray:
    """A regular polygon with ``sides`` vertices inscribed in the circle of ``radius``."""
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def local_density(model, points, radius: float, n_slices: int = 1, seed=None, sides: int = 64, **partition_options) -> np.ndarray:
    """Regions in a disk of ``radius`` around each point, averaged over random slices through it.

    The neighbourhood complexity of a network at its data points: each slice is the
    plane through the point spanned by two random orthonormal directions; the disk
    is a regular ``sides``-gon of circumradius ``radius`` centred on the point.

    Parameters
    ----------
    model : torch.nn.Module
    points : array-like or torch.Tensor, shape (M, *input_shape)
    radius : float
    n_slices : int
        Random planes per point; the counts are averaged.
    seed : int, optional
    **partition_options
        Passed to :func:`~splinecam_widget.partition` (``device``, ``max_regions``, ...).

    Returns
    -------
    ndarray (M,)
        Mean region count per point.
    """
    from .engine import partition

    data = as_float64_array(points, "points")
    if data.ndim < 2:
        raise SplineCamError(f"points must have shape (M, *input_shape), got {data.shape}")
    if not (np.isfinite(radius) and radius > 0):
        raise SplineCamError(f"radius must be a positive number, got {radius!r}")
    rng = np.random.default_rng(seed)
    flat = data.reshape(len(data), -1)
    domain = disk(radius, sides)
    counts = np.zeros(len(data))
    for i, point in enumerate(flat):
        for _ in range(n_slices):
            basis, _ = np.linalg.qr(rng.normal(size=(flat.shape[1], 2)))
            plane = Slice(point, basis, domain, input_shape=data.shape[1:])
            counts[i] += partition(model, plane, **partition_options).n_regions
    return counts / n_slices
