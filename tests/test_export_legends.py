"""Exported figures carry the widget's legend or colour bar below the plot (PNG, SVG, bokeh, frames)."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from bokeh.models import ColorBar, Legend
from engine_checks import mlp

from splinecam_widget import Slice, SplineCamWidget, partition, partition_to_svg
from splinecam_widget.colors import region_colors
from splinecam_widget.export import partition_to_bokeh
from splinecam_widget.export.frames import render_frames, render_side_by_side
from splinecam_widget.export.legend import format_number, legend_layout
from splinecam_widget.export.png import picture_frame, render_partition

SVG = "{http://www.w3.org/2000/svg}"
ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])
MODES_WITH_LEGEND = ["class", "slope", "output", "layer"]


@pytest.fixture(scope="module")
def parts():
    """Partitions with 1, 2 and 10 outputs."""
    plane = Slice.from_anchors(ANCHORS, margin=1.0)
    return {k: partition(mlp((2, 12, 12, k), seed=4), plane) for k in (1, 2, 10)}


def plot_height(p, width, scale=1.0):
    return picture_frame(p.slice.domain, width, scale).height


@pytest.mark.parametrize("outputs", [2, 10])
@pytest.mark.parametrize("mode", MODES_WITH_LEGEND)
def test_png_legend_is_a_strip_below_an_unchanged_plot(parts, mode, outputs):
    p = parts[outputs]
    with_legend = render_partition(p, color_by=mode, width=300)
    without = render_partition(p, color_by=mode, width=300, legend=False)
    height = plot_height(p, 300)
    assert without.shape == (height, 300, 3)
    assert with_legend.shape[1] == 300 and with_legend.shape[0] > height
    assert np.array_equal(with_legend[:height], without)  # the plot's pixels are the same
    strip = with_legend[height:]
    assert (strip != 255).any(axis=2).sum() > 100  # text, swatches or the bar are drawn


def test_png_legend_swatches_show_the_legend_colours(parts):
    p = parts[10]
    image = render_partition(p, color_by="class", width=400)
    layout = legend_layout(region_colors(p, "class").legend, 400)
    top = plot_height(p, 400)
    for swatch in layout.swatches:
        x, y = round(swatch.x + swatch.size / 2), top + round(swatch.y + swatch.size / 2)
        assert "#{:02x}{:02x}{:02x}".format(*image[y, x]) == swatch.color


def test_ten_classes_take_several_columns_and_few_rows(parts):
    legend = region_colors(parts[10], "class").legend
    layout = legend_layout(legend, 400)
    assert len(layout.swatches) == 10 and layout.columns >= 3
    rows = len({s.y for s in layout.swatches})
    assert rows == -(-10 // layout.columns) and rows <= 4
    assert all(label.x < 400 for label in layout.labels) and layout.height < 100
    narrow = legend_layout(legend, 150)
    assert narrow.columns < layout.columns and narrow.height > layout.height  # still all inside the width
    assert all(s.x + s.size <= 150 for s in narrow.swatches)


def test_colour_bar_end_labels_are_the_value_range(parts):
    p = parts[2]
    legend = region_colors(p, "slope", value_range=(0.125, 2.5)).legend
    layout = legend_layout(legend, 300)
    ends = layout.ticks[0], layout.ticks[-1]
    assert [t.value for t in ends] == [0.125, 2.5] and [t.text for t in ends] == ["0.125", "2.5"]
    assert ends[0].x == pytest.approx(layout.bar.x) and ends[1].x == pytest.approx(layout.bar.x + layout.bar.width)
    assert format_number(123456.0) == "1.235e+05" and format_number(0.0) == "0"


def test_pattern_mode_and_legend_false_add_nothing(parts):
    p = parts[2]
    assert np.array_equal(
        render_partition(p, color_by="pattern", width=200), render_partition(p, "pattern", 200, legend=False)
    )
    # a layer legend explains edge colours: without edges there is nothing to explain
    assert render_partition(p, color_by="layer", width=200, edges=False).shape[0] == plot_height(p, 200)


def test_layer_mode_draws_each_edge_in_its_layers_colour(parts):
    p = parts[2]
    image = render_partition(p, color_by="layer", width=300, boundary=False, anchors=False, legend=False)
    palette = region_colors(p, "layer").edge_palette[1:, :3]
    for rgb in palette:  # both hidden layers' edges are on the picture
        assert (image == rgb).all(axis=2).sum() > 50


@pytest.mark.parametrize("mode", MODES_WITH_LEGEND)
def test_svg_legend_group_sits_below_the_same_plot(parts, mode):
    p = parts[10]
    with_legend = ET.fromstring(partition_to_svg(p, color_by=mode, width=300))
    without = ET.fromstring(partition_to_svg(p, color_by=mode, width=300, legend=False))
    height = int(without.get("height"))
    assert int(with_legend.get("data-plot-height")) == height < int(with_legend.get("height"))
    plot = [ET.tostring(e) for e in with_legend if e.get("id") != "legend"]
    assert plot == [ET.tostring(e) for e in without]
    legend = with_legend.find(f"{SVG}g[@id='legend']")
    assert legend.get("transform") == f"translate(0 {height})"
    ys = [float(e.get("y")) for e in legend.iter() if e.get("y") is not None]
    assert ys and min(ys) >= 0 and max(ys) <= int(with_legend.get("height")) - height
    assert without.find(f"{SVG}g[@id='legend']") is None


def test_svg_class_legend_lists_every_class_in_its_colour(parts):
    root = ET.fromstring(partition_to_svg(parts[10], color_by="class"))
    legend = root.find(f"{SVG}g[@id='legend']")
    labels = [t.text for t in legend.findall(f"{SVG}text[@class='legend-label']")]
    colours = [r.get("fill") for r in legend.findall(f"{SVG}rect[@class='legend-swatch']")]
    items = region_colors(parts[10], "class").legend["items"]
    assert labels == [i["label"] for i in items] == [f"class {k}" for k in range(10)]
    assert colours == [i["color"] for i in items]
    assert legend.find(f"{SVG}text[@class='legend-title']").text == "predicted class"


@pytest.mark.parametrize("mode", ["slope", "output"])
def test_svg_colour_bar_ends_equal_the_value_range(parts, mode):
    p = parts[1]
    legend = region_colors(p, mode).legend
    root = ET.fromstring(partition_to_svg(p, color_by=mode))
    ticks = root.find(f"{SVG}g[@id='legend']").findall(f"{SVG}text[@class='legend-tick']")
    assert [float(ticks[0].get("data-value")), float(ticks[-1].get("data-value"))] == [legend["min"], legend["max"]]
    assert float(ticks[0].text) == pytest.approx(legend["min"], rel=1e-3)
    assert float(ticks[-1].text) == pytest.approx(legend["max"], rel=1e-3)
    stops = root.findall(f".//{SVG}linearGradient[@id='legend-gradient']/{SVG}stop")
    assert [s.get("stop-color") for s in stops] == list(legend["colors"])


def test_svg_pattern_mode_has_no_legend(parts):
    root = ET.fromstring(partition_to_svg(parts[2], color_by="pattern"))
    assert root.find(f"{SVG}g[@id='legend']") is None and root.get("height") == root.get("data-plot-height")


def test_bokeh_colour_bar_below_the_plot_spans_the_value_range(parts):
    fig = partition_to_bokeh(parts[2], color_by="slope", value_range=(0.5, 4.0))
    bar = fig.select_one({"name": "legend"})
    assert isinstance(bar, ColorBar) and bar in fig.below and bar not in fig.center
    assert (bar.color_mapper.low, bar.color_mapper.high) == (0.5, 4.0)
    assert bar.ticker.ticks[0] == 0.5 and bar.ticker.ticks[-1] == 4.0
    assert bar.title == "slope norm"


def test_bokeh_class_legend_below_the_plot_in_columns(parts):
    fig = partition_to_bokeh(parts[10], color_by="class", width=500)
    legend = fig.select_one({"name": "legend"})
    assert isinstance(legend, Legend) and legend in fig.below and legend not in fig.center
    items = region_colors(parts[10], "class").legend["items"]
    assert [i.label.value for i in legend.items] == [i["label"] for i in items]
    swatches = fig.select_one({"name": "legend_swatches"}).data_source.data
    assert [swatches["color"][i.index] for i in legend.items] == [i["color"] for i in items]
    assert np.isnan(swatches["x"]).all()  # never drawn on the plot
    assert 1 < legend.ncols < 10
    plain = partition_to_bokeh(parts[10], color_by="class", width=500, legend=False)
    assert plain.select_one({"name": "legend"}) is None and not any(isinstance(m, Legend) for m in plain.below)
    assert fig.height > plain.height and fig.width == plain.width


def test_bokeh_layer_mode_colours_edges_by_layer(parts):
    fig = partition_to_bokeh(parts[2], color_by="layer")
    data = fig.select_one({"name": "edges"}).data_source.data
    palette = region_colors(parts[2], "layer").edge_palette
    assert list(data["layer"]) == [-1, 0, 1]
    assert list(data["line_color"]) == ["#{:02x}{:02x}{:02x}".format(*palette[k + 1, :3]) for k in data["layer"]]
    assert [i.label.value for i in fig.select_one({"name": "legend"}).items] == ["layer 1", "layer 2"]


def test_every_frame_carries_the_shared_colour_bar(parts):
    plane_parts = [parts[2], partition(mlp((2, 12, 12, 2), seed=5), parts[2].slice)]
    frames = render_frames(plane_parts, ["a", "b"], color_by="slope", width=200)
    height = plot_height(parts[2], 200)
    assert len({f.shape for f in frames}) == 1 and frames[0].shape[0] > height
    bare = render_frames(plane_parts, ["a", "b"], color_by="slope", width=200, legend=False)
    assert all(np.array_equal(f[:height], b) for f, b in zip(frames, bare))
    assert all(f.shape[0] == height for f in bare)


def test_side_by_side_has_one_legend_across_the_row(parts):
    plane_parts = [parts[2], partition(mlp((2, 12, 12, 2), seed=5), parts[2].slice)]
    row = render_side_by_side(plane_parts, ["a", "b"], color_by="class", width=150, gap=8)
    bare = render_side_by_side(plane_parts, ["a", "b"], color_by="class", width=150, gap=8, legend=False)
    assert bare.shape == (plot_height(parts[2], 150), 308, 3)
    assert row.shape[1] == 308 and row.shape[0] > bare.shape[0]
    assert np.array_equal(row[: bare.shape[0]], bare)


def test_widget_exports_pass_legend_through(tmp_path):
    from PIL import Image

    w = SplineCamWidget(mlp((2, 8, 8, 3), seed=2), torch.tensor(ANCHORS), color_by="slope")
    p = w.wait()
    w.save_png(tmp_path / "with.png", width=100, scale=1)
    w.save_png(tmp_path / "without.png", width=100, scale=1, legend=False)
    assert Image.open(tmp_path / "without.png").size == (100, plot_height(p, 100))
    assert Image.open(tmp_path / "with.png").size[1] > plot_height(p, 100)
    w.save_svg(tmp_path / "with.svg")
    w.save_svg(tmp_path / "without.svg", legend=False)
    assert ET.parse(tmp_path / "with.svg").getroot().find(f"{SVG}g[@id='legend']") is not None
    assert ET.parse(tmp_path / "without.svg").getroot().find(f"{SVG}g[@id='legend']") is None
    assert isinstance(w.to_bokeh().select_one({"name": "legend"}), ColorBar)
    assert w.to_bokeh(legend=False).select_one({"name": "legend"}) is None
    w.close()
