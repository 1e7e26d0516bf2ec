"""Linked viewports, the checkpoint slider, the data overlay and anchor thumbnails, against fake models."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Screen, screenshot
from scenes import anchor_images_trait, data_trait, grid_partition, solid_images, to_page, widget_state

VIEW = [-1.2, -1.2, 1.2, 1.2]
GROUPS = "globalThis[Symbol.for('splinecam-widget.link-groups.v1')]"
DARK = {
    "--jp-layout-color0": "#111111",
    "--jp-layout-color1": "#1e1e1e",
    "--jp-ui-font-color0": "#eeeeee",
    "--jp-ui-font-color1": "#dddddd",
    "--jp-ui-font-color2": "#9a9a9a",
    "--jp-border-color1": "#555555",
    "--jp-border-color2": "#444444",
}


def mount(page, host="host", p=None, **traits):
    """Mount a view of a model of its own in ``host`` with the grid scene; returns (Screen, view index)."""
    state, _ = widget_state(p or grid_partition(n=4), "class", view=VIEW)
    state.update(traits)
    view = page.evaluate("([host, state]) => harness.mountOwn(host, state)", [host, state])
    return Screen(page, VIEW, host=f"#{host}"), view


def log(page, view, op=None, key=None):
    entries = page.evaluate("i => harness.models[i].log", view)
    return [e for e in entries if (op is None or e["op"] == op) and (key is None or e.get("key") == key)]


def wait_sets(page, view, key, n=1):
    page.wait_for_function(
        "([i, key, n]) => harness.models[i].log.filter(e => e.op === 'set' && e.key === key).length >= n",
        arg=[view, key, n],
    )


def shown_view(page, host="host"):
    return json.loads(page.evaluate("h => document.querySelector(`#${h} .scw`).dataset.view", host))


def use_theme(page, variables):
    page.evaluate(
        "vars => { for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v); }", variables
    )


def wheel(page, screen, u, v, steps=3):
    page.mouse.move(*screen.page_xy(u, v))
    for _ in range(steps):
        page.mouse.wheel(0, -100)


# --- linked viewports ------------------------------------------------------------------------


def test_zooming_a_linked_view_moves_the_group_and_each_view_sends_its_own_view(page):
    a_screen, a = mount(page, "host", link_group="g")
    _, b = mount(page, "host3", link_group="g")
    _, c = mount(page, "host2", link_group="other")
    c_before = shown_view(page, "host2")
    wheel(page, a_screen, 0.5, 0.5)
    wait_sets(page, b, "view")
    wait_sets(page, a, "view")
    page.wait_for_timeout(300)
    np.testing.assert_allclose(shown_view(page, "host3"), shown_view(page, "host"), rtol=1e-6)
    # each view sent its own window once, after settling, as if its own user had zoomed; nobody echoed
    for view, host in [(a, "host"), (b, "host3")]:
        sets = log(page, view, "set", "view")
        assert len(sets) == 1
        np.testing.assert_allclose(sets[0]["value"], shown_view(page, host), rtol=1e-12)
        assert log(page, view)[-1]["op"] == "save_changes"
    assert shown_view(page, "host") != VIEW
    # another group did not move
    assert shown_view(page, "host2") == c_before and not log(page, c, "set", "view")
    # the follower leads too: pan it, the first view follows
    page.locator("#host3").scroll_into_view_if_needed()
    x, y = Screen(page, shown_view(page, "host3"), host="#host3").page_xy(0.0, -0.2)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 30, steps=6)
    page.mouse.up()
    wait_sets(page, a, "view", 2)
    wait_sets(page, b, "view", 2)
    page.wait_for_timeout(300)
    np.testing.assert_allclose(shown_view(page, "host"), shown_view(page, "host3"), rtol=1e-6)
    assert len(log(page, a, "set", "view")) == len(log(page, b, "set", "view")) == 2
    screenshot(page, "linked_views", "body")


def test_linked_views_of_other_sizes_share_centre_and_zoom_and_follow_a_reset(page):
    a_screen, a = mount(page, "host", link_group="g")
    _, c = mount(page, "host2")  # 400 px wide, not linked yet
    page.evaluate("i => harness.kernelSet({link_group: 'g'}, 8, i)", c)
    wheel(page, a_screen, 0.3, -0.4)
    wait_sets(page, c, "view")
    (a0, b0, a1, b1), (c0, d0, c1, d1) = shown_view(page, "host"), shown_view(page, "host2")
    np.testing.assert_allclose([(c0 + c1) / 2, (d0 + d1) / 2], [(a0 + a1) / 2, (b0 + b1) / 2], rtol=1e-9, atol=1e-12)
    widths = page.evaluate("[...document.querySelectorAll('canvas.scw-overlay')].map(c => c.clientWidth)")
    np.testing.assert_allclose((c1 - c0) / widths[1], (a1 - a0) / widths[0], rtol=1e-9)
    # a double click resets the first view: the second shows the same centre at the same zoom
    page.mouse.dblclick(*a_screen.page_xy(0.3, -0.4))  # where the cursor is: the tooltip is beside it
    wait_sets(page, c, "view", 2)
    (a0, b0, a1, b1), (c0, d0, c1, d1) = shown_view(page, "host"), shown_view(page, "host2")
    np.testing.assert_allclose(
        [(c0 + c1) / 2, (c1 - c0) / widths[1]], [(a0 + a1) / 2, (a1 - a0) / widths[0]], rtol=1e-9
    )
    assert log(page, a, "set", "view")[-1]["value"] is None


def test_an_unmounted_or_unlinked_view_leaves_its_group(page):
    a_screen, a = mount(page, "host", link_group="g")
    _, b = mount(page, "host3", link_group="g")
    _, c = mount(page, "host2", link_group="g")
    assert page.evaluate(f"{GROUPS}.get('g').size") == 3
    page.evaluate("i => harness.destroy(i)", b)
    page.evaluate("i => harness.kernelSet({link_group: ''}, 8, i)", c)
    assert page.evaluate(f"{GROUPS}.has('g') && {GROUPS}.get('g').size") == 1
    c_before = shown_view(page, "host2")
    wheel(page, a_screen, 0.0, 0.0)
    wait_sets(page, a, "view")
    page.wait_for_timeout(300)
    assert not log(page, b, "set", "view") and not log(page, c, "set", "view")
    assert shown_view(page, "host2") == c_before
    page.evaluate("i => harness.destroy(i)", a)
    assert not page.evaluate(f"{GROUPS}.has('g')")


# --- checkpoint slider -----------------------------------------------------------------------

LABELS = [f"epoch {k}" for k in range(1, 7)]


def test_checkpoint_slider_sets_the_checkpoint_throttled_and_follows_the_kernel(page):
    _, v = mount(page, checkpoint_labels=LABELS, checkpoint=3)
    panel = page.locator("#host .scw-controls")
    slider = panel.locator("input[type=range]")
    assert panel.is_visible() and panel.inner_text() == "epoch 4 · 4 / 6"
    view_before = shown_view(page)
    # keyboard
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_sets(page, v, "checkpoint")
    assert [s["value"] for s in log(page, v, "set", "checkpoint")] == [4]
    assert log(page, v)[-1]["op"] == "save_changes"
    assert panel.inner_text() == "epoch 5 · 5 / 6"
    # mouse: press at the left end, drag to the right end
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    for k in range(1, 25):
        page.mouse.move(box["x"] + box["width"] * k / 24, y)
        page.wait_for_timeout(15)
    page.mouse.up()
    page.wait_for_function("harness.models[0].log.filter(e => e.key === 'checkpoint').at(-1).value === 5")
    page.wait_for_timeout(200)
    sets = log(page, v, "set", "checkpoint")[1:]
    values = [s["value"] for s in sets]
    assert values[0] == 0 and values[-1] == 5 and len(values) == len(set(values))
    assert np.all(np.diff([s["t"] for s in sets[:-1]]) >= 75), "at most one update per 80 ms while dragging"
    assert len(log(page, v, "save_changes")) == len(log(page, v, "set", "checkpoint"))
    assert panel.inner_text() == "epoch 6 · 6 / 6"
    # the canvas neither panned nor zoomed, also not for a wheel over the slider
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(300)
    assert shown_view(page) == view_before and not log(page, v, "set", "view")
    screenshot(page, "checkpoint_slider")
    # the kernel moves it; nothing goes back
    n = len(log(page, v))
    page.evaluate("harness.kernelSet({checkpoint: 1}, 8, 0)")
    assert slider.input_value() == "1" and panel.inner_text() == "epoch 2 · 2 / 6"
    assert len(log(page, v)) == n


def test_checkpoint_slider_is_hidden_below_two_checkpoints(page):
    _, v = mount(page)
    panel = page.locator("#host .scw-controls")
    assert not panel.is_visible()
    page.evaluate("harness.kernelSet({checkpoint_labels: ['a', 'b', 'c'], checkpoint: 2}, 8, 0)")
    assert panel.is_visible() and panel.inner_text() == "c · 3 / 3"
    assert panel.locator("input").input_value() == "2"
    page.evaluate("harness.kernelSet({checkpoint_labels: ['only']}, 8, 0)")
    assert not panel.is_visible()


def test_checkpoint_slider_in_the_dark_theme(page):
    use_theme(page, DARK)
    mount(page, checkpoint_labels=LABELS, checkpoint=2)
    screenshot(page, "checkpoint_slider_dark")


# --- data overlay ----------------------------------------------------------------------------

ITEMS = [{"label": "3", "color": "#d62728"}, {"label": "7", "color": "#1f77b4"}]
POINTS = np.array([[-0.7, 0.3], [0.3, 0.7], [0.65, -0.25], [-0.3, -0.8], [0.02, 0.5]])
LABEL = [0, 1, -1, 1, 0]
ROWS = [17, 4, 250, 9, 33]
DISTANCE = [0.0123, 0.5, 2.25, 1e-5, 0.3]


def rgb(color):
    return [int(color[k : k + 2], 16) for k in (1, 3, 5)]


def points_trait(frame=1):
    return data_trait(POINTS, DISTANCE, LABEL, ITEMS, row=ROWS, frame=frame, max_distance=2.5)


def mount_data(page, **traits):
    return mount(page, data=points_trait(), **traits)


def test_data_points_are_drawn_in_their_label_colours_at_their_plane_positions(page):
    screen, v = mount_data(page)
    expected = [rgb(ITEMS[k]["color"]) if k >= 0 else [158, 158, 158] for k in LABEL]
    for (u, w), colour in list(zip(POINTS, expected))[:4]:
        x, y = screen.local(u, w)
        assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [x, y]) == [*colour, 255]
        assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [x + 8, y + 8])[3] == 0
    legend = page.locator("#host .scw-legend").inner_text()
    assert "data within 2.5 of the plane" in legend and "unlabelled" in legend
    screenshot(page, "data_points")
    # points of another plane frame are not drawn (nor hovered) until the geometry of that frame arrives
    page.evaluate("d => harness.kernelSet({data: d}, 8, 0)", points_trait(frame=2))
    page.evaluate("harness.frames()")
    x, y = screen.local(*POINTS[0])
    assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [x, y])[3] == 0
    assert "data" not in page.locator("#host .scw-legend").inner_text()
    page.mouse.move(*screen.page_xy(*POINTS[0]))
    assert "region" in page.locator("#host .scw-tooltip").inner_text()
    state, _ = widget_state(grid_partition(n=4), "class", seq=2, frame=2, view=VIEW)
    page.evaluate("s => harness.kernelSet({geometry: s.geometry, coloring: s.coloring}, 8, 0)", state)
    page.evaluate("harness.frames()")
    assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [x, y]) == [*rgb(ITEMS[0]["color"]), 255]


def test_hovering_a_data_point_shows_its_row_label_and_distance(page):
    screen, _ = mount_data(page)
    tip = page.locator("#host .scw-tooltip")
    x, y = screen.page_xy(*POINTS[0])
    page.mouse.move(x + 4, y - 3)  # within 6 px: the point wins over the region under it
    text = tip.inner_text()
    assert "sample 17" in text and "label 3" in text and "distance to plane 0.0123" in text
    assert "region" not in text
    page.mouse.move(*screen.page_xy(*POINTS[2]))
    text = tip.inner_text()
    assert "sample 250" in text and "unlabelled" in text and "distance to plane 2.25" in text
    screenshot(page, "data_hover")
    # the anchor handle wins over the data point beside it
    page.mouse.move(*screen.page_xy(0.0, 0.5))
    assert not tip.is_visible()
    page.mouse.move(x + 20, y + 20)
    assert "region" in tip.inner_text()


RESPONDER = """() => {
  const b64 = (a) => btoa(String.fromCharCode(...a));
  window.useAsAnchor = {error: 'the anchors would be collinear'};
  harness.responder = (name, msg) => {
    if (name === 'use_as_anchor') return [window.useAsAnchor, []];
    const rgba = new Uint8Array(2 * 3 * 4);
    for (let i = 0; i < 6; i++) rgba.set([0, 160, 60, 255], 4 * i);
    return [{shape: [2, 3]}, [{$b64: b64(rgba)}]];
  };
}"""


def test_clicking_a_data_point_offers_it_as_an_anchor(page):
    screen, _ = mount_data(page)
    page.evaluate(RESPONDER)
    page.mouse.click(*screen.page_xy(*POINTS[1]))
    tip = page.locator("#host .scw-tooltip")
    image = tip.locator(".scw-tt-sample-image canvas")
    image.wait_for()
    assert page.evaluate("harness.requests") == [{"name": "data_image", "msg": {"row": 4}}]
    size = image.evaluate("c => [c.width, c.height, ...c.getContext('2d').getImageData(1, 1, 1, 1).data]")
    assert size == [3, 2, 0, 160, 60, 255]
    buttons = tip.locator("button")
    assert buttons.all_inner_texts() == ["use as x0", "use as x1", "use as x2"]
    assert "pinned" in tip.inner_text()
    screenshot(page, "data_menu")
    # pinned: hovering elsewhere keeps the menu
    page.mouse.move(*screen.page_xy(*POINTS[0]))
    assert "sample 4" in tip.inner_text()
    # Python refuses: the error is shown, the menu stays
    buttons.nth(1).click()
    tip.locator(".scw-tt-error").wait_for()
    assert page.evaluate("harness.requests")[-1] == {"name": "use_as_anchor", "msg": {"row": 4, "anchor": 1}}
    assert "the anchors would be collinear" in tip.inner_text()
    screenshot(page, "data_menu_error")
    # Python accepts: the menu closes
    page.evaluate("window.useAsAnchor = {ok: true}")
    tip.locator("button", has_text="use as x2").click()
    tip.wait_for(state="hidden")
    assert page.evaluate("harness.requests")[-1] == {"name": "use_as_anchor", "msg": {"row": 4, "anchor": 2}}


def test_clicking_a_pinned_data_point_again_closes_its_menu_and_new_data_keeps_it(page):
    screen, _ = mount_data(page)
    page.evaluate("harness.responder = () => [{shape: null}, []]")
    xy = screen.page_xy(*POINTS[3])
    page.mouse.click(*xy)
    tip = page.locator("#host .scw-tooltip")
    assert "sample 9" in tip.inner_text() and "pinned" in tip.inner_text()
    # new data for the same plane (e.g. other distances): the menu stays on row 9
    moved = data_trait(POINTS[::-1], DISTANCE[::-1], LABEL[::-1], ITEMS, row=ROWS[::-1], max_distance=2.5)
    page.evaluate("d => harness.kernelSet({data: d}, 8, 0)", moved)
    assert "sample 9" in tip.inner_text() and "pinned" in tip.inner_text()
    assert tip.locator(".scw-tt-sample-image").count() == 0, "no picture for non-image inputs"
    page.mouse.click(*xy)
    assert not tip.is_visible()


def test_data_menu_in_the_dark_theme(page):
    use_theme(page, DARK)
    screen, _ = mount_data(
        page, anchor_images=anchor_images_trait(solid_images([[230, 80, 80], [80, 200, 80], [80, 80, 230]]))
    )
    page.evaluate(RESPONDER)
    page.mouse.click(*screen.page_xy(*POINTS[1]))
    page.locator("#host .scw-tt-sample-image canvas").wait_for()
    screenshot(page, "data_menu_dark")


# --- anchor thumbnails -----------------------------------------------------------------------

COUNT = """([host, colour]) => {
  const c = document.querySelector(`#${host} canvas.scw-overlay`);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] === colour[0] && d[i + 1] === colour[1] && d[i + 2] === colour[2] && d[i + 3] === 255) n++;
  return n;
}"""
THUMB_COLOURS = [[255, 0, 0], [0, 200, 0], [0, 0, 255]]


def thumb_pixels(page, colour, host="host"):
    return page.evaluate(COUNT, [host, colour])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_anchor_thumbnails_are_drawn_beside_their_handles(page, theme):
    if theme == "dark":
        use_theme(page, DARK)
    # 6 x 4 images: 40 px tall, 27 px wide; x0 near the left edge, so its picture goes right of it
    anchors = [[-1.85, 0.3], [0.5, -0.5], [0.0, 0.6]]
    screen, _ = mount(page, anchors_2d=anchors, anchor_images=anchor_images_trait(solid_images(THUMB_COLOURS)))
    for (u, v), colour in zip(anchors, THUMB_COLOURS):
        assert thumb_pixels(page, colour) == 40 * 27, "whole, inside the canvas, not covered"
        x, y = screen.local(u, v)
        near = page.evaluate(
            """([x, y, colour]) => { let n = 0;
            for (let dy = -45; dy <= 45; dy += 3) for (let dx = -70; dx <= 70; dx += 3) {
              const p = harness.overlayPixel(x + dx, y + dy); if (p[0] === colour[0] && p[1] === colour[1] && p[2] === colour[2]) n++; }
            return n; }""",
            [x, y, colour],
        )
        assert near > 80, "beside its own handle"
        # the handle itself stays visible (its centre dot is the foreground colour)
        assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [x, y])[:3] != colour
    screenshot(page, f"anchor_thumbnails_{theme}")


def test_anchor_thumbnails_follow_the_trait(page):
    _, v = mount(page)
    assert all(thumb_pixels(page, c) == 0 for c in THUMB_COLOURS)
    page.evaluate("t => harness.kernelSet({anchor_images: t}, 8, 0)", anchor_images_trait(solid_images(THUMB_COLOURS)))
    page.evaluate("harness.frames()")
    assert all(thumb_pixels(page, c) == 40 * 27 for c in THUMB_COLOURS)
    swapped = anchor_images_trait(solid_images(THUMB_COLOURS[::-1], shape=(4, 4)))
    page.evaluate("t => harness.kernelSet({anchor_images: t}, 8, 0)", swapped)
    page.evaluate("harness.frames()")
    assert all(thumb_pixels(page, c) == 40 * 40 for c in THUMB_COLOURS)
    page.evaluate("harness.kernelSet({anchor_images: null}, 8, 0)")
    page.evaluate("harness.frames()")
    assert all(thumb_pixels(page, c) == 0 for c in THUMB_COLOURS)


def test_points_coloured_by_density_take_their_own_colour_a_colour_bar_and_their_value_in_the_tooltip(page):
    from splinecam_widget.slice import Slice
    from splinecam_widget.widget._overlay import DataOverlay

    values = np.array([3.0, 10.0, 6.5, 3.0, 8.0])
    overlay = DataOverlay(np.c_[POINTS, np.zeros(5)], None, (3,), None, 10, values, "local density (radius 0.5)")
    plane = Slice(np.zeros(3), np.eye(3)[:, :2], [[-1.5, -1.5], [1.5, -1.5], [1.5, 1.5], [-1.5, 1.5]])
    trait = overlay.encode(plane, 1)
    colour = np.frombuffer(trait["color"], np.uint8).reshape(-1, 4)
    screen, _ = mount(page, data=to_page(trait))
    rows = np.frombuffer(trait["row"], "<i4")
    for i, row in enumerate(rows):
        if row == 4:
            continue  # (0.02, 0.5) sits under the x2 handle
        x, y = screen.local(*POINTS[row])
        assert page.evaluate("([x, y]) => harness.overlayPixel(x, y)", [x, y]) == colour[i].tolist()
    legend = page.locator("#host .scw-legend").inner_text()
    assert "local density (radius 0.5)" in legend and "3" in legend and "10" in legend
    page.mouse.move(*screen.page_xy(*POINTS[1]))
    assert "local density (radius 0.5): 10" in page.locator("#host .scw-tooltip").inner_text()
    screenshot(page, "data_density")
