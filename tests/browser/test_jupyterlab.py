"""End to end in a real JupyterLab: run the example notebook, drag an anchor, hover, read back in the kernel."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
from conftest import ROOT, Screen, screenshot
from labserver import OUTPUT, open_notebook, wait_drawn

NOTEBOOK = ROOT / "examples" / "widget_demo.ipynb"


@pytest.fixture
def notebook(browser, lab):
    """The example notebook open in JupyterLab with its widget displayed; yields (page, run_in_kernel)."""
    base, token, root = lab
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    run = open_notebook(page, base, token, NOTEBOOK.name, run_cells=3)  # markdown, imports, the widget
    yield page, run
    run("w.close()")
    context.close()


def test_drag_an_anchor_and_hover_a_region_in_jupyterlab(notebook):
    page, run = notebook
    view = [-2.0, -2.0, 2.0, 2.0]
    state = json.loads(
        run(
            f"import json\nw.view = {view}\nw.wait()\n"
            "print(json.dumps({'seq': w.geometry['seq'], 'anchors_2d': w.anchors_2d}))"
        )
    )
    wait_drawn(page, state["seq"])
    page.locator(f"{OUTPUT} .scw").first.scroll_into_view_if_needed()
    screen = Screen(page, view, host=OUTPUT)
    screenshot(page, "jupyterlab_before", selector=f"{OUTPUT} .scw")

    # drag anchor x1 with the mouse
    start = np.array(state["anchors_2d"][1])
    target = start + [0.35, 0.5]
    page.mouse.move(*screen.page_xy(*start))
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(*screen.page_xy(*(start + (target - start) * k / 10)))
    page.mouse.up()
    code = (
        "w.wait()\n"
        "from splinecam_widget import partition\n"
        "print(json.dumps({'seq': w.geometry['seq'], 'anchors_2d': w.anchors_2d,\n"
        "  'anchors': w.anchors.tolist(), 'n_regions': w.partition.n_regions,\n"
        "  'direct': partition(w.model, w.partition.slice).n_regions,\n"
        "  'slice_anchors': w.partition.slice.anchors_2d.tolist()}))"
    )
    deadline = time.monotonic() + 30
    while True:
        after = json.loads(run(code))
        if np.allclose(after["slice_anchors"][1], target, atol=2 / screen.scale) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    np.testing.assert_allclose(after["anchors_2d"][1], target, atol=2 / screen.scale)
    np.testing.assert_allclose(after["anchors_2d"][0], state["anchors_2d"][0])
    np.testing.assert_allclose(after["slice_anchors"], after["anchors_2d"])
    assert after["n_regions"] == after["direct"]
    # the input-space anchors moved with the handle (here the input space is the plane itself, up to the frame)
    assert not np.allclose(after["anchors"][1], state["anchors_2d"][1])
    wait_drawn(page, after["seq"])

    # hover a region: the tooltip names the region the kernel finds there
    point = [0.4, -0.7]
    page.mouse.move(*screen.page_xy(*point))
    tip = page.locator(f"{OUTPUT} .scw-tooltip")
    tip.wait_for(state="visible")
    region = int(run(f"print(int(w.partition.region_at(np.array([{point}]))[0]))"))
    assert f"region {region}" in tip.inner_text()
    screenshot(page, "jupyterlab_after", selector=f"{OUTPUT} .scw")
