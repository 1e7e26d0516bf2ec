"""SplineCamWidget: traits, validation, background computation, stale results, errors, commands."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from engine_checks import mlp
from ipywidgets.widgets.widget import _remove_buffers

import splinecam_widget.widget._worker as worker_module
from splinecam_widget import Slice, SplineCamError, partition
from splinecam_widget.widget import SplineCamWidget
from splinecam_widget.widget._wire import decode_geometry

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture
def model():
    return mlp((2, 16, 16, 3))


@pytest.fixture
def w(model):
    widget = SplineCamWidget(model, ANCHORS, color_by="class")
    widget.wait(30)
    return widget


def drag(widget, index, uv):
    """Move one anchor as the front end does: set anchors_2d."""
    moved = [list(p) for p in widget.anchors_2d]
    moved[index] = list(uv)
    widget.anchors_2d = moved
    return moved


# --- construction and traits ------------------------------------------------------------


def test_first_partition_is_the_engine_partition_of_the_anchors_slice(w, model):
    want = partition(model, Slice.from_anchors(ANCHORS))
    assert w.partition.n_regions == want.n_regions
    np.testing.assert_allclose(w.anchors_2d, Slice.from_anchors(ANCHORS).anchors_2d)
    assert w.error is None and w.status["state"] == "idle"
    assert w.geometry["n_regions"] == want.n_regions and w.coloring["seq"] == w.geometry["seq"]


def test_geometry_and_style_travel_as_binary_buffers(w):
    state, paths, buffers = _remove_buffers(w.get_state())
    for name in ("vertices", "offsets", "areas", "affine", "boundary", "edge_layer"):
        assert ["geometry", name] in paths
    assert ["coloring", "fill"] in paths
    assert sum(b.nbytes for b in buffers) >= len(w.partition.vertices) * 8


def test_setting_anchors_from_python_starts_a_new_frame_and_resets_the_view(w, model):
    frame = w.geometry["frame"]
    w.view = [-0.2, -0.2, 0.2, 0.2]
    w.wait(30)
    w.anchors = ANCHORS * 2
    w.wait(30)
    assert w.geometry["frame"] == frame + 1 and w.view is None
    assert w.partition.n_regions == partition(model, Slice.from_anchors(ANCHORS * 2)).n_regions


def test_dragging_an_anchor_keeps_the_frame_and_moves_the_input_anchor(w):
    frame, plane = w.geometry["frame"], w.partition.slice
    moved = drag(w, 2, (0.3, 1.6))
    w.wait(30)
    assert w.geometry["frame"] == frame
    np.testing.assert_allclose(w.anchors, plane.to_input(np.array(moved)))
    # the domain followed the anchors and contains them
    domain = w.partition.slice.domain
    assert domain[:, 1].max() >= 1.6 and np.allclose(w.partition.slice.basis, plane.basis)


def test_view_recomputes_the_visible_rectangle_exactly(w, model):
    w.view = [-0.3, -0.2, 0.1, 0.4]
    w.wait(30)
    np.testing.assert_allclose(w.partition.slice.domain, [[-0.3, -0.2], [0.1, -0.2], [0.1, 0.4], [-0.3, 0.4]])
    want = partition(model, w.partition.slice)
    assert w.partition.n_regions == want.n_regions


def test_color_by_restyles_the_drawn_partition_without_recomputing(w):
    seq, geometry = w.geometry["seq"], w.geometry
    w.color_by = "layer"
    assert w.coloring["mode"] == "layer" and w.coloring["seq"] == seq and w.geometry is geometry
    assert w.coloring["edge_palette"] is not None


def test_new_model_recomputes(w):
    other = mlp((2, 32, 3), seed=1)
    w.model = other
    w.wait(30)
    assert w.partition.n_regions == partition(other, Slice.from_anchors(ANCHORS)).n_regions


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trait", "value", "message"),
    [
        ("color_by", "rainbow", "not a colour mode"),
        ("anchors", np.zeros((2, 2)), "shape \\(3, \\*input_shape\\)"),
        ("anchors", [[0, 0], [1, float("nan")], [0, 1]], "NaN"),
        ("model", "not a model", "torch.nn.Module"),
        ("view", [1, 0, 0, 1], "u0 < u1"),
        ("domain", "circle", "'square', 'triangle'"),
        ("margin", -1.0, "non-negative"),
        ("anchors_2d", [[0, 0], [1, 1]], "three finite"),
        ("max_regions", 0, "positive"),
    ],
)
def test_bad_values_raise_errors_that_say_what_is_accepted(w, trait, value, message):
    with pytest.raises(SplineCamError, match=message):
        setattr(w, trait, value)


def test_collinear_anchors_are_refused_at_construction(model):
    with pytest.raises(SplineCamError, match="collinear"):
        SplineCamWidget(model, [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])


# --- errors show in the widget ------------------------------------------------------------


def test_engine_errors_reach_w_error_and_the_status(model):
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    w = SplineCamWidget(model.train(), ANCHORS)
    w.wait(30)
    assert "eval()" in w.error and w.status["state"] == "error" and w.partition is None


def test_unsupported_module_is_named_in_the_error():
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 1)).eval()
    w = SplineCamWidget(model, ANCHORS)
    w.wait(30)
    assert "Sigmoid" in w.error


def test_region_budget_keeps_the_last_partition_and_says_so(w):
    before = w.partition
    w.max_regions = 5
    w.wait(30)
    assert w.status["state"] == "budget" and "max_regions=5" in w.error
    assert w.partition is before
    w.max_regions = 300_000
    w.wait(30)
    assert w.error is None and w.status["state"] == "idle"


def test_unexpected_failures_are_reported_not_swallowed(w, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(worker_module, "compute_partition", broken)
    w.view = [-0.5, -0.5, 0.5, 0.5]
    w.wait(30)
    assert w.error == "RuntimeError: boom"
    monkeypatch.undo()
    w.view = None
    w.wait(30)
    assert w.error is None


# --- background computation, newest wins ----------------------------------------------------


def test_burst_of_200_anchor_changes_ends_on_the_final_anchors(w, model):
    published = []
    w.observe(lambda c: published.append(c["new"]["seq"]), names="geometry")
    rng = np.random.default_rng(0)
    base = np.array(w.anchors_2d)
    for _ in range(200):
        final = drag(w, int(rng.integers(3)), base[0] + rng.uniform(-0.3, 0.3, 2))
    w.wait(60)
    np.testing.assert_allclose(w.partition.slice.anchors_2d, final)
    want = partition(model, w.partition.slice)
    got = decode_geometry(w.geometry)
    assert got["n_regions"] == want.n_regions
    np.testing.assert_allclose(got["vertices"], want.vertices, atol=1e-5)
    assert 0 < len(published) < 200, "stale requests are coalesced, not each computed"


def test_a_result_finishing_after_a_newer_request_is_never_drawn(w, monkeypatch):
    real = worker_module.compute_partition
    release = threading.Event()
    slow_started = threading.Event()

    def gated(model, plane, **kwargs):
        if plane.domain[:, 0].max() == pytest.approx(0.9):  # the first (stale) request
            slow_started.set()
            release.wait(10)
        return real(model, plane, **kwargs)

    monkeypatch.setattr(worker_module, "compute_partition", gated)
    seen = []
    w.observe(lambda c: seen.append(c["new"]["domain"]), names="geometry")
    w.view = [-0.9, -0.9, 0.9, 0.9]
    assert slow_started.wait(10)
    w.view = [-0.4, -0.4, 0.4, 0.4]
    release.set()
    w.wait(30)
    assert all(np.max(d) != pytest.approx(0.9) for d in seen)
    assert np.max(w.partition.slice.domain) == pytest.approx(0.4)


def test_long_computations_stream_partial_partitions_with_progress(model, monkeypatch):
    monkeypatch.setattr(worker_module.PartitionWorker, "stream_after", 0.0)
    geometries, statuses = [], []
    w = SplineCamWidget(model, ANCHORS)
    w.observe(lambda c: geometries.append(dict(c["new"])), names="geometry")
    w.observe(lambda c: statuses.append(dict(c["new"])), names="status")
    w.anchors = ANCHORS * 1.5
    w.wait(30)
    partial = [g for g in geometries if g["partial"]]
    assert partial and partial[0]["layer"] == 0 and partial[0]["n_layers"] == 2 and partial[0]["affine"] is None
    assert not geometries[-1]["partial"]
    assert [s["state"] for s in statuses][-1] == "idle"
    assert any(s["state"] == "computing" and s["n_layers"] == 2 for s in statuses)


# --- the full-slope command ------------------------------------------------------------------


def test_input_slope_command_returns_the_region_gradient(w):
    r = w.partition.n_regions // 2
    response, buffers = w._input_slope({"region": r, "seq": w.geometry["seq"]}, [])
    want = w.partition.input_slope(r)
    assert response["shape"] == list(want.shape) and response["kind"] == "vector"
    np.testing.assert_allclose(np.frombuffer(buffers[0], "<f4").reshape(want.shape), want, rtol=1e-6)


def test_input_slope_of_an_image_model_comes_with_one_image_per_class():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4)
    ).eval()
    w = SplineCamWidget(model, torch.randn(3, 1, 8, 8))
    w.wait(30)
    response, buffers = w._input_slope({"region": 0, "seq": w.geometry["seq"]}, [])
    assert response["kind"] == "image" and response["image_shape"] == [8, 8] and response["shape"] == [4, 1, 8, 8]
    assert len(buffers[1]) == 4 * 8 * 8 * 4


def test_input_slope_of_a_superseded_partition_is_refused(w):
    response, buffers = w._input_slope({"region": 0, "seq": w.geometry["seq"] - 1}, [])
    assert "changed" in response["error"] and buffers == []


def test_refused_anchors_leave_the_widget_unchanged(w):
    before = w.anchors.copy()
    with pytest.raises(SplineCamError, match="identical"):
        w.anchors = [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    np.testing.assert_array_equal(w.anchors, before)
