"""Data overlay, anchors from data and pictures of image inputs (widget_data.py, overlay.py, images.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import Slice, SplineCamError, SplineCamWidget, partition
from splinecam_widget.colors import CATEGORICAL, hex_to_rgb
from splinecam_widget.widget._images import input_images
from splinecam_widget.widget._overlay import DataOverlay

RNG = np.random.default_rng(0)
ANCHORS = RNG.normal(size=(3, 5))


def decode(data):
    n = data["n"]

    def arr(name, dt, shape):
        return np.zeros(shape, dt) if data[name] is None else np.frombuffer(data[name], dt).reshape(shape)

    return (arr("uv", "<f8", (n, 2)), arr("distance", "<f4", (n,)), arr("label", "<i4", (n,)), arr("row", "<i4", (n,)))


def points_at(plane: Slice, uv: np.ndarray, distance: np.ndarray, rng) -> np.ndarray:
    """Inputs whose projection on ``plane`` is ``uv`` and whose distance to it is ``distance``."""
    normal = rng.normal(size=(len(uv), plane.dim))
    normal -= (normal @ plane.basis) @ plane.basis.T
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    return plane.origin + uv @ plane.basis.T + distance[:, None] * normal


@pytest.fixture(scope="module")
def model():
    return mlp((5, 12, 12, 3))


@pytest.fixture
def w(model):
    widget = SplineCamWidget(model, ANCHORS, color_by="class")
    widget.wait(30)
    return widget


def test_points_are_drawn_at_their_projection_with_their_distance_nearest_first(w):
    plane = Slice.from_anchors(ANCHORS)
    uv = RNG.uniform(-1, 1, size=(50, 2))
    distance = RNG.uniform(0, 2, size=50)
    X = points_at(plane, uv, distance, RNG)
    before = X.copy()
    w.show_data(X, np.arange(50) % 3, max_distance=1.0, max_points=20)
    got_uv, got_distance, label, row = decode(w.data)
    keep = np.argsort(distance)[: min(20, int((distance <= 1.0).sum()))]
    assert w.data["n"] == len(keep) and list(row) == list(keep)
    np.testing.assert_allclose(got_uv, uv[keep], atol=1e-12)
    np.testing.assert_allclose(got_distance, distance[keep], rtol=1e-6, atol=1e-6)
    assert w.data["frame"] == w.geometry["frame"] and w.data["max_distance"] == 1.0
    assert np.array_equal(X, before)  # nothing the user passed is modified
    # integer labels take the colour of their class
    assert [item["label"] for item in w.data["items"]] == ["0", "1", "2"]
    assert [item["color"] for item in w.data["items"]] == list(CATEGORICAL[:3])
    assert list(label) == list(keep % 3)


def test_string_labels_and_unlabelled_points(w):
    X = RNG.normal(size=(6, 5))
    w.show_data(X, ["cat", "dog", "cat", "bird", "dog", "cat"])
    assert [item["label"] for item in w.data["items"]] == ["bird", "cat", "dog"]
    _, _, label, row = decode(w.data)
    assert [w.data["items"][k]["label"] for k in label] == [["cat", "dog", "cat", "bird", "dog", "cat"][r] for r in row]
    w.show_data(torch.from_numpy(X))
    assert w.data["items"] == [] and set(decode(w.data)[2]) == {-1}
    w.hide_data()
    assert w.data is None


def test_a_new_plane_reprojects_the_data_in_the_new_frame(w):
    X = RNG.normal(size=(30, 5))
    w.show_data(X)
    frame = w.data["frame"]
    w.anchors = ANCHORS + RNG.normal(scale=0.3, size=ANCHORS.shape)
    w.wait(30)
    uv, distance, _, row = decode(w.data)
    plane = Slice.from_anchors(w.anchors)
    assert w.data["frame"] == frame + 1 == w.geometry["frame"]
    np.testing.assert_allclose(uv, plane.to_plane(X[row]), atol=1e-12)
    residual = X[row] - plane.to_input(uv)
    np.testing.assert_allclose(distance, np.linalg.norm(residual, axis=1), rtol=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((4, 6)),), r"= \(N, 5\), got \(4, 6\)"),
        ((np.full((4, 5), np.nan),), "NaN"),
        ((np.zeros((0, 5)),), "no points"),
        ((np.array([["a"] * 5]),), "real numbers"),
        ((np.zeros((4, 5)), [0, 1]), r"y must have shape \(N,\) = \(4,\)"),
        ((np.zeros((4, 5)), None, -1.0), "max_distance"),
        ((np.zeros((4, 5)), None, None, 0), "max_points"),
    ],
)
def test_bad_data_gets_a_clear_error(w, args, message):
    with pytest.raises(SplineCamError, match=message):
        w.show_data(*args)


def test_use_as_anchor_moves_the_plane_through_the_data_point(w, model):
    X = RNG.normal(size=(10, 5))
    w.show_data(X, np.arange(10))
    response, buffers = w._use_as_anchor({"row": 7, "anchor": 1}, [])
    assert response == {"ok": True} and buffers == []
    w.wait(30)
    np.testing.assert_array_equal(w.anchors[1], X[7])
    np.testing.assert_array_equal(w.anchors[0], ANCHORS[0])
    want = partition(model, Slice.from_anchors(w.anchors))
    assert w.partition.n_regions == want.n_regions
    np.testing.assert_allclose(w.partition.slice.to_input(w.anchors_2d), w.anchors, atol=1e-12)
    # the point now sits on the plane
    _, distance, _, row = decode(w.data)
    assert distance[list(row).index(7)] < 1e-6


def test_use_as_anchor_errors_come_back_to_the_front_end(w):
    response, _ = w._use_as_anchor({"row": 0, "anchor": 0}, [])
    assert "show_data" in response["error"]
    w.show_data(np.stack([ANCHORS[1], ANCHORS[2], RNG.normal(size=5)]))
    assert "identical" in w._use_as_anchor({"row": 0, "anchor": 0}, [])[0]["error"]  # repeats anchor 1
    assert "index into the 3" in w._use_as_anchor({"row": 3, "anchor": 0}, [])[0]["error"]
    assert "anchor must be 0, 1 or 2" in w._use_as_anchor({"row": 2, "anchor": 5}, [])[0]["error"]
    np.testing.assert_array_equal(w.anchors, ANCHORS)


def test_vector_inputs_have_no_pictures(w):
    assert w.anchor_images is None
    w.show_data(RNG.normal(size=(3, 5)))
    assert w._data_image({"row": 0}, []) == ({"shape": None}, [])


def image_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)).eval()


def test_image_anchors_are_sent_as_thumbnails_and_follow_a_drag():
    images = RNG.uniform(0, 1, size=(3, 1, 6, 6))
    w = SplineCamWidget(image_model(), images)
    w.wait(60)
    assert w.anchor_images["shape"] == [6, 6] and len(w.anchor_images["rgba"]) == 3
    rgba = [np.frombuffer(b, np.uint8).reshape(6, 6, 4) for b in w.anchor_images["rgba"]]
    # one grey scale for the three: the darkest pixel of all is black, the brightest white
    assert min(r[..., 0].min() for r in rgba) == 0 and max(r[..., 0].max() for r in rgba) == 255
    order = np.argsort(images[0, 0].ravel())
    assert np.all(np.diff(rgba[0][..., 0].ravel()[order].astype(int)) >= 0)
    before = [bytes(b) for b in w.anchor_images["rgba"]]
    moved = [list(p) for p in w.anchors_2d]
    moved[2] = [moved[2][0] + 0.5, moved[2][1]]
    w.anchors_2d = moved
    w.wait(60)
    after = [bytes(b) for b in w.anchor_images["rgba"]]
    assert after[2] != before[2]
    assert after == [image.tobytes() for image in input_images(w.anchors, (1, 6, 6))]


def test_data_images_come_on_request_and_flat_inputs_can_be_named_images(model):
    w = SplineCamWidget(mlp((16, 8, 3)), RNG.uniform(size=(3, 16)), image_shape=(4, 4))
    w.wait(30)
    assert w.anchor_images["shape"] == [4, 4]
    X = RNG.uniform(size=(5, 16))
    w.show_data(X)
    response, buffers = w._data_image({"row": 2}, [])
    assert response == {"shape": [4, 4]} and len(buffers[0]) == 4 * 4 * 4
    grey = np.frombuffer(buffers[0], np.uint8).reshape(4, 4, 4)[..., 0]
    assert grey.ravel()[np.argmax(X[2])] == 255 and grey.ravel()[np.argmin(X[2])] == 0
    assert "row must be in 0..4" in w._data_image({"row": 99}, [])[0]["error"]
    with pytest.raises(SplineCamError, match="image_shape"):
        SplineCamWidget(mlp((16, 8, 3)), RNG.uniform(size=(3, 16)), image_shape=(5, 5))


def test_int_labels_use_the_unlightened_class_hues():
    overlay = DataOverlay(np.zeros((3, 2)), [0, 11, 2], (2,))
    rgb = hex_to_rgb([item["color"] for item in overlay.items])
    assert np.array_equal(rgb, hex_to_rgb([CATEGORICAL[0], CATEGORICAL[2], CATEGORICAL[1]]))


def test_points_coloured_by_local_density_carry_their_values_colours_and_a_colour_bar():
    from splinecam_widget import local_density

    model = mlp((2, 12, 12, 3), seed=4)
    w = SplineCamWidget(model, np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]]))
    w.wait(30)
    X = np.random.default_rng(1).uniform(-1, 1, size=(12, 2))
    w.show_data(X, color_by="density", radius=0.4, n_slices=2, seed=3)
    expected = local_density(model, X, 0.4, n_slices=2, seed=3)
    rows = np.frombuffer(w.data["row"], "<i4")
    np.testing.assert_allclose(np.frombuffer(w.data["value"], "<f4"), expected[rows], rtol=1e-6)
    colours = np.frombuffer(w.data["color"], np.uint8).reshape(-1, 4)
    assert colours.shape == (len(rows), 4) and len({tuple(c) for c in colours}) > 1
    legend = w.data["legend"]
    assert legend["kind"] == "colorbar" and "radius 0.4" in legend["title"]
    assert (legend["min"], legend["max"]) == (expected.min(), expected.max())
    with pytest.raises(SplineCamError, match="needs the radius"):
        w.show_data(X, color_by="density")
    with pytest.raises(SplineCamError, match="color_by must be 'label' or 'density'"):
        w.show_data(X, color_by="pattern")
    w.close()
