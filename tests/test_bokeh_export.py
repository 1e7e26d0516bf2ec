"""Bokeh export: patches, colours, hover fields, boundary, anchors, and an offline HTML file."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from bokeh.models import HoverTool
from bokeh.plotting import figure
from browser.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, only_this_file
from engine_checks import mlp
from PIL import Image

from splinecam_widget import Slice, SplineCamError, partition
from splinecam_widget.colors import class_palette, region_colors, rgb_to_hex
from splinecam_widget.export import partition_to_bokeh, save_bokeh_html
from splinecam_widget.export.bokeh import affine_texts
from splinecam_widget.widget import SplineCamWidget

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture(scope="module")
def p():
    return partition(mlp((2, 16, 16, 3)), Slice.from_anchors(ANCHORS))


def renderer(fig, name):
    return fig.select_one({"name": name})


def test_one_patch_per_region_in_the_python_colours(p):
    fig = partition_to_bokeh(p, color_by="slope")
    data = renderer(fig, "regions").data_source.data
    fills = region_colors(p, "slope").fill
    assert len(data["xs"]) == len(data["ys"]) == p.n_regions
    assert list(data["region"]) == list(range(p.n_regions))
    assert list(data["fill_color"]) == [rgb_to_hex(c[:3]) for c in fills]
    np.testing.assert_allclose(data["fill_alpha"], fills[:, 3] / 255)
    r = 5
    np.testing.assert_array_equal(np.stack([data["xs"][r], data["ys"][r]], axis=1), p.polygon(r))


def test_class_mode_patches_boundary_regions_as_their_class_cells(p):
    data = renderer(partition_to_bokeh(p, color_by="class"), "regions").data_source.data
    cells = p.class_cells
    assert len(cells.regions) > 0 and set(data["region"]) == set(range(p.n_regions))
    assert len(data["xs"]) == p.n_regions - len(np.unique(cells.regions)) + len(cells.regions)
    palette = class_palette()
    for i, (r, k) in enumerate(zip(cells.regions, cells.classes)):
        row = p.n_regions - len(np.unique(cells.regions)) + i  # whole regions first, then the cells
        assert data["region"][row] == r and data["predicted_class"][row] == str(k)
        assert data["fill_color"][row] == rgb_to_hex(palette[k])
        np.testing.assert_array_equal(data["xs"][row], cells.vertices[cells.offsets[i] : cells.offsets[i + 1], 0])


def test_hover_lists_region_class_and_affine_map(p):
    fig = partition_to_bokeh(p)
    hover = fig.select_one(HoverTool)
    fields = dict(hover.tooltips)
    assert fields["region"] == "@region"
    assert fields["predicted class"] == "@predicted_class"
    assert fields["affine map"].startswith("@affine")
    assert hover.renderers == [renderer(fig, "regions")]
    data = renderer(fig, "regions").data_source.data
    assert list(data["predicted_class"]) == [str(c) for c in p.predicted_class]
    r = 7
    du, dv, offset = p.affine[r, 1]
    line = data["affine"][r].split("<br>")[1]
    numbers = [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e[+-]?\d+)?", line.replace("- ", "-").replace("+ ", ""))]
    np.testing.assert_allclose(numbers, [1, du, dv, offset], rtol=1e-3)


def test_many_outputs_show_the_largest_at_the_centroid():
    q = partition(mlp((2, 8, 6), seed=1), Slice.from_anchors(ANCHORS))
    texts = affine_texts(q, max_rows=2)
    values = q.outputs_at(q.centroids, np.arange(q.n_regions))
    top = np.argsort(-values[0])[:2]
    assert texts[0].startswith(f"y{top[0]} = ")
    assert f"<br>y{top[1]} = " in texts[0]
    assert texts[0].endswith("(top 2 of 6 outputs)")


def test_boundary_and_anchors_are_named_renderers(p):
    fig = partition_to_bokeh(p, anchor_labels=("a", "b", "c"))
    boundary = renderer(fig, "boundary").data_source.data
    assert len(boundary["xs"]) == len(p.boundary) > 0
    np.testing.assert_allclose(np.array(boundary["xs"]), p.boundary[:, :, 0])
    np.testing.assert_allclose(np.array(boundary["ys"]), p.boundary[:, :, 1])
    assert renderer(fig, "boundary").glyph.line_width >= 2
    anchors = renderer(fig, "anchors").data_source.data
    np.testing.assert_allclose(np.stack([anchors["u"], anchors["v"]], axis=1), p.slice.anchors_2d)
    assert list(renderer(fig, "anchor_labels").data_source.data["label"]) == ["a", "b", "c"]
    # restyling works on the returned figure
    renderer(fig, "boundary").glyph.line_color = "red"
    assert renderer(fig, "boundary").glyph.line_color == "red"


def test_options_turn_layers_off(p):
    fig = partition_to_bokeh(p, boundary=False, anchors=False, edges=False, title="t")
    assert renderer(fig, "boundary") is None and renderer(fig, "anchors") is None
    assert renderer(fig, "regions").glyph.line_color is None
    assert fig.title.text == "t"


def test_bad_input_is_a_clear_error(p):
    with pytest.raises(SplineCamError, match="expected a splinecam_widget Partition"):
        partition_to_bokeh(np.zeros(3))
    with pytest.raises(SplineCamError, match="not a colour mode"):
        partition_to_bokeh(p, color_by="rainbow")
    with pytest.raises(SplineCamError, match="only apply to a partition"):
        save_bokeh_html(figure(), "unused.html", color_by="class")
    with pytest.raises(SplineCamError, match="anchor_labels needs 3"):
        partition_to_bokeh(p, anchor_labels=("a",))


def test_partition_and_widget_methods(p):
    fig = p.to_bokeh(color_by="pattern")
    assert list(renderer(fig, "regions").data_source.data["fill_color"]) == [
        rgb_to_hex(c[:3]) for c in region_colors(p, "pattern").fill
    ]
    w = SplineCamWidget(mlp((2, 16, 16, 3)), ANCHORS, color_by="class", anchor_labels=["cat", "dog", "cow"])
    fig = w.to_bokeh()
    assert fig.title.text.endswith("colour: class")
    assert list(renderer(fig, "anchor_labels").data_source.data["label"]) == ["cat", "dog", "cow"]
    assert set(renderer(fig, "regions").data_source.data["region"]) == set(range(w.partition.n_regions))


def test_widget_without_partition_is_a_clear_error():
    w = SplineCamWidget(mlp((2, 16, 16, 3)), ANCHORS, max_regions=2)  # the computation fails: too many regions
    assert w.wait(30) is None
    with pytest.raises(SplineCamError, match="no partition to export: the partition has more than max_regions"):
        w.to_bokeh()


def test_saved_html_is_self_contained(p, tmp_path):
    path = save_bokeh_html(p, tmp_path / "p.html", color_by="class")
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link[^>]*\bhref=[\"']?https?://", text)
    assert "cdn.bokeh.org" not in text
    assert "Bokeh" in text and "@affine" in text


def render_offline(url: str) -> dict:
    """Open ``url`` in headless Chromium with every other request aborted, hover the plot's middle.

    Returns the canvas screenshot (PNG bytes), the tooltip text, the aborted requests and
    the page errors.  Runs in its own thread: the browser tests' session-wide Playwright
    may still hold the main thread's event loop.
    """
    from playwright.sync_api import sync_playwright

    route, aborted = only_this_file(url)
    errors: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 700, "height": 700}, device_scale_factor=1, offline=True)
            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url)
            canvas = page.locator("canvas").first
            canvas.wait_for(state="visible", timeout=15_000)
            box = canvas.bounding_box()
            shot = canvas.screenshot()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.get_by_text("affine map").first.wait_for(state="visible", timeout=5_000)
            tooltip = page.locator(".bk-tooltip-content", has_text="predicted class").first.inner_text()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "bokeh_offline.png"))
        finally:
            browser.close()
    return {
        "shot": shot,
        "size": (box["width"], box["height"]),
        "tooltip": tooltip,
        "aborted": aborted,
        "errors": errors,
    }


@pytest.mark.browser
def test_saved_html_renders_offline_in_chromium(p, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    url = save_bokeh_html(p, tmp_path / "p.html", color_by="class", width=500).resolve().as_uri()
    with ThreadPoolExecutor(max_workers=1) as pool:
        got = pool.submit(render_offline, url).result()
    assert not got["errors"], got["errors"]
    assert url not in got["aborted"], got["aborted"]
    assert min(got["size"]) > 300
    # most of the picture is painted in the regions' colours (edges blend a little)
    pixels = np.asarray(Image.open(io.BytesIO(got["shot"])).convert("RGB")).reshape(-1, 3)
    palette = np.unique(region_colors(p, "class").fill[:, :3], axis=0)
    painted = (np.abs(pixels[:, None, :].astype(int) - palette[None]).max(axis=2) <= 2).any(axis=1)
    assert painted.mean() > 0.4, painted.mean()
    # the hover tool names the region under the cursor, its class and its affine map
    tooltip = got["tooltip"]
    region = int(re.search(r"region:\s*(\d+)", tooltip).group(1))
    assert re.search(rf"predicted class:\s*{p.predicted_class[region]}\b", tooltip), tooltip
    assert affine_texts(p)[region].split("<br>")[0] in tooltip, tooltip
