"""The toolbar, the keys and the request channel, against the fake model: settings are traits,
actions are requests, controls that need Python wait for it, keys act only with the focus."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from conftest import Screen, screenshot
from scenes import grid_partition, widget_state

VIEW = [-1.2, -1.2, 1.2, 1.2]
TOOLBAR = "#host .scw-toolbar"


def mount(page, p=None, offline=False, **traits):
    state, coloring = widget_state(p or grid_partition(n=4), "class", view=VIEW)
    state.update(traits)
    page.evaluate("off => { harness.offline = off; }", offline)
    page.evaluate("s => harness.mount(s)", state)
    if not offline:
        page.wait_for_selector("#host .scw[data-kernel=live]")
    return Screen(page, VIEW), coloring


def log(page, op=None, key=None):
    entries = page.evaluate("harness.model.log")
    return [e for e in entries if (op is None or e["op"] == op) and (key is None or e.get("key") == key)]


def requests(page):
    return [r["name"] for r in page.evaluate("harness.requests")]


def button(page, name):
    return page.locator(f"{TOOLBAR} button[aria-label^='{name}']")


# --- settings: traits both ways ----------------------------------------------------------------


def test_the_colour_menu_sets_color_by_and_follows_the_kernel(page):
    mount(page)
    menu = page.locator(f"{TOOLBAR} select")
    assert menu.input_value() == "class"
    assert page.eval_on_selector(f"{TOOLBAR} select", "s => [...s.options].map(o => o.value)") == [
        "slope",
        "class",
        "output",
        "pattern",
        "layer",
    ]
    menu.select_option("pattern")
    assert log(page, "set", "color_by")[-1]["value"] == "pattern"
    assert log(page)[-1]["op"] == "save_changes"
    page.evaluate("harness.kernelSet({color_by: 'slope'})")
    assert menu.input_value() == "slope"


def test_toggles_hide_edges_boundary_anchors_and_data(page):
    p = grid_partition(n=4)
    screen, coloring = mount(page, p)
    x, y = screen.local(0.0, -0.75)  # on the interior edge u = 0
    fills = {tuple(coloring.fill[r, :3]) for r in range(p.n_regions)}
    edge = page.evaluate("([x, y]) => [harness.pixel(x - 0.5, y), harness.pixel(x + 0.5, y)]", [x, y])
    assert any(tuple(px[:3]) not in fills for px in edge), "an edge darkens the fill"
    bx, by = screen.local(0.5, 0.0)  # on the decision boundary v = 0
    assert sum(page.evaluate("([x, y]) => harness.pixel(x, y)", [bx, by])[:3]) < 200
    hx, hy = screen.local(0.5, -0.5)  # anchor x1's handle
    assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [hx, hy])[3] == 255

    for part in ("edges", "boundary", "anchors"):
        page.locator(f"{TOOLBAR} button[data-part={part}]").click()
    assert log(page, "set", "visible")[-1]["value"] == ["data"]
    assert page.locator(f"{TOOLBAR} button[data-part=edges]").get_attribute("aria-pressed") == "false"
    page.evaluate("harness.frames()")
    edge = page.evaluate("([x, y]) => [harness.pixel(x - 0.5, y), harness.pixel(x + 0.5, y)]", [x, y])
    assert all(tuple(px[:3]) in fills for px in edge), "no edges"
    assert tuple(page.evaluate("([x, y]) => harness.pixel(x, y)", [bx, by])[:3]) in fills, "no boundary"
    assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [hx, hy])[3] == 0, "no handle"
    # a hidden handle cannot be dragged: the press pans instead
    page.mouse.move(*screen.page_xy(0.5, -0.5))
    page.mouse.down()
    page.mouse.move(*screen.page_xy(0.6, -0.4), steps=4)
    page.mouse.up()
    assert not log(page, "set", "anchors_2d") and "begin_anchor_move" not in requests(page)
    assert page.locator(f"{TOOLBAR} button[data-part=data]").is_disabled(), "no data points to show"
    # the kernel sets them back
    page.evaluate("harness.kernelSet({visible: ['edges', 'boundary', 'anchors', 'data']})")
    assert page.locator(f"{TOOLBAR} button[data-part=anchors]").get_attribute("aria-pressed") == "true"


def test_without_the_toolbar_the_status_sits_on_the_plot(page):
    mount(page, toolbar=False)
    assert not page.locator(TOOLBAR).is_visible()
    assert page.locator("#host .scw-plot .scw-status").inner_text().startswith("16 regions · colour: class")
    page.evaluate("harness.kernelSet({toolbar: true})")
    assert page.locator(f"{TOOLBAR} .scw-status").inner_text() == "16 regions"


# --- actions: requests to Python ----------------------------------------------------------------


def test_controls_that_need_python_wait_for_its_first_answer(page):
    mount(page, offline=True)  # a saved page: no kernel answers
    page.evaluate("harness.frames(4)")
    for name in ("undo", "download the view as an exact PNG", "download the view as SVG"):
        assert button(page, name).is_disabled()
    assert page.locator(f"{TOOLBAR} select").is_disabled()
    assert "needs a running kernel" in page.locator(f"{TOOLBAR} select").get_attribute("title")
    assert not page.locator(f"{TOOLBAR} button[data-part=edges]").is_disabled(), "drawn here: no kernel needed"


def test_undo_is_offered_when_python_has_a_move_to_undo(page):
    screen, _ = mount(page, anchors_2d=[[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]])
    undo = button(page, "undo")
    assert undo.is_disabled()
    # grabbing a handle tells Python before the drag's first position
    page.mouse.move(*screen.page_xy(0.5, -0.5))
    page.mouse.down()
    page.mouse.move(*screen.page_xy(0.7, -0.4), steps=3)
    page.mouse.up()
    sends = [e for e in log(page) if e["op"] == "send" and e["content"]["name"] != "hello"]
    first_set = next(i for i, e in enumerate(log(page)) if e.get("key") == "anchors_2d")
    assert sends[0]["content"]["name"] == "begin_anchor_move"
    assert log(page).index(sends[0]) < first_set
    page.evaluate("harness.responder = () => [{ok: true}, []]")
    page.evaluate("harness.kernelSet({can_undo: true})")
    assert undo.is_enabled()
    undo.click()
    page.wait_for_function("harness.requests.some(r => r.name === 'undo_anchor_move')")


def test_a_refused_undo_shows_why(page):
    mount(page, can_undo=True)
    page.evaluate("harness.responder = () => [{error: 'there is no anchor move to undo on this plane'}, []]")
    button(page, "undo").click()
    notice = page.locator(f"{TOOLBAR} .scw-tb-notice")
    notice.wait_for(state="visible")
    assert "no anchor move to undo" in notice.inner_text()


@pytest.mark.parametrize("fmt, mime", [("png", "image/png"), ("svg", "image/svg+xml")])
def test_downloads_save_the_file_python_renders(page, fmt, mime):
    screen, _ = mount(page)
    data = b"\x89PNG\r\n\x1a\nfake" if fmt == "png" else b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    page.evaluate(
        """([b64, fmt, mime]) => { harness.responder = (name, msg) =>
             [{name: `splinecam-class.${fmt}`, mime, size: 4}, [{$b64: b64}]]; }""",
        [base64.b64encode(data).decode(), fmt, mime],
    )
    with page.expect_download() as info:
        button(page, f"download the view as {'an exact PNG' if fmt == 'png' else 'SVG'}").click()
    download = info.value
    assert download.suggested_filename == f"splinecam-class.{fmt}"
    with open(download.path(), "rb") as f:
        assert f.read() == data
    (request,) = page.evaluate("harness.requests")
    assert request == {"name": "export", "msg": {"format": fmt, "width": round(screen.width)}}


def test_a_failed_download_says_why(page):
    mount(page)
    page.evaluate("harness.responder = () => [{error: 'there is no partition to save: nothing computed yet'}, []]")
    button(page, "download the view as SVG").click()
    page.locator(f"{TOOLBAR} .scw-tb-notice").wait_for(state="visible")
    assert "nothing computed yet" in page.locator(f"{TOOLBAR} .scw-tb-notice").inner_text()


def test_the_status_shows_time_progress_and_a_cancel_button(page):
    mount(page, status={"state": "idle", "message": "", "layer": -1, "n_layers": 0, "n_regions": 16, "seconds": 0.123})
    status = page.locator(f"{TOOLBAR} .scw-status")
    assert status.inner_text() == "16 regions · 123 ms"
    cancel = button(page, "cancel")
    assert not cancel.is_visible()
    computing = {"state": "computing", "message": "", "layer": 1, "n_layers": 4, "n_regions": 9, "seconds": 2.5}
    page.evaluate("s => harness.kernelSet({status: s})", computing)
    assert status.inner_text() == "16 regions · computing layer 2 of 4 · 2.50 s"
    assert page.evaluate(f"document.querySelector('{TOOLBAR} .scw-tb-meter > div').style.width") == "50%"
    screenshot(page, "toolbar_computing", selector=TOOLBAR)
    cancel.click()
    page.wait_for_function("harness.requests.some(r => r.name === 'cancel')")
    page.evaluate("harness.kernelSet({status: {state: 'cancelled', message: 'cancelled', layer: -1, n_layers: 0}})")
    assert status.inner_text() == "16 regions · cancelled" and not cancel.is_visible()


# --- keys -------------------------------------------------------------------------------------


def view_sets(page):
    return [e["value"] for e in log(page, "set", "view")]


def test_arrows_pan_and_plus_minus_zoom_when_the_plot_has_the_focus(page):
    screen, _ = mount(page)
    page.evaluate("window.keysSeen = 0; document.addEventListener('keydown', () => window.keysSeen++)")
    page.keyboard.press("ArrowLeft")  # the page has the focus, not the widget: nothing happens
    page.wait_for_timeout(250)
    assert view_sets(page) == []
    page.mouse.click(*screen.page_xy(1.15, 1.15))  # a click on the picture gives it the focus
    assert page.evaluate("document.activeElement.className") == "scw-plot"
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("harness.model.log.some(e => e.op === 'set' && e.key === 'view')")
    u0, v0, u1, v1 = view_sets(page)[-1]
    width = screen.width / screen.scale
    np.testing.assert_allclose((u0 + u1) / 2, -0.1 * width, atol=1e-9)  # the picture moved right
    page.keyboard.press("+")
    page.wait_for_function("harness.model.log.filter(e => e.op === 'set' && e.key === 'view').length === 2")
    z0, _, z1, _ = view_sets(page)[-1]
    np.testing.assert_allclose(z1 - z0, (u1 - u0) / 1.25, rtol=1e-9)
    page.keyboard.press("Minus")
    page.wait_for_function("harness.model.log.filter(e => e.op === 'set' && e.key === 'view').length === 3")
    np.testing.assert_allclose(np.diff(view_sets(page)[-1][::2]), u1 - u0, rtol=1e-9)
    assert page.evaluate("window.keysSeen") == 1, "the widget's keys do not reach the notebook"


def test_escape_cancels_a_computation_else_drops_the_pinned_tooltip(page):
    p = grid_partition(n=4)
    screen, _ = mount(page, p)
    page.mouse.click(*screen.page_xy(*(p.centroids[6] + 0.05)))
    tip = page.locator("#host .scw-tooltip")
    assert "pinned" in tip.inner_text()
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    computing = {"state": "computing", "message": "", "layer": 0, "n_layers": 3, "n_regions": 9}
    page.evaluate("s => harness.kernelSet({status: s})", computing)
    page.keyboard.press("Escape")
    page.wait_for_function("harness.requests.some(r => r.name === 'cancel')")


def test_the_channel_ignores_other_views_answers_and_late_answers(page):
    p = grid_partition(n=4)
    screen, _ = mount(page, p)
    page.evaluate("harness.mountView('host2')")  # a second view of the same model
    sent = page.evaluate("harness.model.log.filter(e => e.op === 'send').map(e => e.content.id)")
    assert len(set(sent)) == len(sent) == 2, "each view's hello has its own id"
    # an answer to an id nobody asked for, then the real one
    page.evaluate("""() => { harness.responder = (name, msg) => {
        harness.model.emitCustom({type: 'splinecam:response', id: 'nobody-1', content: {error: 'not yours'}}, []);
        return [{region: msg.region, shape: [3, 2], kind: 'vector'},
                [{$b64: btoa(String.fromCharCode(...new Uint8Array(new Float32Array(6).buffer)))}]]; }; }""")
    page.mouse.click(*screen.page_xy(*(p.centroids[6] + 0.05)))
    page.locator("#host .scw-tt-slope").wait_for()
    assert "not yours" not in page.locator("#host .scw-tooltip").inner_text()


def test_cleanup_removes_the_key_and_message_listeners(page):
    screen, _ = mount(page)
    page.mouse.click(*screen.page_xy(1.15, 1.15))
    page.evaluate("window.plot = document.querySelector('#host .scw-plot')")
    page.evaluate("harness.destroy(0)")
    assert page.evaluate("harness.model.handlerCount()") == 0
    page.evaluate("plot.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}))")
    page.wait_for_timeout(250)
    assert view_sets(page) == []


# --- looks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [400, 1500])
def test_toolbar_screenshots(page, theme, width):
    if theme == "dark":
        page.evaluate("""() => { const vars = {'--jp-layout-color0': '#111111', '--jp-layout-color1': '#1e1e1e',
          '--jp-layout-color2': '#2c2c2c', '--jp-ui-font-color0': '#eeeeee', '--jp-ui-font-color1': '#dddddd',
          '--jp-ui-font-color2': '#9a9a9a', '--jp-border-color1': '#555555', '--jp-border-color2': '#3a3a3a'};
          for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v); }""")
    page.set_viewport_size({"width": width + 40, "height": 900})
    page.evaluate("w => { document.getElementById('host').style.width = `${w}px`; }", width)
    status = {"state": "computing", "message": "", "layer": 2, "n_layers": 5, "n_regions": 1234, "seconds": 1.4}
    mount(page, grid_partition(n=6, n_outputs=2), status=status, can_undo=True)
    screenshot(page, f"toolbar_{theme}_{width}")
    box = page.locator(TOOLBAR).bounding_box()
    assert box["height"] < (64 if width < 500 else 34), "compact: one row when wide, two at most when narrow"
