"""Working frames: every slice is computed in coordinates of its own window (docs/design.md, Tolerances).

The engine never computes in the plane coordinates the user chose, whose origin may lie
anywhere relative to the window: far away (a deep zoom into a corner of the plane, a
window 1e9 from the origin), or exactly where many lines meet (bias-free networks).  It
computes in *local* coordinates ``local = (uv - centre) / scale``:

- ``centre`` is the domain's bounding-box centre rounded to a grid of ``scale / 2**10``,
  so the network is evaluated at the window, not at a far-away origin, and a window
  centred on a point with few significant bits (a vertex of a constructed arrangement)
  is centred on that point exactly;
- ``scale`` is the largest power of two at or below the domain's largest half-extent, so
  local coordinates lie within [-2, 2] (within [-1, 1] for a window of power-of-two size)
  and scaling is exact.

In local coordinates one relative tolerance serves at every zoom and position: a line
``a*u + b*v + c`` is zero at a vertex within ``ZERO_TOLERANCE * (|a| + |b| + |c|)``, the
size of its terms over the window (``engine/polygons.py``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

CENTRE_GRID = 2.0**-10
"""The frame's centre is a multiple of ``CENTRE_GRID * scale``."""


class Frame(NamedTuple):  # a tuple: built on every drag frame, where a frozen dataclass's init costs
    """Local coordinates of a window: ``local = (uv - centre) / scale``.

    Attributes
    ----------
    centre : ndarray (2,) float64
        Plane point at local (0, 0).
    scale : float
        A power of two: the plane length of one local unit.
    """

    centre: np.ndarray
    scale: float

    @classmethod
    def around(cls, domain: np.ndarray) -> Frame:
        """The frame of a domain polygon ``(n, 2)`` (see the module docstring)."""
        us, vs = domain.T.tolist()  # Python floats: a drag pays for this on every frame
        low_u, high_u, low_v, high_v = min(us), max(us), min(vs), max(vs)
        half = max(high_u - low_u, high_v - low_v) / 2
        scale = math.ldexp(1.0, math.frexp(half)[1] - 1) if half > 0 else 1.0  # scale <= half < 2 * scale
        step = scale * CENTRE_GRID
        centre = np.array([round((low_u + high_u) / 2 / step) * step, round((low_v + high_v) / 2 / step) * step])
        return cls(centre, scale)

    @classmethod
    def identity(cls) -> Frame:
        """Local coordinates equal to plane coordinates."""
        return cls(np.zeros(2), 1.0)

    def to_local(self, uv: np.ndarray) -> np.ndarray:
        """Plane points ``(..., 2)`` in local coordinates."""
        return (np.asarray(uv, dtype=np.float64) - self.centre) / self.scale

    def to_plane(self, local: np.ndarray) -> np.ndarray:
        """Local points ``(..., 2)`` in plane coordinates."""
        return self.centre + np.asarray(local, dtype=np.float64) * self.scale

    def maps_to_plane(self, maps: np.ndarray) -> np.ndarray:
        """Affine maps ``(..., 3)`` (d/du, d/dv, offset) of local coordinates as maps of plane coordinates."""
        slopes = maps[..., :2] / self.scale
        offset = maps[..., 2] - slopes[..., 0] * self.centre[0] - slopes[..., 1] * self.centre[1]
        return np.concatenate([slopes, offset[..., None]], axis=-1)

    def working_plane(self, plane) -> WorkingPlane:
        """The plane of a :class:`~splinecam_widget.Slice` in local coordinates: what the engine cuts."""
        # a window centred on the plane's origin (as Slice.from_anchors makes it) or of unit scale keeps
        # the slice's own arrays: the engine only reads them, and a drag pays for every array operation
        centred = not self.centre.any()
        origin = plane.origin if centred else plane.origin + plane.basis @ self.centre
        basis = plane.basis if self.scale == 1.0 else plane.basis * self.scale
        domain = plane.domain if centred else plane.domain - self.centre
        domain = domain if self.scale == 1.0 else domain / self.scale
        return WorkingPlane(origin, basis, domain, plane.input_shape)


class WorkingPlane(NamedTuple):
    """A slice in local coordinates: input ``origin + u * basis[:, 0] + v * basis[:, 1]`` (basis scaled, not unit)."""

    origin: np.ndarray
    basis: np.ndarray
    domain: np.ndarray
    input_shape: tuple
