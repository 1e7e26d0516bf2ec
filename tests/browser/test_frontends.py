"""The widget in every front end people run notebooks in: JupyterLab, Notebook 7, Voilà and marimo.

In each: it renders, the hover tooltip names the region Python finds, a click pins it and Python
answers its request (over custom messages: marimo has no `invoke`), a drag reaches Python, a wheel
zoom recomputes, the toolbar (colour mode, what is drawn, undo, reset view, PNG download) and the keys
work, a data point's picture comes from Python and the point becomes an anchor, and the widget
follows the front end's light and dark themes.  Python's side is read from a probe file
the kernel writes (frontends.py), so Voilà and `marimo run`, which have no code cells, are read like
the others.  (VS Code and Colab cannot run here; the widget keeps to the standard protocol for them.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Screen, screenshot
from frontends import (
    PROBE_POINT,
    marimo_run,
    notebook7,
    voila,
    wait_probe,
    write_marimo_app,
    write_notebook,
)
from labserver import OUTPUT, wait_for_kernel

START = [-2.0, -2.0, 2.0, 2.0]  # the view the notebook sets: a known plane-to-page mapping
JUPYTER_THEME = "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})"


def open_jupyter(page, url: str) -> None:
    """Open a notebook in JupyterLab or Notebook 7 and run its cell once the kernel is ready."""
    page.goto(url)
    wait_for_kernel(page)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
    yield context
    context.close()


def pixel_luminance(page, selector: str) -> float:
    """Luminance (0-255) of the widget's background colour."""
    rgb = page.locator(selector).first.evaluate(
        "e => getComputedStyle(e).backgroundColor.match(/[\\d.]+/g).slice(0, 3).map(Number)"
    )
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def exercise(page, probe, name: str) -> None:
    """Everything a user does with the widget, checked against what Python sees."""
    widget = page.locator(".scw").first
    widget.wait_for(timeout=90_000)
    page.locator(".scw[data-kernel=live]").wait_for(timeout=60_000)
    state = wait_probe(probe, lambda s: s["n_regions"] is not None and s["view"] == START)
    page.wait_for_function(
        "([el, seq]) => el.dataset.drawnSeq === seq", arg=[widget.element_handle(), str(state["seq"])], timeout=30_000
    )
    widget.scroll_into_view_if_needed()
    screen = Screen(page, START, host=".scw")
    tip = page.locator(".scw-tooltip")

    # hover: the tooltip names the region Python finds at that point; a click pins it and asks Python
    page.mouse.move(*screen.page_xy(*PROBE_POINT))
    tip.wait_for(state="visible")
    assert f"region {state['probe_region']}" in tip.inner_text()
    page.mouse.click(*screen.page_xy(*PROBE_POINT))
    page.locator(".scw-tt-slope").wait_for(timeout=20_000)
    assert f"input-space slope of region {state['probe_region']} (3 × 2×2)" in tip.inner_text()
    assert page.locator(".scw-tt-images canvas").count() == 3, "one picture per class: the inputs are images"
    screenshot(page, f"{name}_light", selector=".scw")
    page.keyboard.press("Escape")  # the click gave the plot the focus: Escape drops the pinned tip
    tip.wait_for(state="hidden")

    # drag x1: Python computes the plane through the new position; undo puts it back
    start = np.array(state["anchors_2d"][1])
    target = start + [0.3, 0.4]
    page.mouse.move(*screen.page_xy(*start))
    page.mouse.down()
    for k in range(1, 9):
        page.mouse.move(*screen.page_xy(*(start + (target - start) * k / 8)))
    page.mouse.up()
    moved = wait_probe(probe, lambda s: np.allclose(s["slice_anchors"][1], target, atol=2 / screen.scale))
    assert moved["can_undo"] and np.allclose(moved["anchors_2d"], moved["slice_anchors"])
    if name == "marimo":  # the value of mo.ui.anywidget(w) reached the cell that reads it
        page.get_by_text(f"Python sees x1 at [{round(target[0], 3)}").wait_for(timeout=20_000)
    undo = page.locator(".scw-toolbar button[aria-label^=undo]")
    undo.click()
    wait_probe(probe, lambda s: np.allclose(s["slice_anchors"][1], start) and not s["can_undo"])

    # wheel zoom: Python computes the partition of the new window
    page.mouse.move(*screen.page_xy(0.5, 0.5))
    page.mouse.wheel(0, -300)
    zoomed = wait_probe(probe, lambda s: s["view"] not in (None, START) and s["domain"] is not None)
    zoomed = wait_probe(probe, lambda s: np.allclose(np.min(s["domain"], 0), s["view"][:2]))
    assert zoomed["view"][2] - zoomed["view"][0] < 0.8 * screen.width / screen.scale, "zoomed in"

    # keys: an arrow pans (the plot has the focus since the click)
    page.mouse.click(*screen.page_xy(-1.5, 1.5))
    page.keyboard.press("ArrowRight")
    wait_probe(probe, lambda s: s["view"] and s["view"][0] > zoomed["view"][0] + 1e-6)

    # toolbar: reset view, colour mode, what is drawn, a PNG download
    page.locator(".scw-toolbar button[aria-label^=reset]").click()
    wait_probe(probe, lambda s: s["view"] is None)
    page.locator(".scw-toolbar select").select_option("pattern")
    page.locator(".scw-toolbar button[data-part=edges]").click()
    wait_probe(probe, lambda s: s["color_by"] == "pattern" and "edges" not in s["visible"])
    with page.expect_download(timeout=60_000) as info:
        page.locator(".scw-toolbar button[aria-label*=PNG]").click()
    with open(info.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert info.value.suggested_filename == "splinecam-pattern.png"
    assert pixel_luminance(page, ".scw") > 128

    # data points: shown from the toolbar; a click asks Python for the point's picture; "use as x2"
    page.locator(".scw-toolbar button[data-part=data]").click()
    state = wait_probe(probe, lambda s: "data" in s["visible"])
    rect = settled_view(page, widget)  # the data legend appeared beside the plot: the camera refitted
    screen = Screen(page, rect, host=".scw")
    row = lonely_point(np.array(state["data_uv"]), np.array(state["anchors_2d"]), rect, 14 / screen.scale)
    page.mouse.click(*screen.page_xy(*state["data_uv"][row]))
    page.locator(".scw-tt-sample-image canvas").wait_for(timeout=20_000)
    assert f"sample {row}" in tip.inner_text()
    tip.locator("button", has_text="use as x2").click()
    wait_probe(probe, lambda s: s["x2_row"] == row and s["n_regions"] is not None)


def settled_view(page, widget) -> list[float]:
    """The plane rectangle the widget shows, once it stays the same for a few frames."""
    rect = None
    while True:
        page.wait_for_timeout(200)
        now = json.loads(widget.get_attribute("data-view"))
        if now == rect:
            return rect
        rect = now


def lonely_point(uv, anchors, rect, gap: float) -> int:
    """A data point well inside ``rect``, at least ``gap`` from the other points and the anchors."""
    u0, v0, u1, v1 = rect
    inside = (uv[:, 0] > u0 + 0.1 * (u1 - u0)) & (uv[:, 0] < u1 - 0.1 * (u1 - u0))
    inside &= (uv[:, 1] > v0 + 0.1 * (v1 - v0)) & (uv[:, 1] < v1 - 0.1 * (v1 - v0))
    others = np.concatenate([uv, anchors])
    nearest = np.array([np.sort(np.linalg.norm(others - p, axis=1))[1] for p in uv])
    nearest[~inside] = -1
    row = int(np.argmax(nearest))
    assert nearest[row] > gap, "no data point alone enough to click"
    return row


def check_dark(page, name: str) -> None:
    page.wait_for_function(
        "el => { const c = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g).map(Number);"
        " return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 100; }",
        arg=page.locator(".scw").first.element_handle(),
        timeout=20_000,
    )
    page.wait_for_timeout(300)  # the canvas repaints in the next frame
    screenshot(page, f"{name}_dark", selector=".scw")


def test_jupyterlab(context, lab, tmp_path):
    base, token, root = lab
    probe = tmp_path / "probe.json"
    write_notebook(root / "frontends.ipynb", probe)
    page = context.new_page()
    open_jupyter(page, f"{base}/lab/tree/frontends.ipynb?reset&token={token}")
    exercise(page, probe, "jupyterlab")
    page.evaluate(JUPYTER_THEME, "JupyterLab Dark")
    try:
        check_dark(page, "jupyterlab")
        assert page.locator(f"{OUTPUT} .scw").count() == 1
    finally:  # the theme is a setting of the server the other JupyterLab tests share
        page.evaluate(JUPYTER_THEME, "JupyterLab Light")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'true'")


def test_notebook7(context, tmp_path):
    pytest.importorskip("notebook")
    probe = tmp_path / "probe.json"
    write_notebook(tmp_path / "frontends.ipynb", probe)
    with notebook7(tmp_path, tmp_path / "home") as (base, token):
        page = context.new_page()
        open_jupyter(page, f"{base}/notebooks/frontends.ipynb?token={token}")
        exercise(page, probe, "notebook7")
        page.evaluate(JUPYTER_THEME, "JupyterLab Dark")
        check_dark(page, "notebook7")


def test_voila(context, tmp_path):
    pytest.importorskip("voila")
    probe = tmp_path / "probe.json"
    notebook = write_notebook(tmp_path / "frontends.ipynb", probe)
    with voila(notebook, tmp_path / "home") as base:
        page = context.new_page()
        page.goto(base)
        exercise(page, probe, "voila")
        assert page.locator(".jp-InputArea, .jp-Cell-inputWrapper").count() == 0, "Voilà shows no code"
        page.goto(f"{base}/?theme=dark")
        check_dark(page, "voila")


def test_marimo(context, tmp_path):
    pytest.importorskip("marimo")
    probe = tmp_path / "probe.json"
    app = write_marimo_app(tmp_path / "app.py", probe)
    with marimo_run(app, tmp_path / "home") as base:
        page = context.new_page()
        page.goto(base)
        exercise(page, probe, "marimo")
        page.emulate_media(color_scheme="dark")
        check_dark(page, "marimo")
