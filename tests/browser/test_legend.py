"""The legend never covers the plot: compact (one colour strip for short labels, the data labels as dots
in it), beside the plot when the widget is wide, below it when narrow, collapsible; a comparison's
views share one legend (its own front end, fed by Python)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import screenshot
from scenes import data_trait, grid_partition, widget_state

from splinecam_widget.colors import CATEGORICAL

VIEW = [-1.2, -1.2, 1.2, 1.2]
DARK = {
    "--jp-layout-color0": "#111111",
    "--jp-layout-color1": "#1e1e1e",
    "--jp-layout-color2": "#2c2c2c",
    "--jp-ui-font-color0": "#eeeeee",
    "--jp-ui-font-color1": "#dddddd",
    "--jp-ui-font-color2": "#9a9a9a",
    "--jp-border-color1": "#555555",
    "--jp-border-color2": "#3a3a3a",
}


def digits_data(n_labels: int, n: int = 60, seed: int = 0, labels=None):
    """``n`` points over the grid, labelled like scikit-learn's digits (``"0"`` … ``"9"``, the class colours)."""
    rng = np.random.default_rng(seed)
    names = labels or [str(k) for k in range(n_labels)]
    items = [{"label": name, "color": CATEGORICAL[k % 10]} for k, name in enumerate(names)]
    label = rng.integers(0, len(names), size=n)
    return data_trait(rng.uniform(-0.95, 0.95, size=(n, 2)), rng.uniform(0, 1, n), label, items)


def mount(page, classes=10, data=None, width=640, theme=None, **traits):
    if theme:
        page.evaluate("v => { for (const [k, x] of Object.entries(v)) document.body.style.setProperty(k, x); }", theme)
    page.set_viewport_size({"width": width + 40, "height": 900})
    page.evaluate("w => { document.getElementById('host').style.width = `${w}px`; }", width)
    state, _ = widget_state(grid_partition(n=4, n_outputs=classes), "class", view=VIEW, height=360)
    state.update(data=data, **traits)
    page.evaluate("s => harness.mount(s)", state)


def box(page, selector):
    return page.locator(selector).bounding_box()


def overlap(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_ten_classes_and_ten_data_labels_make_one_strip(page):
    mount(page, classes=10, data=digits_data(10))
    cells = page.locator("#host .scw-legend .scw-strip-cell")
    assert cells.count() == 10 and page.locator("#host .scw-legend .scw-strip").count() == 1
    assert cells.all_inner_texts() == [str(k) for k in range(10)]
    assert cells.nth(3).get_attribute("title") == "class 3"
    assert page.locator("#host .scw-strip-cell .scw-dot").count() == 10, "each data colour sits in its class's cell"
    assert "predicted class · ● data" in page.locator("#host .scw-legend-title").inner_text()


def test_labels_that_are_not_the_classes_get_their_own_block(page):
    mount(page, classes=3, data=digits_data(2, labels=["cat", "dog"]))
    titles = page.locator("#host .scw-legend-title").all_inner_texts()
    assert titles == ["predicted class", "data"]
    strips = page.locator("#host .scw-strip")
    assert strips.nth(0).locator(".scw-dot").count() == 0 and strips.nth(1).locator(".scw-dot").count() == 2
    page.evaluate("harness.destroy(0)")
    mount(page, classes=3, data=digits_data(2, labels=["a cat", "a big dog"]))  # long labels: a list
    assert page.locator("#host .scw-legend-items .scw-dot").count() == 2


@pytest.mark.parametrize("width, beside", [(1500, True), (640, True), (400, False)])
def test_the_legend_is_beside_a_wide_plot_and_below_a_narrow_one_never_over_it(page, width, beside):
    mount(page, classes=10, data=digits_data(10), width=width)
    plot, legend = box(page, "#host .scw-plot"), box(page, "#host .scw-legend")
    assert not overlap(plot, legend)
    if beside:
        assert legend["x"] >= plot["x"] + plot["width"] - 1 and legend["width"] <= 220
    else:
        assert legend["y"] >= plot["y"] + plot["height"] - 1 and plot["width"] > width - 10
    assert box(page, "#host canvas.scw-base")["width"] == pytest.approx(plot["width"], abs=1)


def test_the_legend_collapses_to_its_header_and_can_be_hidden(page):
    mount(page, classes=10, data=digits_data(10))
    wide = box(page, "#host .scw-plot")["width"]
    toggle = page.locator("#host .scw-legend-toggle")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#host .scw-legend-blocks").is_visible()
    page.wait_for_function(f"document.querySelector('#host canvas.scw-base').clientWidth > {wide}")
    toggle.click()
    assert page.locator("#host .scw-legend-blocks").is_visible()
    page.evaluate("harness.kernelSet({legend: false})")
    assert not page.locator("#host .scw-legend").is_visible()
    assert box(page, "#host .scw-plot")["width"] == pytest.approx(box(page, "#host .scw")["width"] - 2, abs=1)


def test_hidden_data_points_leave_the_legend(page):
    mount(page, classes=10, data=digits_data(10))
    page.evaluate("harness.kernelSet({visible: ['edges', 'boundary', 'anchors']})")
    assert page.locator("#host .scw-strip-cell .scw-dot").count() == 0


def test_a_shared_legend_draws_the_blocks_python_sends(page):
    blocks = [
        {
            "kind": "categorical",
            "title": "predicted class",
            "items": [{"label": f"class {k}", "color": c} for k, c in enumerate(CATEGORICAL)],
        },
        {
            "kind": "categorical",
            "title": "data",
            "items": [{"label": str(k), "color": c} for k, c in enumerate(CATEGORICAL)],
            "dots": True,
        },
    ]
    page.evaluate("b => harness.mount({part: 'legend', blocks: b})", blocks)
    assert page.locator("#host .scw-shared-legend .scw-strip-cell .scw-dot").count() == 10
    page.evaluate(
        "harness.kernelSet({blocks: [{kind: 'colorbar', title: 'slope', colors: ['#000', '#fff'], min: 0, max: 2}]})"
    )
    assert page.locator("#host .scw-colorbar").is_visible()
    assert page.locator("#host .scw-colorbar-labels").inner_text().split() == ["0", "2"]
    page.evaluate("harness.destroy(0)")
    assert page.evaluate("harness.model.handlerCount()") == 0


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [400, 1500])
@pytest.mark.parametrize("classes, with_data", [(2, False), (2, True), (10, False), (10, True)])
def test_legend_screenshots(page, theme, width, classes, with_data):
    data = digits_data(classes) if with_data else None
    mount(page, classes=classes, data=data, width=width, theme=DARK if theme == "dark" else None)
    page.evaluate("harness.frames(2)")
    screenshot(page, f"legend_{classes}classes_{'data' if with_data else 'nodata'}_{width}_{theme}")
    assert not overlap(box(page, "#host .scw-plot"), box(page, "#host .scw-legend"))
