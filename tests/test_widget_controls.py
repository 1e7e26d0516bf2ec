"""The toolbar's Python side: the request channel over custom messages, downloads, undo of an anchor
move, cancel, what is drawn, the status's timing, and the one legend of a comparison."""

from __future__ import annotations

import time

import numpy as np
import pytest
from engine_checks import mlp

from splinecam_widget import SplineCamError, SplineCamWidget, compare
from splinecam_widget.widget._channel import REQUEST, RESPONSE

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture
def w():
    widget = SplineCamWidget(mlp((2, 12, 3)), ANCHORS, color_by="class")
    widget.wait(30)
    yield widget
    widget.close()


def ask(widget, name, content=None, rid="v1-1"):
    """Send a request as the front end does; return what the widget sent back (content, buffers)."""
    sent = []
    widget.send = lambda content, buffers=None: sent.append((content, buffers))
    widget._on_front_end_message(widget, {"type": REQUEST, "id": rid, "name": name, "content": content or {}}, [])
    assert len(sent) == 1, "every request gets exactly one answer"
    return sent[0]


def front_end_drag(widget, positions):
    """A handle dragged in the front end: the grab, then its positions as state updates."""
    ask(widget, "begin_anchor_move")
    for anchors_2d in positions:
        widget.set_state({"anchors_2d": anchors_2d})


# --- the request channel ---------------------------------------------------------------------


def test_a_request_is_answered_by_a_custom_message_with_its_id_and_buffers(w):
    message, buffers = ask(w, "input_slope", {"region": 2, "seq": w.geometry["seq"]}, rid="abc-7")
    assert message["type"] == RESPONSE and message["id"] == "abc-7"
    assert message["content"]["region"] == 2 and message["content"]["shape"] == [3, 2]
    slope = np.frombuffer(bytes(buffers[0]), "<f4").reshape(3, 2)
    np.testing.assert_allclose(slope, w.partition.input_slope(2), rtol=1e-6)


@pytest.mark.parametrize(
    "rid, name, content, message",
    [
        ("v-1", "make_coffee", {}, "unknown request 'make_coffee'"),
        ("v-1", 42, {}, "unknown request 42"),
        (True, "hello", {}, "a request id must be"),
        ("x" * 200, "hello", {}, "a request id must be"),
        ("v-1", "input_slope", "region 3", "a request must be an object"),
        ("v-1", "export", {"format": "gif", "width": 300}, "format must be one of 'png', 'svg'"),
        ("v-1", "export", {"format": "png", "width": 10**6}, "width must be between 16 and 4,096 pixels"),
        ("v-1", "undo_anchor_move", {}, "no anchor move to undo"),
    ],
)
def test_bad_requests_are_answered_with_an_error(w, rid, name, content, message):
    answer, buffers = ask(w, name, content, rid=rid)
    assert message in answer["content"]["error"] and buffers == []
    assert answer["id"] == (rid if rid is not True and len(str(rid)) < 64 else None)


def test_messages_that_are_not_requests_are_left_alone(w):
    sent = []
    w.send = lambda content, buffers=None: sent.append(content)
    w._on_front_end_message(w, {"kind": "anywidget-command", "name": "x"}, [])
    w._on_front_end_message(w, "hello", [])
    assert sent == []


def test_hello_says_a_kernel_answers(w):
    assert ask(w, "hello")[0]["content"] == {"ok": True}


def test_closing_stops_listening(w):
    assert w._on_front_end_message in w._msg_callbacks.callbacks
    w.close()
    assert w._on_front_end_message not in w._msg_callbacks.callbacks


# --- downloads -------------------------------------------------------------------------------


def test_the_png_download_is_what_save_png_writes(w, tmp_path):
    message, buffers = ask(w, "export", {"format": "png", "width": 300})
    assert message["content"] == {"name": "splinecam-class.png", "mime": "image/png", "size": len(buffers[0])}
    w.save_png(tmp_path / "view.png", width=300, scale=2.0)
    assert bytes(buffers[0]) == (tmp_path / "view.png").read_bytes()
    assert bytes(buffers[0]).startswith(b"\x89PNG")


def test_the_svg_download_follows_what_is_drawn(w, tmp_path):
    w.visible = ["edges", "anchors"]
    message, buffers = ask(w, "export", {"format": "svg", "width": 250})
    svg = bytes(buffers[0]).decode()
    assert message["content"]["mime"] == "image/svg+xml" and svg.startswith("<svg")
    assert 'id="anchors"' in svg and 'id="boundary"' not in svg
    w.save_svg(tmp_path / "view.svg", width=250)
    assert (tmp_path / "view.svg").read_text(encoding="utf-8") == svg
    assert 'id="boundary"' in w.to_svg(width=250, boundary=True)


# --- undo of an anchor move ------------------------------------------------------------------


def test_undo_puts_back_the_anchors_before_a_whole_drag(w):
    start = [list(a) for a in w.anchors_2d]
    assert not w.can_undo
    path = [[start[0], [start[1][0] + 0.1 * k, start[1][1]], start[2]] for k in range(1, 5)]
    front_end_drag(w, path)
    assert w.anchors_2d[1] == path[-1][1] and w.can_undo
    ask(w, "undo_anchor_move")
    assert w.anchors_2d == start and not w.can_undo
    assert w.wait(30).slice.anchors_2d.tolist() == start
    with pytest.raises(SplineCamError, match="no anchor move to undo"):
        w.undo_anchor_move()


def test_each_set_from_python_is_one_move_and_a_new_plane_forgets_it(w):
    start = [list(a) for a in w.anchors_2d]
    w.anchors_2d = [start[0], start[1], [0.1, 0.9]]
    w.anchors_2d = [start[0], start[1], [0.2, 0.8]]
    w.undo_anchor_move()
    assert w.anchors_2d == [start[0], start[1], [0.1, 0.9]]
    w.anchors_2d = [start[0], start[1], [0.3, 0.7]]
    w.anchors = ANCHORS * 2  # a new plane
    assert not w.can_undo


def test_undo_in_any_view_of_a_comparison_moves_them_all_back():
    cmp = compare([mlp((2, 8, 3), seed=1), mlp((2, 16, 3), seed=2)], ANCHORS)
    cmp.wait(60)
    a, b = cmp.widgets
    start = [list(x) for x in a.anchors_2d]
    moved = [start[0], [start[1][0] + 0.2, start[1][1] + 0.1], start[2]]
    front_end_drag(a, [[start[0], [start[1][0] + 0.1, start[1][1]], start[2]], moved])
    assert b.anchors_2d == moved and a.can_undo and b.can_undo
    b.undo_anchor_move()
    assert a.anchors_2d == start and b.anchors_2d == start
    assert not a.can_undo and not b.can_undo
    cmp.close()


# --- cancel, status ----------------------------------------------------------------------------


def test_cancel_abandons_the_computation_and_says_so():
    w = SplineCamWidget(mlp((2, 96, 96, 96, 1), seed=1), ANCHORS * 8, max_regions=2_000_000)
    message, _ = ask(w, "cancel")
    assert message["content"] == {"cancelled": True}
    start = time.monotonic()
    assert w.wait(30) is None, "nothing was computed to the end"
    assert time.monotonic() - start < 10
    assert w.status["state"] == "cancelled" and w.error is None
    assert w.cancel() is False, "nothing runs any more"
    w.view = [-2.0, -2.0, 2.0, 2.0]  # the next change computes again
    assert w.wait(60) is not None and w.status["state"] == "idle"
    w.close()


def test_the_status_says_how_long_the_computation_took(w):
    w.view = [-0.5, -0.5, 0.5, 0.5]
    w.wait(30)
    assert w.status["state"] == "idle" and 0 < w.status["seconds"] < 30


# --- settings the toolbar shares with Python -----------------------------------------------------


def test_the_colour_mode_set_in_the_toolbar_recolours(w):
    w.set_state({"color_by": "pattern"})
    assert w.color_by == "pattern" and w.coloring["mode"] == "pattern"
    w.set_state({"color_by": "rainbow"})
    assert w.color_by == "pattern" and "not a colour mode" in w.error


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("visible", ["edges", "fog"], "visible must name each of"),
        ("visible", ["edges", "edges"], "visible must name each of"),
        ("visible", "edges", "visible must be a list"),
        ("toolbar", "yes", "toolbar must be True or False"),
        ("legend", 1, "legend must be True or False"),
    ],
)
def test_bad_settings_are_refused_from_python_and_rolled_back_from_the_front_end(w, name, value, message):
    before = getattr(w, name)
    with pytest.raises(SplineCamError, match=message):
        setattr(w, name, value)
    w.set_state({name: value})
    assert getattr(w, name) == before and message in w.error


def test_visible_parts_come_in_their_canonical_order(w):
    w.visible = ("data", "edges")
    assert w.visible == ["edges", "data"]
    w.visible = set()
    assert w.visible == []


# --- a comparison's one legend -----------------------------------------------------------------


def test_a_comparison_shows_one_legend_for_its_views_and_their_data():
    models = [mlp((2, 8, 3), seed=1), mlp((2, 16, 3), seed=2)]
    cmp = compare(models, ANCHORS, color_by="class")
    cmp.wait(60)
    assert [w.legend for w in cmp.widgets] == [False, False]
    rng = np.random.default_rng(0)
    cmp.show_data(rng.normal(size=(30, 2)), rng.integers(0, 3, size=30))
    blocks = cmp.legend.blocks
    assert [b["title"] for b in blocks] == ["predicted class", "data"]
    assert [i["label"] for i in blocks[0]["items"]] == ["class 0", "class 1", "class 2"]
    assert [i["label"] for i in blocks[1]["items"]] == ["0", "1", "2"] and blocks[1]["dots"]
    cmp.widgets[1].color_by = "slope"
    cmp.wait(60)
    (bar, _) = cmp.legend.blocks
    assert bar["kind"] == "colorbar" and [bar["min"], bar["max"]] == pytest.approx(cmp.widgets[0].color_range)
    cmp.close()
