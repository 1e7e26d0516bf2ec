"""The partition as an interactive bokeh figure, and as a self-contained HTML file.

The figure holds one ``patches`` renderer with every region (colours from
:func:`~splinecam_widget.colors.region_colors`), a hover tool with each region's
index, predicted class and affine map, the decision boundary as a bold
``multi_line`` and the labelled anchors.  Renderers are named ``"regions"``,
``"boundary"``, ``"anchors"`` and ``"anchor_labels"`` so they can be restyled
(``fig.select(name="boundary")``).  Below the plot, the widget's legend: a bokeh
``Legend`` of the classes or layers, or a ``ColorBar`` of the slope or output, named
``"legend"``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bokeh.embed import file_html
from bokeh.model import Model
from bokeh.models import ColorBar, ColumnDataSource, FixedTicker, HoverTool, Legend, LegendItem, LinearColorMapper
from bokeh.plotting import figure
from bokeh.resources import INLINE

from ..colors import colormap, painted_polygons, region_colors, rgb_to_hex
from ..errors import SplineCamError
from ..files import write_text
from .edges import edge_colors, edge_segments
from .legend import OUTLINE_COLOR, format_number, legend_layout
from .sizes import check_pixels

EDGE_COLOR = "#333333"
BOUNDARY_COLOR = "#000000"
TOOLTIPS = [("region", "@region"), ("predicted class", "@predicted_class"), ("affine map", "@affine{safe}")]


def _check_partition(partition) -> None:
    if not all(hasattr(partition, name) for name in ("offsets", "vertices", "slice", "boundary")):
        raise SplineCamError(f"expected a splinecam_widget Partition, got {type(partition).__name__}")


def _number(x: float) -> str:
    return f"{x:.4g}"


def _affine_line(k: int, du: float, dv: float, offset: float) -> str:
    """``y_k = du·u + dv·v + offset`` with the signs folded in (``- 0.5·v``, not ``+ -0.5·v``)."""

    def term(x: float) -> str:
        return f"{'-' if x < 0 else '+'} {_number(abs(x))}"

    return f"y{k} = {_number(du)}·u {term(dv)}·v {term(offset)}"


def affine_texts(partition, max_rows: int = 3) -> list[str]:
    """One HTML snippet per region: its affine map, one line per output.

    Line ``k`` reads ``y_k = du·u + dv·v + offset``.  With more than ``max_rows``
    outputs, the ``max_rows`` largest at the region's centroid are shown, largest
    first, with a note of how many there are.

    Parameters
    ----------
    partition : Partition
    max_rows : int
        Most output lines per region.

    Returns
    -------
    list of str
        ``R`` strings, lines separated by ``<br>``; a note for a partial partition.
    """
    if max_rows < 1:
        raise SplineCamError(f"max_rows must be at least 1, got {max_rows}")
    if partition.affine is None:
        return ["(partial partition: no outputs yet)"] * partition.n_regions
    affine = partition.affine
    n_outputs = affine.shape[1]
    values = partition.outputs_at(partition.centroids, np.arange(partition.n_regions))
    order = np.argsort(-values, axis=1, kind="stable")[:, :max_rows] if n_outputs > max_rows else None
    note = f"<br>(top {max_rows} of {n_outputs} outputs)" if order is not None else ""
    texts = []
    for r in range(partition.n_regions):
        rows = range(n_outputs) if order is None else order[r]
        texts.append("<br>".join(_affine_line(k, *affine[r, k]) for k in rows) + note)
    return texts


def partition_to_bokeh(
    partition,
    color_by: str = "slope",
    *,
    width: int = 600,
    edges: bool = True,
    boundary: bool = True,
    anchors: bool = True,
    anchor_labels=("x0", "x1", "x2"),
    max_rows: int = 3,
    title: str | None = None,
    value_range=None,
    legend: bool = True,
) -> figure:
    """The partition as a bokeh figure with a hover tool.

    Parameters
    ----------
    partition : Partition
    color_by : str
        A colour mode of the widget (``"slope"``, ``"class"``, ``"output"``, ``"pattern"``, ``"layer"``).
    width : int
        Width of the figure in pixels; the height follows the domain's aspect ratio.
    edges, boundary, anchors : bool
        Draw region edges, the decision boundary, the anchors.
    anchor_labels : sequence of str
        Labels of the three anchors.
    max_rows : int
        Most outputs shown in the hover text of a region (see :func:`affine_texts`).
    title : str, optional
        Figure title (default: the region count and the colour mode).
    value_range : (float, float), optional
        Values at the ends of the colour bar of the ``"slope"`` and ``"output"`` modes
        (see :func:`~splinecam_widget.colors.region_colors`).
    legend : bool
        Add the widget's legend below the plot: a ``Legend`` of the classes, levels or
        layers, or a ``ColorBar`` for the slope and output; the figure grows by its
        height.  The ``"pattern"`` mode has no legend.

    Returns
    -------
    bokeh.plotting.figure
        Renderers ``"regions"`` (patches, one per region, and in the ``"class"`` mode one per
        class cell of the regions the decision boundary crosses; columns ``xs``, ``ys``,
        ``region``, ``predicted_class``, ``affine``, ``fill_color``, ``fill_alpha``),
        ``"boundary"`` (multi_line), ``"anchors"`` (scatter) and ``"anchor_labels"`` (text);
        in the ``"layer"`` mode ``"edges"`` (multi_line, one line per layer, columns
        ``layer`` and ``line_color``).  The legend is ``fig.select_one({"name": "legend"})``,
        in ``fig.below``.

    Raises
    ------
    SplineCamError
        For something that is not a partition, an unknown colour mode, or a bad ``max_rows``.
    """
    _check_partition(partition)
    width = check_pixels(width)
    domain = partition.slice.domain
    low, high = domain.min(axis=0), domain.max(axis=0)
    span = np.maximum(high - low, 1e-300)
    height = max(100, int(round(width * span[1] / span[0])))
    coloring = region_colors(partition, color_by, value_range=value_range)
    by_layer = edges and coloring.edge_palette is not None
    key = coloring.legend if legend and (edges or coloring.edge_palette is None) else None
    layout = legend_layout(key, width)
    if layout is not None:
        height += layout.height + 2 * (20 if key["kind"] == "categorical" else 12)  # bokeh's own spacing
    fig = figure(
        width=int(width),
        height=height,
        match_aspect=True,
        x_axis_label="u",
        y_axis_label="v",
        title=title if title is not None else f"{partition.n_regions:,} regions · colour: {color_by}",
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    fig.grid.visible = False

    # in the class mode, boundary regions come as their exact class cells
    polygons, region, cell_class, fills = painted_polygons(partition, coloring)
    if partition.affine is None:
        classes = ["-"] * len(region)
    else:
        classes = np.where(cell_class >= 0, cell_class, partition.predicted_class[region]).astype(str).tolist()
    texts = affine_texts(partition, max_rows)
    source = ColumnDataSource(
        {
            "xs": [p[:, 0] for p in polygons],
            "ys": [p[:, 1] for p in polygons],
            "region": region,
            "predicted_class": classes,
            "affine": [texts[r] for r in region],
            "fill_color": [rgb_to_hex(c[:3]) for c in fills],
            "fill_alpha": fills[:, 3] / 255.0,
        }
    )
    regions = fig.patches(
        "xs",
        "ys",
        source=source,
        name="regions",
        fill_color="fill_color",
        fill_alpha="fill_alpha",
        line_color=EDGE_COLOR if edges and not by_layer else None,
        line_width=0.5,
        line_alpha=0.6,
    )
    fig.add_tools(HoverTool(renderers=[regions], tooltips=TOOLTIPS))
    if by_layer:
        _add_layer_edges(fig, partition, coloring.edge_palette)

    if boundary:
        segments = partition.boundary
        fig.multi_line(
            xs=segments[:, :, 0].tolist(),
            ys=segments[:, :, 1].tolist(),
            name="boundary",
            line_color=BOUNDARY_COLOR,
            line_width=3,
            line_cap="round",
        )
    if anchors and partition.slice.anchors_2d is not None:
        points = partition.slice.anchors_2d
        labels = [str(label) for label in anchor_labels][: len(points)]
        if len(labels) < len(points):
            raise SplineCamError(f"anchor_labels needs {len(points)} labels, got {len(labels)}")
        marks = ColumnDataSource({"u": points[:, 0], "v": points[:, 1], "label": labels})
        fig.scatter(
            "u", "v", source=marks, name="anchors", size=12, fill_color="#ffffff", line_color="#000000", line_width=2
        )
        fig.text(
            "u",
            "v",
            text="label",
            source=marks,
            name="anchor_labels",
            x_offset=9,
            y_offset=-7,
            text_font_size="13px",
            text_baseline="bottom",
        )
    if layout is not None:
        _add_legend(fig, key, layout)
    return fig


def _add_layer_edges(fig, partition, palette) -> None:
    """The ``"layer"`` mode's edges: one multi_line row per layer (segments split by NaN), in its colour."""
    starts, ends, layers = edge_segments(partition)
    colors = edge_colors(palette, layers)
    xs, ys, names, line_colors = [], [], [], []
    for layer in np.unique(layers):
        members = np.flatnonzero(layers == layer)
        gap = np.full(len(members), np.nan)
        xs.append(np.stack([starts[members, 0], ends[members, 0], gap], axis=1).reshape(-1))
        ys.append(np.stack([starts[members, 1], ends[members, 1], gap], axis=1).reshape(-1))
        names.append(int(layer))
        line_colors.append(rgb_to_hex(colors[members[0], :3]))
    source = ColumnDataSource({"xs": xs, "ys": ys, "layer": names, "line_color": line_colors})
    fig.multi_line("xs", "ys", source=source, name="edges", line_color="line_color", line_width=1)


def _add_legend(fig, legend: dict, layout) -> None:
    """The widget's legend below the plot: a ColorBar, or a Legend in the columns of ``layout``."""
    if legend["kind"] == "colorbar":
        lo, hi = float(legend["min"]), float(legend["max"])
        ticks = [lo, (lo + hi) / 2, hi]
        palette = [rgb_to_hex(c) for c in colormap(np.linspace(0.0, 1.0, 256), legend["colors"])]
        bar = ColorBar(
            color_mapper=LinearColorMapper(palette=palette, low=lo, high=hi),
            name="legend",
            title=legend["title"],
            orientation="horizontal",
            width=int(min(260, max(60, layout.bar.width))),
            height=10,
            ticker=FixedTicker(ticks=ticks),
            major_label_overrides={t: format_number(t) for t in ticks},
            bar_line_color=OUTLINE_COLOR,
            location="top_left",
        )
        fig.add_layout(bar, "below")
        return
    # Swatches that are never drawn on the plot (NaN positions) give the items their colours.
    items = legend["items"]
    swatches = fig.scatter(
        "x",
        "y",
        source=ColumnDataSource(
            {"x": [np.nan] * len(items), "y": [np.nan] * len(items), "color": [i["color"] for i in items]}
        ),
        name="legend_swatches",
        marker="square",
        size=12,
        fill_color="color",
        line_color=OUTLINE_COLOR,
    )
    fig.add_layout(
        Legend(
            items=[LegendItem(label=item["label"], renderers=[swatches], index=i) for i, item in enumerate(items)],
            name="legend",
            title=legend["title"],
            ncols=max(1, layout.columns),
            orientation="horizontal",
            location="top_left",
            border_line_color=None,
        ),
        "below",
    )


def save_bokeh_html(partition_or_figure, path, title: str = "splinecam", **options) -> Path:
    """Write a self-contained HTML file (bokeh's JavaScript inline, no CDN) of a figure.

    Parameters
    ----------
    partition_or_figure : Partition or bokeh Model
        A partition (drawn with :func:`partition_to_bokeh` and ``options``) or a
        figure / layout made beforehand.
    path : str or Path
    title : str
        Title of the HTML page.
    **options
        Passed to :func:`partition_to_bokeh`; only with a partition.

    Returns
    -------
    Path
        The path written.
    """
    if isinstance(partition_or_figure, Model):
        if options:
            raise SplineCamError(f"options {sorted(options)} only apply to a partition, not to a finished figure")
        fig = partition_or_figure
    else:
        fig = partition_to_bokeh(partition_or_figure, **options)
    return write_text(path, file_html(fig, INLINE, title))
