"""Vector pictures of a partition, written in Python (no browser needed)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from ..colors import painted_polygons, region_colors, rgb_to_hex
from ..files import write_text
from .edges import edge_colors, edge_segments
from .frame import Frame
from .legend import legend_layout, legend_svg, svg_text_width
from .sizes import check_pixels

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
    value_range=None,
    legend: bool = True,
) -> str:
    """The partition as an SVG document.

    Regions are grouped by fill colour (one ``<g fill=...>`` per colour, one
    ``<path>`` per region inside, with ``data-region`` giving its index), so files
    stay small and each region stays addressable.  In the ``"class"`` mode a region
    the decision boundary crosses is drawn as its class cells (``data-class`` too),
    so the class picture is exact.  In the ``"layer"`` mode the edges are drawn in the
    colour of the layer that made them (``<g id="edges">``, one path per layer).  The
    decision boundary is drawn bold over the regions, the anchors as labelled circles,
    and the widget's legend or colour bar below the plot (``<g id="legend">``).

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
    value_range : (float, float), optional
        Values at the ends of the colour bar of the ``"slope"`` and ``"output"`` modes
        (see :func:`~splinecam_widget.colors.region_colors`).
    legend : bool
        Add the legend (classes, levels or layers) or colour bar below the plot, as the
        widget shows it; the plot's elements are the same either way.  The ``"pattern"``
        mode has no legend.

    Returns
    -------
    str
        The SVG document; the plot fills the top ``width x height`` pixels (``data-plot-height``).
    """
    frame = Frame.around(partition.slice.domain, check_pixels(width))
    width, height, picture = frame.width, frame.height, frame.to_picture

    coloring = region_colors(partition, color_by, value_range=value_range)
    polygons, regions, classes, fills = painted_polygons(partition, coloring)
    by_layer = edges and coloring.edge_palette is not None
    layout = (
        legend_layout(coloring.legend, width, measure=svg_text_width) if legend and (edges or not by_layer) else None
    )
    total = height + (layout.height if layout is not None else 0)
    stroke = 'stroke="none"'
    if edges and not by_layer:
        stroke = f'stroke="{EDGE_COLOR}" stroke-width="0.5" stroke-linejoin="round"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" viewBox="0 0 {width} {total}" '
        f'data-plot-height="{height}">',
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
    if by_layer:
        parts.append('<g id="edges" fill="none" stroke-width="1" stroke-linecap="round">')
        starts, ends, layers = edge_segments(partition)
        colors = edge_colors(coloring.edge_palette, layers)
        starts, ends = picture(starts), picture(ends)
        for layer in np.unique(layers):
            members = np.flatnonzero(layers == layer)
            data = "".join(
                f"M{_number(a[0])} {_number(a[1])}L{_number(b[0])} {_number(b[1])}"
                for a, b in zip(starts[members], ends[members])
            )
            parts.append(f'<path data-layer="{layer}" stroke="{rgb_to_hex(colors[members[0], :3])}" d="{data}"/>')
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
    if layout is not None:
        parts.append(legend_svg(layout, top=height))
    parts.append("</svg>")
    return "\n".join(parts)


def save_svg(partition, path, **options) -> None:
    """Write :func:`partition_to_svg` to ``path`` (atomically: a failure leaves ``path`` as it was)."""
    write_text(path, partition_to_svg(partition, **options))
