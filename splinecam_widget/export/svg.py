"""Vector pictures of a partition, written in Python (no browser needed)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from ..colors import painted_polygons, region_colors, rgb_to_hex
from .frame import Frame

EDGE_COLOR = "#333333"
BOUNDARY_COLOR = "#000000"


def _number(x: float) -> str:
    return f"{x:.6g}"


def _path(points: np.ndarray) -> str:
    """SVG path data of a closed polygon ``(n, 2)`` in picture coordinates."""
    head = f"M{_number(points[0, 0])} {_number(points[0, 1])}"
    return head + "".join(f"L{_number(x)} {_number(y)}" for x, y in points[1:]) + "Z"


def partition_to_svg(
    partition,
    color_by: str = "slope",
    width: int = 800,
    edges: bool = True,
    boundary: bool = True,
    anchors: bool = True,
    anchor_labels=("x0", "x1", "x2"),
) -> str:
    """The partition as an SVG document.

    Regions are grouped by fill colour (one ``<g fill=...>`` per colour, one
    ``<path>`` per region inside, with ``data-region`` giving its index), so files
    stay small and each region stays addressable.  In the ``"class"`` mode a region
    the decision boundary crosses is drawn as its class cells (``data-class`` too),
    so the class picture is exact.  The decision boundary is drawn
    bold over the regions, the anchors as labelled circles.

    Parameters
    ----------
    partition : Partition
    color_by : str
        A colour mode of the widget (``"slope"``, ``"class"``, ``"output"``, ``"pattern"``, ``"layer"``).
    width : int
        Width in pixels; the height follows the domain's aspect ratio.
    edges, boundary, anchors : bool
        Draw region edges, the decision boundary, the anchors.
    anchor_labels : sequence of str
    """
    frame = Frame.around(partition.slice.domain, width)
    width, height, picture = frame.width, frame.height, frame.to_picture

    polygons, regions, classes, fills = painted_polygons(partition, region_colors(partition, color_by))
    stroke = f'stroke="{EDGE_COLOR}" stroke-width="0.5" stroke-linejoin="round"' if edges else 'stroke="none"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<g id="regions" {stroke}>',
    ]
    keys = fills.view(np.uint32).reshape(-1)
    for key in np.unique(keys):
        members = np.flatnonzero(keys == key)
        rgba = fills[members[0]]
        opacity = "" if rgba[3] == 255 else f' fill-opacity="{rgba[3] / 255:.3g}"'
        parts.append(f'<g fill="{rgb_to_hex(rgba[:3])}"{opacity}>')
        for i in members:
            cell = "" if classes[i] < 0 else f' data-class="{classes[i]}"'
            parts.append(f'<path data-region="{regions[i]}"{cell} d="{_path(picture(polygons[i]))}"/>')
        parts.append("</g>")
    parts.append("</g>")
    if boundary and len(partition.boundary):
        segments = picture(partition.boundary)
        data = "".join(f"M{_number(a[0])} {_number(a[1])}L{_number(b[0])} {_number(b[1])}" for a, b in segments)
        parts.append(
            f'<path id="boundary" d="{data}" fill="none" stroke="{BOUNDARY_COLOR}" stroke-width="2.5" '
            'stroke-linecap="round"/>'
        )
    if anchors and partition.slice.anchors_2d is not None:
        parts.append('<g id="anchors" font-family="sans-serif" font-size="13">')
        for (x, y), label in zip(picture(partition.slice.anchors_2d), anchor_labels):
            parts.append(
                f'<circle cx="{_number(x)}" cy="{_number(y)}" r="6" fill="#ffffff" stroke="#000000" stroke-width="2"/>'
                f'<text x="{_number(x + 9)}" y="{_number(y - 7)}">{escape(str(label))}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def save_svg(partition, path, **options) -> None:
    """Write :func:`partition_to_svg` to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(partition_to_svg(partition, **options))
