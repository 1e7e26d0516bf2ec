"""PNG pictures of a partition rendered in Python (no browser): exact point location per pixel."""

from __future__ import annotations

import struct
import zlib

import numpy as np

from ..colors import class_palette, classes_at, region_colors
from ..errors import SplineCamError
from ..files import write_bytes
from .edges import edge_colors, edge_segments
from .frame import Frame
from .legend import draw_legend, legend_layout
from .sizes import check_picture

MAX_PIXELS = 40_000_000
"""Pixels of the largest picture: every pixel is located exactly (about 40 bytes each while rendering)."""

BACKGROUND = (255, 255, 255)
EDGE = np.array([51, 51, 51], dtype=np.float64)
EDGE_ALPHA = 0.6


def encode_png(image: np.ndarray) -> bytes:
    """``(H, W, 3)`` uint8 RGB as PNG bytes (8-bit truecolour, no filtering)."""
    height, width, _ = image.shape
    raw = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, width * 3)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def stamp_segments(image: np.ndarray, starts: np.ndarray, ends: np.ndarray, radius: float, color) -> None:
    """Draw thick segments (pixel coordinates) by stamping discs along them."""
    height, width, _ = image.shape
    offsets = np.arange(-int(np.ceil(radius)), int(np.ceil(radius)) + 1)
    dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
    disc = (dx**2 + dy**2) <= radius**2 + 0.25
    dx, dy = dx[disc], dy[disc]
    for start, end in zip(starts, ends):
        steps = max(2, int(np.ceil(np.linalg.norm(end - start) * 2)) + 1)
        t = np.linspace(0.0, 1.0, steps)[:, None]
        points = np.round(start + t * (end - start)).astype(np.int64)
        xs = (points[:, 0:1] + dx).reshape(-1)
        ys = (points[:, 1:2] + dy).reshape(-1)
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        image[ys[inside], xs[inside]] = color


def draw_segments(image: np.ndarray, starts: np.ndarray, ends: np.ndarray, colors: np.ndarray, radius: float) -> None:
    """Draw many thin segments (pixel coordinates), each in its own colour, later ones on top.

    Vectorised over segments (points every half pixel, widened by a disc of ``radius``),
    in chunks so memory stays small.
    """
    height, width, _ = image.shape
    reach = int(np.floor(radius))
    offsets = np.arange(-reach, reach + 1)
    dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
    disc = (dx**2 + dy**2) <= radius**2 + 0.25
    dx, dy = dx[disc], dy[disc]
    steps = np.maximum(2, np.ceil(np.linalg.norm(ends - starts, axis=1) * 2).astype(np.int64) + 1)
    chunk = max(1, 2_000_000 // (len(dx) * (int(steps.mean()) + 1 if len(steps) else 1)))  # points per chunk
    for lo in range(0, len(starts), chunk):
        n = steps[lo : lo + chunk]
        segment = np.repeat(np.arange(lo, lo + len(n)), n)
        t = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n - 1, n)
        points = np.round(starts[segment] + t[:, None] * (ends[segment] - starts[segment])).astype(np.int64)
        xs = (points[:, 0:1] + dx).reshape(-1)
        ys = (points[:, 1:2] + dy).reshape(-1)
        which = np.repeat(segment, len(dx))
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        image[ys[inside], xs[inside]] = colors[which[inside]]


def picture_frame(domain, width, scale) -> Frame:
    """The frame of a PNG ``width * scale`` pixels wide around ``domain``, after checking its size.

    Raises
    ------
    SplineCamError
        If ``width`` or ``scale`` is refused by :func:`~splinecam_widget.export.sizes.check_picture`,
        or the picture would have more than :data:`MAX_PIXELS` pixels.
    """
    width, scale = check_picture(width, scale)
    if width * scale > MAX_PIXELS:
        raise SplineCamError(f"width x scale = {width * scale:.3g} pixels wide is more than a picture can hold")
    frame = Frame.around(np.asarray(domain, dtype=np.float64), width * scale)
    pixels = frame.width * frame.height
    if pixels > MAX_PIXELS:
        raise SplineCamError(
            f"a picture of {frame.width:,} x {frame.height:,} pixels would need about {pixels * 40 / 2**30:.1f} GiB "
            f"to locate every pixel exactly; the limit is {MAX_PIXELS / 1e6:.0f} million pixels: lower width or scale"
        )
    return frame


def render_partition(
    partition,
    color_by: str = "slope",
    width: int = 800,
    scale: float = 1.0,
    edges: bool = True,
    boundary: bool = True,
    anchors: bool = True,
    value_range=None,
    legend: bool = True,
) -> np.ndarray:
    """Rasterise the partition: ``(H, W, 3)`` uint8, ``W = width * scale``.

    Each pixel takes the colour of the region holding its centre (exact point
    location) — in the ``"class"`` mode the class of the pixel itself, from its
    region's affine map; region edges darken the pixels where the region changes
    (in the ``"layer"`` mode they are drawn in the colour of the layer that made
    them); the decision boundary and the anchors are drawn on top.

    Parameters
    ----------
    partition : Partition
    color_by : str
        A colour mode of the widget (``"slope"``, ``"class"``, ``"output"``, ``"pattern"``, ``"layer"``).
    width : int
        Width of the picture in points; it is ``width * scale`` pixels wide, and as high
        as the domain's aspect ratio makes it (plus the legend).
    scale : float
        Pixels per point.
    edges, boundary, anchors : bool
        Draw region edges, the decision boundary, the anchors.
    value_range : (float, float), optional
        Values at the ends of the colour bar of the ``"slope"`` and ``"output"`` modes
        (see :func:`~splinecam_widget.colors.region_colors`).
    legend : bool
        Add the widget's legend (classes, levels or layers) or colour bar in a strip
        below the plot; the plot's pixels are the same either way.  The ``"pattern"``
        mode has no legend.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    """
    frame = picture_frame(partition.slice.domain, width, scale)
    pixels_wide, pixels_high = frame.width, frame.height
    grid = frame.pixel_centres()
    region = partition.region_at(grid).reshape(pixels_high, pixels_wide)

    image = np.empty((pixels_high, pixels_wide, 3), np.uint8)
    image[:] = BACKGROUND
    inside = region >= 0
    coloring = region_colors(partition, color_by, value_range=value_range)
    if color_by == "class" and not partition.is_partial:
        # The class of every pixel from its region's affine map: exact decision regions.
        cls = classes_at(partition, partition.outputs_at(grid[inside.reshape(-1)], region[inside]))
        palette = class_palette()
        image[inside] = palette[cls % len(palette)]
    else:
        image[inside] = coloring.fill[region[inside], :3]

    def picture(uv):  # pixel indices: pixel (i, j) covers [i, i+1) x [j, j+1) in picture coordinates
        return frame.to_picture(uv) - 0.5

    if edges and coloring.edge_palette is not None:  # the "layer" mode: each edge in its layer's colour
        starts, ends, layers = edge_segments(partition)
        colors = edge_colors(coloring.edge_palette, layers)[:, :3]
        draw_segments(image, picture(starts), picture(ends), colors, 0.5 * scale)
    elif edges:
        change = np.zeros_like(inside)
        change[:, 1:] |= region[:, 1:] != region[:, :-1]
        change[1:, :] |= region[1:, :] != region[:-1, :]
        change &= inside
        image[change] = np.round((1 - EDGE_ALPHA) * image[change] + EDGE_ALPHA * EDGE).astype(np.uint8)

    if boundary and len(partition.boundary):
        segments = picture(partition.boundary)
        stamp_segments(image, segments[:, 0], segments[:, 1], 1.2 * scale, (0, 0, 0))
    if anchors and partition.slice.anchors_2d is not None:
        for point in picture(partition.slice.anchors_2d):
            stamp_segments(image, point[None], point[None], 6 * scale, (0, 0, 0))
            stamp_segments(image, point[None], point[None], 4 * scale, (255, 255, 255))
    layout = legend_layout(coloring.legend, pixels_wide, scale) if legend and legend_applies(coloring, edges) else None
    if layout is None:
        return image
    return np.concatenate([image, draw_legend(layout, BACKGROUND)], axis=0)


def legend_applies(coloring, edges: bool) -> bool:
    """Whether the picture shows the colours the legend explains (a layer legend needs the edges drawn)."""
    return coloring.edge_palette is None or edges


def save_png(partition, path, **options) -> None:
    """Write :func:`render_partition` to ``path`` as a PNG file (atomically: a failure leaves ``path`` as it was)."""
    write_bytes(path, encode_png(render_partition(partition, **options)))
