"""The picture frame shared by the Python renderers: the domain's bounding box on a pixel grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """The domain's bounding box mapped to a picture ``width`` pixels wide (u right, v up).

    Picture coordinates run x right and y down from the top-left corner, in pixels.
    """

    low: np.ndarray
    high: np.ndarray
    per_unit: float
    width: int
    height: int

    @classmethod
    def around(cls, domain: np.ndarray, width: int) -> Frame:
        """The frame of a domain polygon ``(n, 2)``; the height follows its aspect ratio."""
        low, high = domain.min(axis=0), domain.max(axis=0)
        width = max(1, int(round(width)))
        per_unit = width / max(high[0] - low[0], 1e-300)
        return cls(low, high, per_unit, width, max(1, int(round((high[1] - low[1]) * per_unit))))

    def to_picture(self, uv) -> np.ndarray:
        """Plane points ``(..., 2)`` -> picture coordinates ``(..., 2)``."""
        uv = np.asarray(uv, dtype=np.float64)
        return np.stack(
            [(uv[..., 0] - self.low[0]) * self.per_unit, (self.high[1] - uv[..., 1]) * self.per_unit], axis=-1
        )

    def pixel_centres(self) -> np.ndarray:
        """Plane coordinates ``(height * width, 2)`` of every pixel centre, row by row."""
        xs = self.low[0] + (np.arange(self.width) + 0.5) / self.per_unit
        ys = self.high[1] - (np.arange(self.height) + 0.5) / self.per_unit
        return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
