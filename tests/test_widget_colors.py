"""Colour modes: one RGBA per region, legends, stability of pattern colours, slope images."""

from __future__ import annotations

import numpy as np
import pytest
from engine_checks import mlp

from splinecam_widget import Slice, SplineCamError, partition
from splinecam_widget.colors import MODES, centroid_outputs, region_colors
from splinecam_widget.widget._images import image_layout, input_images, slope_images

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture(scope="module")
def part():
    return partition(mlp((2, 16, 16, 3)), Slice.from_anchors(ANCHORS))


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_one_opaque_rgba_per_region(part, mode):
    c = region_colors(part, mode)
    assert c.fill.shape == (part.n_regions, 4) and c.fill.dtype == np.uint8
    assert np.all(c.fill[:, 3] == 255)


def test_class_mode_colours_regions_of_one_class_alike_and_lists_the_classes(part):
    c = region_colors(part, "class")
    cls = np.argmax(centroid_outputs(part), axis=1)
    for k in np.unique(cls):
        assert len(np.unique(c.fill[cls == k], axis=0)) == 1
    assert len(np.unique(c.fill, axis=0)) == len(np.unique(cls))
    assert [item["label"] for item in c.legend["items"]] == ["class 0", "class 1", "class 2"]


def test_single_output_class_mode_splits_at_the_levels():
    model, plane = mlp((2, 16, 1)), Slice.from_anchors(ANCHORS)
    level = float(np.median(centroid_outputs(partition(model, plane))[:, 0]))
    p = partition(model, plane, levels=[level])
    c = region_colors(p, "class")
    above = centroid_outputs(p)[:, 0] > level
    assert above.any() and not above.all()
    assert len(np.unique(c.fill[above], axis=0)) == 1 and len(np.unique(c.fill[~above], axis=0)) == 1
    assert not np.array_equal(c.fill[above][0], c.fill[~above][0])
    assert [i["label"] for i in c.legend["items"]] == [f"below {level:g}", f"above {level:g}"]


def test_slope_and_output_modes_have_a_colour_bar_over_the_values(part):
    slope = region_colors(part, "slope")
    norms = np.linalg.norm(part.affine[:, :, :2].reshape(part.n_regions, -1), axis=1)
    assert slope.legend["kind"] == "colorbar" and slope.legend["min"] < slope.legend["max"]
    assert norms.min() <= slope.legend["min"] and slope.legend["max"] <= norms.max()
    steepest, flattest = np.argmax(norms), np.argmin(norms)
    assert not np.array_equal(slope.fill[steepest], slope.fill[flattest])
    assert region_colors(part, "output").legend["kind"] == "colorbar"


def test_pattern_colours_depend_only_on_the_pattern_id(part):
    c = region_colors(part, "pattern")
    ids = part.pattern_ids
    first = {}
    for i, pid in enumerate(ids):
        first.setdefault(int(pid), c.fill[i])
        assert np.array_equal(first[int(pid)], c.fill[i])
    # the same pattern found in another slice keeps its colour
    other = partition(mlp((2, 16, 16, 3)), Slice.from_anchors(ANCHORS * 0.5))
    oc = region_colors(other, "pattern")
    shared = np.intersect1d(ids, other.pattern_ids)
    assert len(shared) > 0
    for pid in shared[:20]:
        assert np.array_equal(
            c.fill[np.flatnonzero(ids == pid)[0]], oc.fill[np.flatnonzero(other.pattern_ids == pid)[0]]
        )


def test_layer_mode_has_a_palette_row_per_layer_plus_the_domain(part):
    c = region_colors(part, "layer")
    assert c.edge_palette.shape == (part.edge_layer.max() + 2, 4)
    assert len(np.unique(c.fill, axis=0)) == 1


def test_unknown_mode_names_the_modes():
    with pytest.raises(SplineCamError, match="'slope', 'class', 'output', 'pattern', 'layer'"):
        region_colors(None, "rainbow")


def test_slope_images_for_grey_and_rgb_inputs_and_none_for_vectors():
    rng = np.random.default_rng(0)
    rgba, scales = slope_images(rng.normal(size=(10, 1, 8, 6)), image_layout((1, 8, 6)))
    assert rgba.shape == (10, 8, 6, 4) and scales.shape == (10,)
    rgba, _ = slope_images(rng.normal(size=(2, 3, 5, 5)), image_layout((3, 5, 5)))
    assert rgba.shape == (2, 5, 5, 4)
    assert image_layout((784,)) is None and slope_images(rng.normal(size=(3, 784)), None) is None
    # flat inputs become images when the user names their shape
    assert image_layout((64,), (8, 8)) == (1, 8, 8)
    rgba, _ = slope_images(rng.normal(size=(3, 64)), image_layout((64,), (8, 8)))
    assert rgba.shape == (3, 8, 8, 4)
    # zero slope is the neutral middle colour
    flat, _ = slope_images(np.zeros((1, 4, 4)), image_layout((4, 4)))
    assert np.all(flat[0, :, :, :3] == flat[0, 0, 0, :3])


def test_image_layout_refuses_a_shape_of_another_size_or_too_many_channels():
    with pytest.raises(SplineCamError, match="image_shape"):
        image_layout((64,), (8, 9))
    with pytest.raises(SplineCamError, match="image_shape"):
        image_layout((32,), (2, 4, 4))
    assert image_layout((5, 4, 4)) is None  # five channels: not a picture


def test_input_images_share_one_grey_scale_and_keep_colour_channels():
    x = np.stack([np.zeros((4, 4)), np.full((4, 4), 0.5), np.ones((4, 4))])
    rgba = input_images(x, (1, 4, 4))
    assert rgba.shape == (3, 4, 4, 4) and np.all(rgba[..., 3] == 255)
    assert [int(rgba[i, 0, 0, 0]) for i in range(3)] == [0, 128, 255]
    assert np.all(rgba[..., 0] == rgba[..., 1])  # grey
    red = np.zeros((1, 3, 2, 2))
    red[0, 0] = 1.0
    assert rgba_of(input_images(red, (3, 2, 2))) == [255, 0, 0]


def rgba_of(images):
    return [int(c) for c in images[0, 0, 0, :3]]
