"""Closing a widget stops its thread, frees its memory and ends its reactions; nothing keeps it alive."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import ipywidgets
import ipywidgets.widgets.widget as ipywidgets_widget
import numpy as np
import pytest
from engine_checks import mlp

from splinecam_widget import SplineCamWidget, compare

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


BASELINE: set[threading.Thread] = set()  # worker threads of widgets other tests left open


def worker_threads() -> list[threading.Thread]:
    """Worker threads started by this test (not those of widgets other tests left open)."""
    return [t for t in threading.enumerate() if t.name.startswith("splinecam-widget") and t not in BASELINE]


def wait_for_no_workers(timeout: float = 20.0) -> list[threading.Thread]:
    deadline = time.monotonic() + timeout
    while worker_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    return worker_threads()


@pytest.fixture(autouse=True)
def baseline():
    gc.collect()
    BASELINE.clear()
    BASELINE.update(t for t in threading.enumerate() if t.name.startswith("splinecam-widget"))


def ipywidget_registry() -> dict:
    """The registry where ipywidgets keeps widgets alive until they are closed."""
    return ipywidgets_widget._instances


def collected(ref: weakref.ref, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while ref() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.02)
    return ref() is None


def test_close_stops_the_thread_and_the_widget_is_garbage_collected():
    w = SplineCamWidget(mlp((2, 16, 16, 3)), ANCHORS)
    w.wait(30)
    assert len(worker_threads()) == 1
    partition = weakref.ref(w.partition)
    widget = weakref.ref(w)
    w.close()
    del w
    assert not wait_for_no_workers()
    assert collected(widget), "something still holds the closed widget"
    assert collected(partition), "the closed widget's partition is still in memory"


def test_closing_ten_widgets_mid_computation_ends_every_thread():
    model = mlp((2, 96, 96, 96, 1), seed=1)  # about a second per partition on two cores
    widgets = [SplineCamWidget(model, ANCHORS * 8, max_regions=2_000_000) for _ in range(10)]
    assert len(worker_threads()) == 10
    refs = [weakref.ref(w) for w in widgets]
    for w in widgets:
        w.close()
    del widgets, w
    assert not wait_for_no_workers(), "closing must cancel the running computation at its next layer"
    assert all(collected(r) for r in refs)


def test_a_closed_widget_ignores_later_changes():
    w = SplineCamWidget(mlp((2, 8, 3)), ANCHORS)
    w.wait(30)
    w.close()
    assert w.partition is None and w.geometry is None
    w.anchors = ANCHORS * 2
    w.model = mlp((2, 8, 3), seed=5)
    w.max_regions = 10
    w.view = [-0.5, -0.5, 0.5, 0.5]
    assert not worker_threads(), "a closed widget must not compute"
    assert w.wait(1) is None and w.partition is None


def test_a_closed_and_forgotten_widget_is_collected():
    w = SplineCamWidget(mlp((2, 8, 3)), ANCHORS)
    w.wait(30)
    w._repr_mimebundle_()  # displayed: held by ipywidgets' registry until close()
    ref = weakref.ref(w)
    w.close()
    del w
    assert collected(ref)
    assert not wait_for_no_workers()


def test_twenty_dropped_widgets_are_collected_and_their_threads_end():
    model = mlp((2, 16, 16, 3))
    refs = []
    for _ in range(20):
        w = SplineCamWidget(model, ANCHORS)
        w.wait(30)
        refs.append((weakref.ref(w), weakref.ref(w.partition)))
        del w
        gc.collect()
    assert not wait_for_no_workers(), "a widget dropped without close() keeps its worker thread"
    assert all(collected(widget) and collected(partition) for widget, partition in refs)


def test_a_widget_dropped_mid_computation_is_collected_and_its_thread_ends():
    w = SplineCamWidget(mlp((2, 96, 96, 96, 1), seed=1), ANCHORS * 8, max_regions=2_000_000)
    assert len(worker_threads()) == 1
    ref = weakref.ref(w)
    del w
    assert collected(ref)
    assert not wait_for_no_workers(), "the dropped widget's computation must stop at its next layer"


@pytest.mark.parametrize("show", ["display", "container", "link"])
def test_a_widget_whose_id_was_handed_out_lives_until_closed(show):
    w = SplineCamWidget(mlp((2, 8, 3)), ANCHORS)
    w.wait(30)
    if show == "display":
        w._repr_mimebundle_()
        others = []
    elif show == "container":
        others = [ipywidgets.VBox([w])]
    else:
        text = ipywidgets.Text()
        others = [text, ipywidgets.jslink((w, "color_by"), (text, "value"))]
    ref = weakref.ref(w)
    del w
    gc.collect()
    w = ref()
    assert w is not None, "a front end may show this widget: only close() may end it"
    assert ipywidget_registry().get(w.model_id) is w and len(worker_threads()) == 1
    for widget in [w, *others]:
        widget.close()
    del w, widget, others
    assert collected(ref) and not wait_for_no_workers()


def test_a_dropped_widget_answers_its_front_end_until_it_is_collected():
    w = SplineCamWidget(mlp((2, 8, 3)), ANCHORS)  # its model id is never read: held weakly
    w.wait(30)
    assert w.comm.comm_id not in ipywidget_registry()
    update = {"method": "update", "state": {"color_by": "pattern"}, "buffer_paths": []}
    w.comm.handle_msg({"content": {"data": update}, "buffers": []})  # as the kernel delivers it
    assert w.color_by == "pattern"
    w.close()


def test_closing_a_comparison_closes_every_view():
    cmp = compare([mlp((2, 8, 3)), mlp((2, 8, 3), seed=1)], ANCHORS)
    cmp.wait(30)
    views = [weakref.ref(w) for w in cmp.widgets]
    ref = weakref.ref(cmp)
    cmp.close()
    del cmp
    assert not wait_for_no_workers()
    assert all(collected(v) for v in views) and collected(ref)


def test_closing_a_checkpoint_widget_releases_the_checkpoints():
    model = mlp((2, 8, 3))
    states = [mlp((2, 8, 3), seed=s).state_dict() for s in range(3)]
    w = SplineCamWidget(model, ANCHORS, checkpoints=states)
    w.checkpoint = 2
    w.wait(30)
    private = weakref.ref(w.model)  # a private copy loaded with checkpoint 2
    w.close()
    del w
    assert not wait_for_no_workers()
    assert collected(private)
