"""Pictures of model inputs and input-space slopes, when the inputs are images.

An input is shown as an image when its shape is ``(H, W)``, ``(1, H, W)`` or
``(3, H, W)``, or when the user names such an ``image_shape`` for flat inputs
(e.g. ``(8, 8)`` for the 64 pixels of scikit-learn's digits).
"""

from __future__ import annotations

import numpy as np

from ..colors import DIVERGING, colormap
from ..errors import SplineCamError


def image_layout(input_shape, image_shape=None) -> tuple[int, int, int] | None:
    """``(C, H, W)`` of an input of ``input_shape`` seen as an image, or None when it is not one.

    Raises
    ------
    SplineCamError
        If ``image_shape`` is given but is not an image shape of the same size.
    """
    input_shape = tuple(int(n) for n in input_shape)
    if image_shape is not None:
        shape = tuple(int(n) for n in image_shape)
        if (
            int(np.prod(shape)) != int(np.prod(input_shape))
            or len(shape) not in (2, 3)
            or (len(shape) == 3 and shape[0] not in (1, 3))
        ):
            raise SplineCamError(
                f"image_shape={tuple(image_shape)!r} must be (H, W), (1, H, W) or (3, H, W) "
                f"with as many values as one input of shape {input_shape}"
            )
    else:
        shape = input_shape
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or shape[0] not in (1, 3) or min(shape[1:]) < 2:
        return None
    return shape


def input_images(x: np.ndarray, layout: tuple[int, int, int]) -> np.ndarray:
    """``(n, H, W, 4)`` uint8 RGBA pictures of inputs ``x`` (n, ...), on one grey or colour scale.

    All ``n`` images share one value range (their joint minimum and maximum), so that
    their brightness can be compared.
    """
    planes = np.asarray(x, dtype=np.float64).reshape(-1, *layout)
    lo, hi = float(planes.min()), float(planes.max())
    t = (planes - lo) / (hi - lo) if hi > lo else np.full_like(planes, 0.5)
    rgb = np.rint(np.moveaxis(t, 1, -1) * 255).astype(np.uint8)
    if layout[0] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    return _with_alpha(rgb)


def slope_images(slope: np.ndarray, layout: tuple[int, int, int] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Images of a region's input-space slope, one per output, when inputs are images.

    Parameters
    ----------
    slope : numpy.ndarray
        ``(K, *input_shape)`` gradient of each output with respect to the input.
    layout : (C, H, W) or None
        The inputs' :func:`image_layout`; None when they are not images.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or None
        ``(K, H, W, 4)`` uint8 RGBA images and the ``(K,)`` |slope| that maps to full
        colour (grey inputs: diverging blue-white-red; colour inputs: signed RGB
        around grey); None when the inputs are not images.
    """
    if layout is None:
        return None
    planes = np.asarray(slope, dtype=np.float64).reshape(-1, *layout)
    K, C, H, W = planes.shape
    scales = np.abs(planes).reshape(K, -1).max(axis=1)
    t = planes / np.where(scales > 0, scales, 1.0)[:, None, None, None]
    if C == 1:
        rgb = colormap((t[:, 0].ravel() + 1) / 2, DIVERGING).reshape(K, H, W, 3)
    else:
        rgb = np.rint((np.moveaxis(t, 1, -1) + 1) / 2 * 255).astype(np.uint8)
    return _with_alpha(rgb), scales


def _with_alpha(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, np.full((*rgb.shape[:-1], 1), 255, np.uint8)], axis=-1)
