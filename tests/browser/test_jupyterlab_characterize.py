"""End to end in a real JupyterLab: a comparison's linked zoom, its one legend, a data point used as anchor,
the checkpoint slider."""

from __future__ import annotations

import json
import time

import nbformat
import numpy as np
import pytest
from conftest import Screen, screenshot
from labserver import OUTPUT, open_notebook

SETUP = """
import json
import numpy as np
import torch
from splinecam_widget import SplineCamWidget, compare, partition

def mlp(widths, seed):
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()

rng = np.random.default_rng(0)
anchors = rng.normal(size=(3, 4))
X = rng.normal(size=(60, 4))
y = rng.integers(0, 10, size=60)
"""

COMPARE = """
cmp = compare([mlp([4, 16, 16, 10], 1), mlp([4, 32, 10], 2), mlp([4, 24, 10], 3)], anchors,
              names=["deep", "wide", "medium"], color_by="class", height=300)
cmp.show_data(X, y)
cmp
"""

CHECKPOINTS = """
net = mlp([4, 16, 16, 3], 0)
states = [mlp([4, 16, 16, 3], s).state_dict() for s in range(3)]
w = SplineCamWidget(net, anchors, checkpoints=states, checkpoint_labels=["early", "middle", "late"], height=300)
w
"""


def open_cells(browser, lab, name, *cells, width=1300):
    base, token, root = lab
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / name)
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    return context, page, open_notebook(page, base, token, name, run_cells=len(cells))


def poll(run, code, done, timeout=30.0):
    """Run ``code`` (printing JSON) in the kernel until ``done(result)`` or the timeout; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = json.loads(run(code))
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def wait_all_drawn(page, seqs):
    page.wait_for_function(
        f"() => {{ const v = [...document.querySelectorAll('{OUTPUT} .scw')].map(e => e.dataset.drawnSeq);"
        f" return JSON.stringify(v) === '{json.dumps([str(s) for s in seqs], separators=(',', ':'))}'; }}",
        timeout=30_000,
    )


@pytest.fixture
def comparison(browser, lab):
    context, page, run = open_cells(browser, lab, "compare.ipynb", SETUP, COMPARE, width=1500)
    yield page, run
    run("[w.close() for w in cmp.widgets]")
    context.close()


def test_zoom_one_view_all_follow_then_use_a_data_point_as_anchor(comparison):
    page, run = comparison
    view = [-2.5, -2.5, 2.5, 2.5]
    seqs = json.loads(
        run(f"cmp.view = {view}\ncmp.wait()\nprint(json.dumps([w.geometry['seq'] for w in cmp.widgets]))")
    )
    wait_all_drawn(page, seqs)
    page.locator(f"{OUTPUT} .scw").first.scroll_into_view_if_needed()
    screens = [Screen(page, view, host=OUTPUT, index=i) for i in range(3)]
    page.wait_for_function(f"[...document.querySelectorAll('{OUTPUT}')].some(e => e.innerText.includes('regions ·'))")
    assert "deep" in page.locator(OUTPUT).last.inner_text() and "per unit²" in page.locator(OUTPUT).last.inner_text()
    # one legend for the three views, over none of them: ten classes and ten labels in one strip
    page.locator(f"{OUTPUT} .scw-shared-legend .scw-strip-cell .scw-dot").nth(9).wait_for()
    assert page.locator(f"{OUTPUT} .scw-shared-legend").count() == 1
    assert not any(legend.is_visible() for legend in page.locator(f"{OUTPUT} .scw .scw-legend").all())
    legend = page.locator(f"{OUTPUT} .scw-shared-legend").bounding_box()
    for plot in page.locator(f"{OUTPUT} .scw-plot").all():
        box = plot.bounding_box()
        assert legend["y"] + legend["height"] <= box["y"] or legend["x"] + legend["width"] <= box["x"]
    screenshot(page, "jupyterlab_compare", selector=f"{OUTPUT} >> nth=-1")

    # zoom the first view with the wheel: the second follows, and each recomputes its own partition there
    page.mouse.move(*screens[0].page_xy(0.3, 0.2))
    page.mouse.wheel(0, -400)
    code = (
        "[w.wait() for w in cmp.widgets]\n"
        "print(json.dumps({'views': [w.view for w in cmp.widgets],"
        " 'domains': [w.partition.slice.domain.tolist() for w in cmp.widgets],"
        " 'seqs': [w.geometry['seq'] for w in cmp.widgets]}))"
    )
    after = poll(run, code, lambda r: all(v != view for v in r["views"]))
    zoomed = np.array(after["views"])
    assert np.all(zoomed[:, 2] - zoomed[:, 0] < 4.0), after["views"]  # zoomed in, both
    for other in zoomed[1:]:
        np.testing.assert_allclose(other, zoomed[0], rtol=1e-6, atol=1e-9)
    for rect, domain in zip(zoomed, after["domains"]):
        domain = np.array(domain)
        np.testing.assert_allclose([*domain.min(axis=0), *domain.max(axis=0)], rect, atol=1e-9)
    wait_all_drawn(page, after["seqs"])
    screenshot(page, "jupyterlab_compare_zoomed", selector=f"{OUTPUT} .scw >> nth=1")

    # a data point well inside the zoomed window, away from the other points and the anchors
    rect = zoomed[0]
    info = json.loads(
        run(
            "p = cmp.widgets[1].partition\n"
            "print(json.dumps({'uv': p.slice.to_plane(X).tolist(), 'anchors': cmp.widgets[1].anchors_2d}))"
        )
    )
    uv, taken = np.array(info["uv"]), np.array(info["anchors"])
    centre, half = (rect[:2] + rect[2:]) / 2, (rect[2:] - rect[:2]) / 2
    inside = np.all(np.abs(uv - centre) < 0.7 * half, axis=1)
    others = np.concatenate([uv, taken])
    gaps = np.array([np.sort(np.linalg.norm(others - p, axis=1))[1] for p in uv])
    gaps[~inside] = -1
    row = int(np.argmax(gaps))
    assert gaps[row] > 0, "no data point inside the zoomed window"
    screen = Screen(page, list(rect), host=OUTPUT, index=1)
    page.mouse.click(*screen.page_xy(*uv[row]))
    button = page.locator(f"{OUTPUT} .scw-tooltip button", has_text="use as x1")
    button.wait_for(state="visible")
    assert f"sample {row}" in page.locator(f"{OUTPUT} .scw-tooltip").nth(1).inner_text()
    screenshot(page, "jupyterlab_compare_menu", selector=f"{OUTPUT} .scw >> nth=1")
    button.click()
    code = (
        "[w.wait() for w in cmp.widgets]\n"
        "print(json.dumps({'anchors': [w.anchors.tolist() for w in cmp.widgets],"
        " 'n': [w.partition.n_regions for w in cmp.widgets],"
        " 'direct': [partition(w.model, w.partition.slice).n_regions for w in cmp.widgets]}))"
    )
    want = np.array(json.loads(run(f"print(json.dumps(X[{row}].tolist()))")))
    result = poll(run, code, lambda r: all(np.allclose(a[1], want) for a in r["anchors"]))
    for anchors in result["anchors"]:
        np.testing.assert_array_equal(anchors[1], want)
    assert result["n"] == result["direct"]


@pytest.fixture
def slider_widget(browser, lab):
    context, page, run = open_cells(browser, lab, "checkpoints.ipynb", SETUP, CHECKPOINTS)
    yield page, run
    run("w.close()")
    context.close()


def test_the_checkpoint_slider_switches_networks_in_the_kernel(slider_widget):
    page, run = slider_widget
    slider = page.locator(f"{OUTPUT} .scw input[type=range]")
    slider.scroll_into_view_if_needed()
    assert "early · 1 / 3" in page.locator(f"{OUTPUT} .scw").inner_text()
    code = (
        "w.wait()\nprint(json.dumps({'checkpoint': w.checkpoint, 'n': w.partition.n_regions, 'seq': w.geometry['seq'],"
        " 'direct': partition(mlp([4, 16, 16, 3], w.checkpoint), w.partition.slice).n_regions}))"
    )
    # keyboard: two steps right
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    result = poll(run, code, lambda r: r["checkpoint"] == 2)
    assert result["checkpoint"] == 2 and result["n"] == result["direct"]
    page.wait_for_function(f"document.querySelector('{OUTPUT} .scw').dataset.drawnSeq === '{result['seq']}'")
    assert "late · 3 / 3" in page.locator(f"{OUTPUT} .scw").inner_text()
    screenshot(page, "jupyterlab_checkpoint_slider", selector=f"{OUTPUT} .scw")
    # mouse: drag the thumb to the left end
    box = slider.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 6, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    result = poll(run, code, lambda r: r["checkpoint"] == 0)
    assert result["checkpoint"] == 0 and result["n"] == result["direct"]
