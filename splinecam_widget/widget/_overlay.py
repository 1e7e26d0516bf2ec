"""Dataset points near the slice, projected onto it (the widget's data overlay).

A point ``x`` is drawn at its orthogonal projection ``(u, v) = B^T (x - o)`` on the
plane (origin ``o``, orthonormal basis ``B``) when its distance to the plane,
``|x - o - B (u, v)|``, is at most ``max_distance``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..colors import CATEGORICAL, VIRIDIS, colormap, hex_to_rgb, rgb_to_hex
from ..errors import SplineCamError
from ..slice import Slice
from ._wire import little_endian_buffer

_CHUNK_ROWS = 4096


class DataOverlay:
    """Inputs ``X`` with labels ``y``, ready to be projected onto any slice.

    Parameters
    ----------
    X : array-like or torch.Tensor, shape (N, *input_shape)
        Data points in the model's input space (kept as given; never modified).
    y : array-like, shape (N,), optional
        Labels (integers or strings).  Integer labels ``k`` take the colour of class
        ``k`` in the ``"class"`` colour mode.
    input_shape : tuple of int
        Shape of one model input, to check ``X`` against.
    max_distance : float, optional
        Only points at most this far from the plane are shown (default: all).
    max_points : int
        At most this many points are shown: the nearest to the plane.
    """

    def __init__(
        self, X, y, input_shape, max_distance=None, max_points: int = 5000, values=None, value_title: str = ""
    ):
        data = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
        if not np.issubdtype(data.dtype, np.number) or np.issubdtype(data.dtype, np.complexfloating):
            raise SplineCamError(f"X must be an array of real numbers, got dtype {data.dtype}")
        if data.ndim < 1 or tuple(data.shape[1:]) != tuple(input_shape):
            raise SplineCamError(
                f"X must have shape (N, *input_shape) = (N, {', '.join(map(str, input_shape))}), got {data.shape}"
            )
        if len(data) == 0:
            raise SplineCamError("X holds no points")
        if not np.all(np.isfinite(data)):
            raise SplineCamError("X contains NaN or infinite values")
        if max_distance is not None and not (np.isfinite(max_distance) and max_distance >= 0):
            raise SplineCamError(f"max_distance must be a non-negative number or None, got {max_distance!r}")
        if int(max_points) < 1:
            raise SplineCamError(f"max_points must be a positive integer, got {max_points!r}")
        self.X = data.reshape(len(data), -1)
        self.max_distance = None if max_distance is None else float(max_distance)
        self.max_points = int(max_points)
        self.label_index, self.items = _label_items(y, len(data))
        self.values, self.value_title = None, value_title
        if values is not None:
            values = np.asarray(values, dtype=np.float64).reshape(-1)
            if values.shape != (len(data),) or not np.all(np.isfinite(values)):
                raise SplineCamError(f"values must be {len(data)} finite numbers, one per point")
            self.values = values

    def project(self, plane: Slice) -> tuple[np.ndarray, np.ndarray]:
        """Plane coordinates ``(N, 2)`` and distances to the plane ``(N,)`` of every point (float64)."""
        basis = torch.from_numpy(plane.basis)
        origin = torch.from_numpy(plane.origin)
        uv = np.empty((len(self.X), 2))
        distance = np.empty(len(self.X))
        for start in range(0, len(self.X), _CHUNK_ROWS):
            rows = torch.from_numpy(np.asarray(self.X[start : start + _CHUNK_ROWS], dtype=np.float64)) - origin
            coords = rows @ basis
            uv[start : start + len(rows)] = coords.numpy()
            distance[start : start + len(rows)] = torch.linalg.vector_norm(rows - coords @ basis.T, dim=1).numpy()
        return uv, distance

    def encode(self, plane: Slice, frame: int) -> dict:
        """The ``data`` trait for ``plane`` (plane frame id ``frame``).

        Shown are the points within ``max_distance``, at most ``max_points`` of them,
        nearest first: ``uv`` float64 ``(n, 2)`` absolute plane coordinates,
        ``distance`` float32 ``(n,)``, ``label`` int32 ``(n,)`` index into ``items``
        (-1: unlabelled), ``row`` int32 ``(n,)`` row of the point in ``X``.
        """
        uv, distance = self.project(plane)
        rows = np.argsort(distance, kind="stable")
        if self.max_distance is not None:
            rows = rows[distance[rows] <= self.max_distance]
        rows = rows[: self.max_points]
        return {
            "frame": int(frame),
            "n": int(len(rows)),
            "uv": little_endian_buffer(uv[rows], "<f8"),
            "distance": little_endian_buffer(distance[rows], "<f4"),
            "label": little_endian_buffer(self.label_index[rows], "<i4"),
            "row": little_endian_buffer(rows, "<i4"),
            "items": self.items,
            "max_distance": self.max_distance,
            **self._value_colors(rows),
        }

    def _value_colors(self, rows: np.ndarray) -> dict:
        """Per-point ``value`` float32 and ``color`` RGBA of the shown rows, with the colour bar's legend."""
        if self.values is None:
            return {}
        lo, hi = float(self.values.min()), float(self.values.max())
        t = (self.values[rows] - lo) / (hi - lo) if hi > lo else np.full(len(rows), 0.5)
        rgba = np.concatenate([colormap(t, VIRIDIS), np.full((len(rows), 1), 255, np.uint8)], axis=1)
        legend = {"kind": "colorbar", "title": self.value_title, "colors": list(VIRIDIS), "min": lo, "max": hi}
        return {
            "value": little_endian_buffer(self.values[rows], "<f4"),
            "color": little_endian_buffer(rgba, np.uint8),
            "legend": legend,
        }


def _label_items(y, n: int) -> tuple[np.ndarray, list[dict]]:
    """Index of each point's label into the legend items, and the items (label text and colour)."""
    if y is None:
        return np.full(n, -1, np.int64), []
    labels = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if labels.shape != (n,):
        raise SplineCamError(f"y must have shape (N,) = ({n},), one label per point, got {labels.shape}")
    values, index = np.unique(labels, return_inverse=True)
    palette = hex_to_rgb(CATEGORICAL)
    integer = np.issubdtype(values.dtype, np.integer) and values.min() >= 0
    colors = [palette[int(v) % len(palette)] if integer else palette[k % len(palette)] for k, v in enumerate(values)]
    items = [{"label": str(v), "color": rgb_to_hex(c)} for v, c in zip(values.tolist(), colors)]
    return index.reshape(-1), items
