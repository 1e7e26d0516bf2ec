"""Local region density: how many linear regions a network has near each data point.

It drives the engine once per point and slice, so it lives here, apart from the
analyses of one partition (``stats.py``, ``sampling.py``).
"""

from __future__ import annotations

import numpy as np

from .engine.compute import partition
from .errors import SplineCamError
from .slice import Slice, as_float64_array


def disk(radius: float, sides: int = 64) -> np.ndarray:
    """A regular polygon with ``sides`` vertices inscribed in the circle of ``radius``."""
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def local_density(
    model, points, radius: float, n_slices: int = 1, seed=None, sides: int = 64, **partition_options
) -> np.ndarray:
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
