"""Odd input gets one clear SplineCamError that names what was passed and what is accepted.

Each of these used to surface as a raw TypeError or ValueError from numpy, traitlets' own
text, a bare OSError, or a message that named nothing.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from engine_checks import mlp

from splinecam_widget import Slice, SplineCamError, partition, square_domain
from splinecam_widget.widget import SplineCamWidget

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])
ANCHORS_3D = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def p():
    return partition(mlp((2, 8, 8, 3), seed=2), Slice.from_anchors(ANCHORS))


@pytest.fixture(scope="module")
def w():
    widget = SplineCamWidget(mlp((2, 8, 8, 3), seed=2), ANCHORS, color_by="class")
    widget.wait(30)
    yield widget
    widget.close()


# --- the plane ----------------------------------------------------------------------------


@pytest.mark.parametrize("margin", ["1", None, [0.5], True])
def test_a_margin_that_is_no_number_is_named_with_what_is_accepted(margin):
    with pytest.raises(SplineCamError, match=r"margin must be a non-negative finite number such as 0\.25, got "):
        Slice.from_anchors(ANCHORS_3D, margin=margin)


def test_a_half_width_that_is_no_number_is_named():
    with pytest.raises(SplineCamError, match=r"half_width must be a positive finite number, got 'a'"):
        square_domain("a")


@pytest.mark.parametrize("center", [(0,), (0, 1, 2), "ab", (0.0, float("nan"))])
def test_a_center_that_is_not_two_numbers_is_named(center):
    with pytest.raises(SplineCamError, match=r"center must be two finite numbers \(u, v\), got "):
        square_domain(1, center=center)


@pytest.mark.parametrize("shape", [(5, 3), (5,), (3,), ()])
def test_plane_points_of_a_wrong_shape_are_refused_naming_the_shape(shape):
    plane = Slice.from_anchors(ANCHORS_3D)
    expected = re.escape(f"uv must be plane points of shape (M, 2), or (2,) for one point, got shape {shape}")
    with pytest.raises(SplineCamError, match=expected):
        plane.to_input(np.zeros(shape))
    with pytest.raises(SplineCamError, match=expected):
        plane.to_input(torch.zeros(shape))


@pytest.mark.parametrize("shape", [(5, 2), (4,), (6,), (2, 3, 2)])
def test_inputs_of_a_wrong_shape_are_refused_naming_the_accepted_shapes(shape):
    plane = Slice.from_anchors(ANCHORS_3D)  # inputs of 3 values
    with pytest.raises(SplineCamError, match=r"x must be model inputs of shape \(M, 3\), or one input without the M"):
        plane.to_plane(np.zeros(shape))


def test_images_of_a_wrong_shape_name_both_the_whole_and_the_flat_shape():
    plane = Slice.from_anchors(torch.randn(3, 1, 4, 4, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(SplineCamError, match=r"shape \(M, 1, 4, 4\) or flattened \(M, 16\).*got shape \(5, 3\)"):
        plane.to_plane(np.zeros((5, 3)))


def test_the_accepted_shapes_still_map_points_and_inputs():
    plane = Slice.from_anchors(torch.randn(3, 1, 4, 4, generator=torch.Generator().manual_seed(0)))
    assert plane.to_input(np.zeros(2)).shape == (1, 1, 4, 4)
    assert plane.to_input(np.zeros((3, 5, 2))).shape == (15, 1, 4, 4)
    for shape in [(7, 1, 4, 4), (7, 4, 4), (7, 16), (0, 16)]:
        assert plane.to_plane(np.zeros(shape)).shape == (shape[0], 2)
    assert plane.to_plane(np.zeros((1, 4, 4))).shape == plane.to_plane(np.zeros(16)).shape == (1, 2)


# --- the widget's colour mode -----------------------------------------------------------------


@pytest.mark.parametrize("mode", [5, None, 1.5, "rainbow"])
def test_a_colour_mode_that_is_none_of_the_modes_is_refused_in_our_words_and_rolled_back(w, mode):
    with pytest.raises(SplineCamError, match=r"color_by=.* is not a colour mode; use one of 'slope', 'class'"):
        w.color_by = mode
    assert w.color_by == "class"
