"""PNG export rendered in Python: size, region colours, exact class pixels, boundary."""

import io

import numpy as np
import torch
from engine_checks import mlp
from PIL import Image

from splinecam_widget import Slice, partition
from splinecam_widget.colors import class_palette, region_colors
from splinecam_widget.export.png import encode_png, render_partition

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


def test_png_bytes_decode_to_the_same_image():
    image = np.random.default_rng(0).integers(0, 255, size=(7, 5, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_png(image)))), image)


def test_each_pixel_has_its_regions_colour_and_the_size_follows_scale():
    p = partition(mlp((2, 8, 8, 2), seed=0), Slice.from_anchors(ANCHORS, margin=1.0))
    image = render_partition(p, color_by="pattern", width=120, scale=2, edges=False, boundary=False, anchors=False)
    assert image.shape[1] == 240
    low, high = p.slice.domain.min(axis=0), p.slice.domain.max(axis=0)
    per_unit = 240 / (high[0] - low[0])
    columns = np.floor((p.centroids[:, 0] - low[0]) * per_unit).astype(int)
    rows = np.floor((high[1] - p.centroids[:, 1]) * per_unit).astype(int)
    fills = region_colors(p, "pattern").fill[:, :3]
    big = p.areas > 0.02 * p.slice.domain_area  # regions wide enough that their centroid pixel is inside
    assert np.array_equal(image[rows[big], columns[big]], fills[big])


def test_class_pixels_follow_the_exact_decision_boundary():
    model = mlp((2, 16, 16, 3), seed=4)
    p = partition(model, Slice.from_anchors(ANCHORS, margin=1.0))
    image = render_partition(p, color_by="class", width=100, edges=False, boundary=False, anchors=False, legend=False)
    low, high = p.slice.domain.min(axis=0), p.slice.domain.max(axis=0)
    per_unit = 100 / (high[0] - low[0])
    rng = np.random.default_rng(1)
    rows, cols = rng.integers(0, image.shape[0], 200), rng.integers(0, image.shape[1], 200)
    uv = np.stack([low[0] + (cols + 0.5) / per_unit, high[1] - (rows + 0.5) / per_unit], axis=1)
    with torch.no_grad():
        cls = model.double()(torch.from_numpy(p.slice.to_input(uv))).argmax(dim=1).numpy()
    assert np.array_equal(image[rows, cols], class_palette()[cls])


def test_boundary_is_drawn_in_black():
    p = partition(mlp((2, 16, 16, 3), seed=4), Slice.from_anchors(ANCHORS, margin=1.0))
    assert len(p.boundary)
    image = render_partition(p, color_by="class", width=200, edges=False, anchors=False)
    assert (image == 0).all(axis=2).sum() > 50


def test_widget_saves_a_png_at_any_scale(tmp_path):
    from splinecam_widget import SplineCamWidget

    w = SplineCamWidget(mlp((2, 8, 8, 3), seed=2), torch.tensor(ANCHORS), color_by="class")
    w.save_png(tmp_path / "w.png", scale=3, width=100)
    image = Image.open(tmp_path / "w.png")
    assert image.size[0] == 300 and image.size[1] > 0
