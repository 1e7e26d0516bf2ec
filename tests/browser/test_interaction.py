"""Hover, click, drag, pan, wheel and cleanup, against the fake model."""

from __future__ import annotations

import numpy as np
from conftest import Screen, screenshot
from scenes import grid_partition, widget_state

VIEW = [-1.2, -1.2, 1.2, 1.2]


def mount(page, p, mode="class", **kw):
    state, coloring = widget_state(p, mode, view=VIEW, **kw)
    page.evaluate("s => harness.mount(s)", state)
    return Screen(page, VIEW)


def log(page, op=None, key=None):
    entries = page.evaluate("harness.model.log")
    return [e for e in entries if (op is None or e["op"] == op) and (key is None or e.get("key") == key)]


def test_hover_shows_the_region_under_the_cursor_with_its_affine_map(page):
    p = grid_partition(n=4, n_outputs=3)
    screen = mount(page, p)
    r = 9  # i = 1, j = 2
    u, v = p.centroids[r] + [0.1, 0.05]
    page.mouse.move(*screen.page_xy(u, v))
    tip = page.locator("#host .scw-tooltip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    values = p.affine[r, :, :2] @ [u, v] + p.affine[r, :, 2]
    assert f"region {r}" in text
    assert f"class {int(np.argmax(values))}" in text
    rows = page.eval_on_selector_all(
        "#host .scw-tt-affine tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert rows[0] == ["k", "∂/∂u", "∂/∂v", "offset", "here"]
    for k, row in enumerate(rows[1:]):
        a, b, c = p.affine[r, k]
        got = [float(x) for x in row[1:]]
        np.testing.assert_allclose(got, [a, b, c, values[k]], rtol=2e-3, atol=2e-4)
    assert "area 0.25" in text
    screenshot(page, "tooltip")


def test_many_outputs_show_the_top_rows_at_the_cursor(page):
    p = grid_partition(n=2, n_outputs=12)
    screen = mount(page, p)
    u, v = p.centroids[0] + [0.2, 0.1]
    page.mouse.move(*screen.page_xy(u, v))
    page.locator("#host .scw-tooltip").wait_for(state="visible")
    rows = page.eval_on_selector_all(
        "#host .scw-tt-affine tr", "rows => rows.slice(1).map(r => Number(r.cells[0].textContent))"
    )
    values = p.affine[0, :, :2] @ [u, v] + p.affine[0, :, 2]
    assert rows == list(np.argsort(-values)[:8])
    assert "top 8 of 12 outputs" in page.locator("#host .scw-tooltip").inner_text()


def test_click_pins_the_tooltip_and_asks_python_for_the_input_slope(page):
    p = grid_partition(n=4)
    screen = mount(page, p)
    page.evaluate("""() => { harness.responder = (name, msg) => [
        {region: msg.region, shape: [3, 2], kind: 'vector'},
        [{$b64: btoa(String.fromCharCode(...new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer)))}]]; }""")
    u, v = p.centroids[6] + 0.05
    page.mouse.click(*screen.page_xy(u, v))
    page.locator("#host .scw-tt-slope").wait_for()
    assert page.evaluate("harness.requests") == [{"name": "input_slope", "msg": {"region": 6, "seq": 1}}]
    assert "input-space slope of region 6 (3 × 2)" in page.locator("#host .scw-tooltip").inner_text()
    # pinned: moving elsewhere does not change it
    page.mouse.move(*screen.page_xy(*p.centroids[0]))
    assert "region 6" in page.locator("#host .scw-tooltip").inner_text()


def test_dragging_an_anchor_sends_throttled_updates_and_always_the_final_position(page):
    p = grid_partition(n=4)
    screen = mount(page, p, anchors=[[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]])
    page.mouse.move(*screen.page_xy(0.5, -0.5))
    page.mouse.down()
    steps = 40
    for k in range(1, steps + 1):
        page.mouse.move(*screen.page_xy(0.5 + 0.3 * k / steps, -0.5 + 0.6 * k / steps))
    page.mouse.up()
    sets = log(page, "set", "anchors_2d")
    saves = log(page, "save_changes")
    assert 1 <= len(sets) < steps, "updates are throttled"
    assert len(saves) == len(sets)
    final = sets[-1]["value"]
    np.testing.assert_allclose(final[1], [0.8, 0.1], atol=1.5 / screen.scale)
    np.testing.assert_allclose(final[0], [-0.5, -0.5])
    gaps = np.diff([s["t"] for s in sets[:-1]])
    assert np.all(gaps >= 25), "no two throttled updates closer than the throttle interval"


def test_wheel_zooms_about_the_cursor_and_sends_the_visible_view_once_settled(page):
    p = grid_partition(n=4)
    screen = mount(page, p)
    x, y = screen.page_xy(0.5, 0.5)
    page.mouse.move(x, y)
    for _ in range(3):
        page.mouse.wheel(0, -100)
    page.wait_for_function("harness.model.log.some(e => e.op === 'set' && e.key === 'view')")
    views = log(page, "set", "view")
    assert len(views) == 1, "debounced: one view for the whole wheel gesture"
    u0, v0, u1, v1 = views[0]["value"]
    assert (u1 - u0) < screen.width / screen.scale / 1.5
    # the plane point under the cursor stayed there
    fx = (0.5 - u0) / (u1 - u0)
    fy = (v1 - 0.5) / (v1 - v0)
    np.testing.assert_allclose([fx * screen.width, fy * screen.height], screen.local(0.5, 0.5), atol=1.0)


def test_dragging_the_background_pans(page):
    p = grid_partition(n=4)
    screen = mount(page, p)
    x, y = screen.page_xy(-0.3, -0.3)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 50, y + 20, steps=5)
    page.mouse.up()
    page.wait_for_function("harness.model.log.some(e => e.op === 'set' && e.key === 'view')")
    u0, v0, u1, v1 = log(page, "set", "view")[-1]["value"]
    width = screen.width / screen.scale
    np.testing.assert_allclose([u0, u1 - u0], [VIEW[0] - 50 / screen.scale - (width - 2.4) / 2, width], atol=1e-6)
    np.testing.assert_allclose(v0, VIEW[1] + 20 / screen.scale, atol=1e-6)


def test_double_click_resets_the_view(page):
    p = grid_partition(n=4)
    mount(page, p)
    page.locator("#host canvas.scw-overlay").dblclick()
    assert log(page, "set", "view")[-1]["value"] is None


def test_errors_and_budget_are_shown_in_the_widget(page):
    p = grid_partition(n=4)
    mount(page, p)
    page.evaluate("harness.kernelSet({error: 'the model is in training mode', status: {state: 'error', message: ''}})")
    banner = page.locator("#host .scw-banner")
    assert banner.is_visible() and "training mode" in banner.inner_text()
    page.evaluate("harness.kernelSet({error: 'more than max_regions', status: {state: 'budget', message: ''}})")
    assert "scw-warn" in banner.get_attribute("class")
    page.evaluate("harness.kernelSet({error: null, status: {state: 'idle', message: ''}})")
    assert not banner.is_visible()


def test_progress_is_visible_while_computing(page):
    p = grid_partition(n=4)
    mount(page, p)
    page.evaluate(
        "harness.kernelSet({status: {state: 'computing', message: '', layer: 0, n_layers: 3, n_regions: 10}})"
    )
    assert "computing layer 1 of 3" in page.locator("#host .scw-status").inner_text()
    assert page.evaluate("document.querySelector('#host .scw-progress').style.width") == "33%"


def test_cleanup_removes_every_listener_and_two_views_work(page):
    p = grid_partition(n=4)
    mount(page, p)
    first = page.evaluate("harness.model.handlerCount()")
    page.evaluate("harness.mountView('host2')")
    assert page.evaluate("harness.model.handlerCount()") == 2 * first
    # both views draw at their plot's width: the first beside its legend, the second (narrow) above it
    widths = page.evaluate("[...document.querySelectorAll('canvas.scw-base')].map(c => c.width)")
    plots = page.evaluate("[...document.querySelectorAll('.scw-plot')].map(e => e.clientWidth)")
    assert widths == plots and plots[1] == 398 and 400 < plots[0] < 638
    page.evaluate("harness.destroy(0)")
    assert page.evaluate("harness.model.handlerCount()") == first
    assert page.evaluate("document.querySelector('#host').children.length") == 0
    # the second view still reacts to the kernel
    page.evaluate("harness.kernelSet({error: 'still alive', status: {state: 'error'}})")
    assert "still alive" in page.locator("#host2 .scw-banner").inner_text()
    page.evaluate("harness.destroy(1)")
    assert page.evaluate("harness.model.handlerCount()") == 0


def test_while_a_dragged_position_is_computing_the_next_waits_for_its_result(page):
    p = grid_partition(n=4)
    screen = mount(page, p, anchors=[[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]])
    page.mouse.move(*screen.page_xy(0.5, -0.5))
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(*screen.page_xy(0.5 + 0.05 * k, -0.5))
    assert len(log(page, "set", "anchors_2d")) == 1, "one position in flight, no result yet"
    state, _ = widget_state(p, "class", seq=2, view=VIEW)
    page.evaluate("s => harness.kernelSet({geometry: s.geometry, coloring: s.coloring})", state)
    sets = log(page, "set", "anchors_2d")
    assert len(sets) == 2, "the result came back: the newest position goes at once"
    np.testing.assert_allclose(sets[-1]["value"][1], [0.75, -0.5], atol=1.5 / screen.scale)
    page.mouse.up()


def test_image_slopes_are_drawn_one_image_per_class(page):
    p = grid_partition(n=4)
    screen = mount(page, p)
    # 2 classes of 4x3 images: class 0 all red, class 1 all blue (the colours are Python's business)
    page.evaluate("""() => { harness.responder = (name, msg) => {
        const rgba = new Uint8Array(2 * 4 * 3 * 4);
        for (let i = 0; i < 12; i++) { rgba.set([255, 0, 0, 255], 4 * i); rgba.set([0, 0, 255, 255], 48 + 4 * i); }
        const b64 = (a) => btoa(String.fromCharCode(...new Uint8Array(a.buffer)));
        return [{region: msg.region, shape: [2, 1, 4, 3], kind: 'image', image_shape: [4, 3], scales: [0.5, 2]},
                [{$b64: b64(new Float32Array(24))}, {$b64: b64(rgba)}]];
    }; }""")
    page.mouse.click(*screen.page_xy(*(p.centroids[6] + 0.05)))
    page.locator("#host .scw-tt-image canvas").nth(1).wait_for()
    colours = page.evaluate("""[...document.querySelectorAll('#host .scw-tt-image canvas')].map(c =>
        [c.width, c.height, ...c.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3)])""")
    assert colours == [[3, 4, 255, 0, 0], [3, 4, 0, 0, 255]]
    assert "±2" in page.locator("#host .scw-tt-images").inner_text()


def test_clicking_the_pinned_region_again_unpins_it(page):
    p = grid_partition(n=4)
    screen = mount(page, p)
    xy = screen.page_xy(*(p.centroids[6] + 0.05))
    page.mouse.click(*xy)
    assert "pinned" in page.locator("#host .scw-tooltip").inner_text()
    page.mouse.click(*xy)
    page.mouse.move(*screen.page_xy(*(p.centroids[5] + 0.05)))
    text = page.locator("#host .scw-tooltip").inner_text()
    assert "region 5" in text and "pinned" not in text


def test_pinch_zooms_in(page):
    p = grid_partition(n=4)
    screen = mount(page, p)
    page.evaluate("""() => {
      const c = document.querySelector('#host canvas.scw-overlay');
      const box = c.getBoundingClientRect();
      const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
      const ev = (type, id, dx) => c.dispatchEvent(new PointerEvent(type, {pointerId: id, pointerType: 'touch',
          clientX: cx + dx, clientY: cy, bubbles: true, isPrimary: id === 11}));
      ev('pointerdown', 11, -20); ev('pointerdown', 12, 20);
      for (let k = 1; k <= 10; k++) { ev('pointermove', 11, -20 - 4 * k); ev('pointermove', 12, 20 + 4 * k); }
      ev('pointerup', 11, -60); ev('pointerup', 12, 60);
    }""")
    page.wait_for_function("harness.model.log.some(e => e.op === 'set' && e.key === 'view')")
    u0, v0, u1, v1 = log(page, "set", "view")[-1]["value"]
    np.testing.assert_allclose(u1 - u0, screen.width / screen.scale / 3, rtol=1e-6)
    np.testing.assert_allclose([(u0 + u1) / 2, (v0 + v1) / 2], [0, 0], atol=1e-9)
