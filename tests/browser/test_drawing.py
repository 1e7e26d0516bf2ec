"""The canvas paints each region in the colour Python chose, the boundary, and redraws on trait changes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import Screen, screenshot
from scenes import grid_partition, to_page, widget_state

from splinecam_widget.colors import class_palette, region_colors
from splinecam_widget.engine.class_cells import class_cells
from splinecam_widget.widget._wire import encode_style

VIEW = [-1.2, -1.2, 1.2, 1.2]


def mount(page, p, mode="class", **kw):
    state, coloring = widget_state(p, mode, view=VIEW, **kw)
    page.evaluate("s => harness.mount(s)", state)
    return Screen(page, VIEW), coloring


def region_centre(p, r):
    return p.centroids[r]


@pytest.mark.parametrize("mode", ["class", "slope", "output", "pattern"])
def test_each_region_is_painted_in_its_python_colour(page, mode):
    p = grid_partition(n=4, n_outputs=3)
    screen, coloring = mount(page, p, mode)
    for r in range(p.n_regions):
        u, v = region_centre(p, r)
        # off the boundary line v = 0 and the centre, where the handles and lines are
        got = screen.pixel(u + 0.1, v + 0.1 if v > 0 else v - 0.1)
        assert got[:3] == coloring.fill[r, :3].tolist(), f"region {r}"
    screenshot(page, f"grid_{mode}")


def test_class_mode_is_exact_inside_a_region_the_boundary_crosses(page):
    # one square region where class 0 wins for u > 0.2 and class 1 for u < 0.2: its centroid says
    # class 1, yet the pixels right of u = 0.2 must take class 0's colour
    p = grid_partition(n=1, n_outputs=2)
    p.affine = p.local_affine = np.array([[[1.0, 0.0, -0.2], [-1.0, 0.0, 0.2]]])
    p.boundary = np.array([[[0.2, -1.0], [0.2, 1.0]]])
    p.class_cells = class_cells(p)
    screen, coloring = mount(page, p)
    palette = class_palette()
    assert coloring.fill[0, :3].tolist() == palette[1].tolist()  # the centroid says class 1...
    assert screen.pixel(-0.6, 0.7)[:3] == palette[1].tolist()  # ...but each side takes its own
    assert screen.pixel(0.3, 0.7)[:3] == palette[0].tolist()
    assert screen.pixel(0.1, 0.7)[:3] == palette[1].tolist()
    screenshot(page, "class_cells")


def test_outside_the_partition_is_the_theme_background(page):
    p = grid_partition(n=4)
    screen, _ = mount(page, p)
    assert screen.pixel(-1.15, 1.15)[:3] == [255, 255, 255]


def test_decision_boundary_is_drawn_bold_in_the_foreground_colour(page):
    p = grid_partition(n=4)
    screen, coloring = mount(page, p)
    # the boundary segment runs along v = 0; the foreground is dark in the light theme
    below = screen.pixel(0.3, -0.2)  # region i=2, j=1
    on_line = screen.pixel(0.3, 0.0)
    assert below[:3] == coloring.fill[2 + 4 * 1, :3].tolist()
    assert sum(on_line[:3]) < 150


def test_layer_mode_colours_edges_by_layer(page):
    p = grid_partition(n=2)
    screen, coloring = mount(page, p, "layer")
    # the vertical interior edge u = 0 between regions 0 and 1 (v < 0) was made by layer (0 + 0) % 2 = 0
    x, y = screen.local(0.0, -0.5)
    px = page.evaluate("([x, y]) => [harness.pixel(x - 0.5, y), harness.pixel(x + 0.5, y)]", [x, y])
    layer0 = coloring.edge_palette[1, :3].astype(int)
    neutral = coloring.fill[0, :3].astype(int)
    darkest = min(px, key=lambda c: sum(c[:3]))
    # the pixel on the edge moved from the neutral fill towards the layer-0 colour
    assert np.abs(np.array(darkest[:3]) - layer0).sum() < np.abs(neutral - layer0).sum()
    # a compact strip: "layer 1", "layer 2" read "1", "2" under the title, in full as the cells' tooltips
    assert "edge made by: layer" in page.locator("#host .scw-legend").inner_text()
    cells = page.eval_on_selector_all("#host .scw-strip-cell", "cells => cells.map(c => [c.title, c.innerText])")
    assert cells == [["layer 1", "1"], ["layer 2", "2"]]


def test_style_change_from_kernel_recolours_without_new_geometry(page):
    p = grid_partition(n=4)
    screen, _ = mount(page, p, "class")
    pattern = region_colors(p, "pattern")
    page.evaluate("s => harness.kernelSet({coloring: s})", to_page(encode_style(pattern, seq=1, mode="pattern")))
    page.evaluate("harness.frames()")
    u, v = region_centre(p, 5)
    assert screen.pixel(u + 0.1, v + 0.1)[:3] == pattern.fill[5, :3].tolist()
    # without the toolbar (whose menu shows the mode), the status line names the mode
    assert "colour:" not in page.locator("#host .scw-status").inner_text()
    page.evaluate("harness.kernelSet({toolbar: false})")
    assert "colour: pattern" in page.locator("#host .scw-plot .scw-status").inner_text()


def test_new_geometry_from_kernel_redraws(page):
    p = grid_partition(n=4)
    screen, _ = mount(page, p, "class")
    q = grid_partition(n=2, n_outputs=3, seed=1)
    state, coloring = widget_state(q, "class", seq=2, view=VIEW)
    page.evaluate("s => harness.kernelSet({geometry: s.geometry, coloring: s.coloring})", state)
    page.evaluate("harness.frames()")
    for r in range(q.n_regions):
        u, v = q.centroids[r]
        assert screen.pixel(u + 0.1, v + 0.1)[:3] == coloring.fill[r, :3].tolist()
    assert page.locator("#host .scw-status").inner_text().startswith("4 regions")


def test_style_of_another_computation_is_not_applied(page):
    p = grid_partition(n=4)
    screen, coloring = mount(page, p, "class")
    stale = encode_style(region_colors(p, "pattern"), seq=99, mode="pattern")
    page.evaluate("s => harness.kernelSet({coloring: s})", to_page(stale))
    page.evaluate("harness.frames()")
    u, v = region_centre(p, 5)
    # uncoloured (neutral grey) until the matching style arrives: never the stale colours
    assert screen.pixel(u + 0.1, v + 0.1)[:3] == [238, 238, 238]
    page.evaluate("harness.kernelSet({toolbar: false})")
    assert "colour:" not in page.locator("#host .scw-status").inner_text()


def test_hidpi_canvas_has_device_resolution(browser, server):
    context = browser.new_context(viewport={"width": 900, "height": 700}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{server}/tests/browser/harness.html")
    page.wait_for_function("window.harnessReady === true")
    p = grid_partition(n=4)
    state, coloring = widget_state(p, "class", view=VIEW)
    page.evaluate("s => harness.mount(s)", state)
    size = page.evaluate(
        "(() => { const c = document.querySelector('#host canvas.scw-base'); return [c.width, c.clientWidth, c.height, c.clientHeight]; })()"
    )
    assert size[0] == 2 * size[1] and size[2] == 2 * size[3]
    screen = Screen(page, VIEW)
    u, v = p.centroids[5]
    assert screen.pixel(u + 0.1, v + 0.1)[:3] == coloring.fill[5, :3].tolist()
    context.close()


def test_resizing_the_cell_resizes_the_canvas(page):
    p = grid_partition(n=4)
    mount(page, p)
    page.evaluate("document.getElementById('host').style.width = '500px'")
    page.wait_for_function("document.querySelector('#host canvas.scw-base').width === 498")


def test_dark_theme_from_jupyter_css_variables(page):
    p = grid_partition(n=4)
    page.evaluate(
        "document.body.style.setProperty('--jp-layout-color0', '#111111'); document.body.style.setProperty('--jp-ui-font-color0', '#eeeeee')"
    )
    screen, _ = mount(page, p)
    assert screen.pixel(-1.15, 1.15)[:3] == [17, 17, 17]
    screenshot(page, "grid_dark")


def test_real_partition_pixels_show_the_region_that_contains_them(page):
    """Every pixel away from edges, the boundary and the handles has the colour of the region at its centre."""
    import shapely
    import torch

    from splinecam_widget import Slice, partition

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3)
    ).eval()
    plane = Slice.from_anchors(np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]]))
    p = partition(model, plane)
    view = [
        float(plane.domain[:, 0].min()),
        float(plane.domain[:, 1].min()),
        float(plane.domain[:, 0].max()),
        float(plane.domain[:, 1].max()),
    ]
    state, coloring = widget_state(p, "pattern", view=view, anchors=plane.anchors_2d.tolist())
    page.evaluate("s => harness.mount(s)", state)
    screen = Screen(page, view)
    screenshot(page, "real_mlp_pattern")
    rng = np.random.default_rng(1)
    xy = np.stack([rng.integers(0, int(screen.width), 400), rng.integers(0, int(screen.height), 400)], axis=1) + 0.5

    def to_plane(q):
        u = screen.cu + (q[:, 0] - screen.width / 2) / screen.scale
        v = screen.cv - (q[:, 1] - screen.height / 2) / screen.scale
        return np.stack([u, v], axis=1)

    uv = to_plane(xy)
    regions = p.region_at(uv)
    near = np.zeros(len(xy), bool)
    for dx, dy in [(-2, -2), (-2, 2), (2, -2), (2, 2), (0, 2), (2, 0), (0, -2), (-2, 0)]:
        near |= p.region_at(to_plane(xy + [dx, dy])) != regions
    lines = shapely.multilinestrings(list(p.boundary))
    near |= shapely.distance(shapely.points(uv), lines) * screen.scale < 4
    anchors_xy = np.array([screen.local(*a) for a in plane.anchors_2d])
    near |= np.min(np.linalg.norm(xy[:, None] - anchors_xy[None], axis=2), axis=1) < 24
    inside = (regions >= 0) & ~near
    assert inside.sum() > 100
    pixels = page.evaluate("pts => pts.map(([x, y]) => harness.pixel(x, y))", xy[inside].tolist())
    np.testing.assert_array_equal(np.array(pixels)[:, :3], coloring.fill[regions[inside], :3])


def test_switching_the_jupyter_theme_redraws_in_the_new_colours(page):
    p = grid_partition(n=4)
    screen, _ = mount(page, p)
    assert screen.pixel(-1.15, 1.15)[:3] == [255, 255, 255]
    page.evaluate("""() => {
      document.body.style.setProperty('--jp-layout-color0', '#202020');
      document.body.dataset.jpThemeLight = 'false';
    }""")
    page.wait_for_function("harness.pixel(5, 5)[0] === 32")
    assert screen.pixel(-1.15, 1.15)[:3] == [32, 32, 32]
