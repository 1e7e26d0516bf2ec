"""Traits set from many threads: after wait(), the widget shows the partition of the newest values."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest
from engine_checks import mlp

from splinecam_widget import Slice, compare, partition
from splinecam_widget.widget import SplineCamWidget
from splinecam_widget.widget._worker import PartitionWorker

N_SETS = 200
SETS = list(np.random.default_rng(0).standard_normal((N_SETS, 3, 4)))  # 200 different planes


@pytest.fixture(scope="module")
def model():
    return mlp((4, 16, 16, 3))


@pytest.fixture
def w(model):
    widget = SplineCamWidget(model, SETS[0])
    widget.wait(30)
    yield widget
    widget.close()


@pytest.fixture
def busy_switching():
    """Switch threads every 0.1 ms instead of 5 ms: races show in a few trials, not thousands."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    yield
    sys.setswitchinterval(interval)


def run_threads(*targets) -> None:
    """Run ``targets`` on threads started together; re-raise the first exception one of them raised."""
    barrier, errors = threading.Barrier(len(targets)), []

    def run(target):
        barrier.wait()
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def set_anchors(widget, seed: int, times: int):
    def target():
        rng = np.random.default_rng(seed)
        for _ in range(times):
            widget.anchors = SETS[rng.integers(N_SETS)]

    return target


def assert_shows_its_anchors(widget) -> None:
    """The handles and the partition drawn belong to the plane of the current ``anchors``."""
    shown = widget.partition.slice
    np.testing.assert_allclose(shown.to_input(np.array(widget.anchors_2d)), widget.anchors, atol=1e-9)
    assert widget.geometry["frame"] == widget._frame


def assert_shows_the_plane_of(widget, anchors, model=None) -> None:
    """``anchors`` are the current ones, and what is shown is computed on their plane."""
    np.testing.assert_array_equal(widget.anchors, anchors)
    plane = Slice.from_anchors(anchors)
    np.testing.assert_allclose(widget.anchors_2d, plane.anchors_2d, atol=1e-12)
    np.testing.assert_allclose(widget.partition.slice.basis, plane.basis, atol=1e-12)
    assert_shows_its_anchors(widget)
    if model is not None:
        assert widget.partition.n_regions == partition(model, plane).n_regions


def test_four_threads_setting_anchors_fifty_times_each_leave_the_last_value_shown(w, model):
    for trial in range(10):
        run_threads(*(set_anchors(w, 4 * trial + k, 50) for k in range(4)))
        w.wait(60)
        assert_shows_the_plane_of(w, np.array(w.anchors), model if trial % 5 == 0 else None)


def test_the_newest_anchors_win_every_one_of_200_races(w, model, busy_switching):
    """Only the last sets of a trial can race: many short trials, started together, find a race."""
    for trial in range(200):
        run_threads(*(set_anchors(w, 1000 + 4 * trial + k, 3) for k in range(4)))
        w.wait(60)
        assert_shows_the_plane_of(w, np.array(w.anchors), model if trial % 50 == 0 else None)


def test_front_end_drags_racing_python_threads_leave_the_widget_consistent(w, busy_switching):
    def drags():
        rng = np.random.default_rng(7)
        for _ in range(50):
            moved = np.array(w.anchors_2d) + rng.normal(scale=0.05, size=(3, 2))
            w.set_state({"anchors_2d": moved.tolist()})  # as a front end's drag arrives

    for trial in range(20):
        run_threads(drags, *(set_anchors(w, 100 + 3 * trial + k, 20) for k in range(3)))
        w.wait(60)
        assert_shows_its_anchors(w)


def test_wait_waits_for_a_change_whose_reaction_has_not_filed_its_job_yet(w):
    new = SETS[5]
    with w._worker.publication():  # the setter's reaction waits for this lock, after the value is stored
        setter = threading.Thread(target=setattr, args=(w, "anchors", new))
        setter.start()
        while not np.array_equal(w.anchors, new):
            time.sleep(0.001)
        w.wait(30)  # its condition wait lets the reaction in
        assert_shows_the_plane_of(w, new)
    setter.join()


class _Owner:
    def publish(self, *args):
        pass

    def publish_error(self, *args):
        pass

    def published(self, partition):
        pass


def test_wait_gives_a_condition_no_job_will_meet_only_a_moment():
    owner = _Owner()
    worker = PartitionWorker(owner)
    worker.settle = 0.2
    start = time.monotonic()
    worker.wait(10, until=lambda: False)
    assert 0.2 <= time.monotonic() - start < 5
    flag = threading.Event()
    threading.Timer(0.1, flag.set).start()
    worker.wait(10, until=flag.is_set)
    assert flag.is_set()
    worker.close()


def test_a_front_end_update_while_a_comparison_view_recomputes_does_not_deadlock():
    """A front end's colour mode in one view, while another view's worker shares the colour scale."""
    anchors = np.array([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.5], [0.0, 1.0, -0.5]])
    cmp = compare([mlp((3, 8, 8, 2), seed=1), mlp((3, 16, 2), seed=2)], anchors)
    cmp.wait(30)
    first, second = cmp.widgets
    done = threading.Event()

    def recompute():  # the second view's worker publishes, then shares the colour range under the comparison's lock
        rng = np.random.default_rng(0)
        while not done.is_set():
            second.max_regions = int(rng.integers(100_000, 200_000))

    def front_end():
        for i in range(2000):
            first.set_state({"color_by": ("slope", "output")[i % 2]})  # the comparison follows in every view
        done.set()

    threads = [threading.Thread(target=recompute, daemon=True), threading.Thread(target=front_end, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert done.is_set() and not any(t.is_alive() for t in threads), "deadlock"
    cmp.wait(30)
    assert second.color_by == first.color_by == "output"
    cmp.close()
