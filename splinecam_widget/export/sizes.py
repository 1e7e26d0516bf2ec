"""Picture sizes: one check for widths and heights in pixels, one for scales, wherever they are given.

The PNG and SVG exports, the bokeh and HTML pages, the widget's ``height`` (set from
Python or sent by a front end), the toolbar's downloads and the command line all check
their sizes here, so one value gets one verdict and one message everywhere.
"""

from __future__ import annotations

import math

from ..errors import SplineCamError
from ..numbers import is_real, is_whole

MAX_PIXELS_ACROSS = 20_000
"""The widest (or tallest) picture or widget, in pixels: browsers struggle beyond."""


def check_pixels(value, name: str = "width", smallest: int = 1, largest: int = MAX_PIXELS_ACROSS) -> int:
    """``value`` as a whole number of pixels in ``smallest .. largest``.

    Parameters
    ----------
    value : int
        A width or height in pixels; numpy integers are accepted, floats (even ``2.0``),
        bools and strings are not.
    name : str
        How the error names the value (``"width"``, ``"height"``, ``"--width"``).
    smallest, largest : int
        The accepted range.

    Returns
    -------
    int

    Raises
    ------
    SplineCamError
        If ``value`` is not an integer in the range.
    """
    if not (is_whole(value) and smallest <= value <= largest):
        raise SplineCamError(
            f"{name} must be between {smallest:,} and {largest:,} pixels (a whole number), got {value!r}"
        )
    return int(value)


def check_scale(value, name: str = "scale") -> float:
    """``value`` (pixels per point) as a positive finite float.

    Parameters
    ----------
    value : float
        Pixels per point; ints and numpy numbers are accepted, bools and strings are not.
    name : str
        How the error names the value (``"scale"``, ``"--scale"``).

    Returns
    -------
    float

    Raises
    ------
    SplineCamError
        If ``value`` is not a positive finite number.
    """
    if not (is_real(value) and math.isfinite(value) and value > 0):
        raise SplineCamError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_picture(width, scale, names: tuple[str, str] = ("width", "scale")) -> tuple[int, float]:
    """``width`` (points) and ``scale`` (pixels per point) of a raster picture, at least one pixel wide.

    Parameters
    ----------
    width : int
        Checked by :func:`check_pixels`.
    scale : float
        Checked by :func:`check_scale`.
    names : (str, str)
        How errors name the two values (``("--width", "--scale")`` on the command line).

    Returns
    -------
    (int, float)

    Raises
    ------
    SplineCamError
        As :func:`check_pixels` and :func:`check_scale`, and when ``width * scale`` is under one pixel.
    """
    width, scale = check_pixels(width, names[0]), check_scale(scale, names[1])
    if width * scale < 1:
        raise SplineCamError(
            f"{names[0]} x {names[1]} = {width * scale:.3g} pixels: a picture needs at least one pixel; "
            f"raise {names[0]} or {names[1]}"
        )
    return width, scale
