"""Hand-built degenerate arrangements: no slivers, no crash, exact tiling."""

import warnings

import numpy as np
import pytest
import torch
from engine_checks import check_against_model, check_tiling
from torch import nn

from splinecam_widget import Slice, SplineCamError, partition, square_domain

SQUARE = Slice(np.zeros(2), np.eye(2), square_domain(1.0))


def relu_net(weight, bias, out_weight=None) -> nn.Sequential:
    weight = torch.tensor(weight, dtype=torch.float32)
    first = nn.Linear(2, len(weight))
    first.weight.data, first.bias.data = weight, torch.tensor(bias, dtype=torch.float32)
    last = nn.Linear(len(weight), 1)
    last.weight.data = torch.tensor([out_weight or [1.0] * len(weight)], dtype=torch.float32)
    last.bias.data.zero_()
    return nn.Sequential(first, nn.ReLU(), last).eval()


def exact_partition(model, plane=SQUARE):
    result = partition(model, plane, verify=True)
    check_tiling(result)
    check_against_model(model, result, np.random.default_rng(0))
    assert result.areas.min() > 1e-6 * plane.domain_area, "a sliver region appeared"
    return result


def test_line_through_an_existing_vertex_adds_no_sliver():
    # u = 0 and v = 0 meet at the origin; u + v = 0 passes through that vertex; u + v = 2 through a corner.
    model = relu_net([[1, 0], [0, 1], [1, 1], [1, 1]], [0, 0, 0, -2])
    assert exact_partition(model).n_regions == 6


def test_parallel_scaled_and_duplicate_units_make_one_cut_each():
    model = relu_net([[1, 0], [1, 0], [2, 0], [1, 0]], [0, 0, 0, -0.5])
    assert exact_partition(model).n_regions == 3


def test_all_zero_and_constant_units_do_not_cut():
    model = relu_net([[0, 0], [0, 0], [0, 0], [1, 0]], [0, 1, -1, 0])
    result = exact_partition(model)
    assert result.n_regions == 2
    assert set(result.activation_pattern(0)[:, 1]) == {1}  # the constant unit is active everywhere


def test_domain_edges_lying_on_unit_lines_do_not_cut():
    model = relu_net([[1, 0], [0, 1], [1, 0]], [-1, 1, 0])  # u = 1 and v = -1 are domain edges
    result = exact_partition(model)
    assert result.n_regions == 2
    assert set(np.unique(result.edge_layer)) == {-1, 0}


def test_deeper_unit_through_a_first_layer_vertex():
    # Second layer: relu(u) - relu(v) is zero on u = v in the first quadrant, through the origin vertex.
    first = nn.Linear(2, 2)
    first.weight.data = torch.eye(2)
    first.bias.data.zero_()
    second = nn.Linear(2, 1)
    second.weight.data = torch.tensor([[1.0, -1.0]])
    second.bias.data.zero_()
    model = nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), nn.Linear(1, 1)).eval()
    result = exact_partition(model)
    # Quadrants: u<0,v<0 | u>0,v<0 | u<0,v>0 | u>0,v>0 split by u=v; the u>0,v<0 and u<0,v>0 stay whole.
    assert result.n_regions == 5
    assert result.layer_region_counts == [4, 5]


@pytest.mark.parametrize("zoom", [1e-6, 1e6])
def test_extreme_zoom_keeps_tiling(zoom):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)).eval()
    plane = Slice(np.zeros(2), np.eye(2), square_domain(zoom, center=(0.1, -0.2)))
    result = partition(model, plane, verify=True)
    check_tiling(result)


def test_tiny_domain_far_from_the_origin_keeps_its_four_corners():
    plane = Slice(np.zeros(2), np.eye(2), square_domain(1e-3, center=(1e4, -2e4)))
    assert len(plane.domain) == 4 and plane.domain_area == pytest.approx(4e-6, rel=1e-9)
    closed = np.vstack([plane.domain, plane.domain[:1]])  # an explicitly closed ring is accepted too
    assert len(Slice(np.zeros(2), np.eye(2), closed).domain) == 4


# --- degenerate planes: judged relative to the anchors' size and their dtype's rounding ---


def float32_line(n: int = 784, offset: float = 0.0) -> np.ndarray:
    """Three collinear float32 inputs X0, X0 + d, X0 + 2d (each rounded to float32 once)."""
    rng = np.random.default_rng(1)
    x0 = (rng.standard_normal(n) + offset).astype(np.float32)
    d = rng.standard_normal(n).astype(np.float32)
    return np.stack([x0, x0 + d, x0 + d + d])


@pytest.mark.parametrize("as_tensor", [False, True])
def test_collinear_float32_anchors_are_refused(as_tensor):
    anchors = float32_line()
    assert np.linalg.matrix_rank(anchors[1:] - anchors[0], tol=0) == 2  # rounding made them "span" a plane
    with pytest.raises(SplineCamError, match=r"^anchors are collinear up to float32 rounding .*do not span a plane$"):
        Slice.from_anchors(torch.from_numpy(anchors) if as_tensor else anchors)


def test_float32_anchors_off_their_line_by_more_than_rounding_make_a_plane():
    anchors = float32_line(offset=3.0)
    anchors[2, 0] += 1e-4 * np.linalg.norm(anchors[2])  # ~ 800 float32 roundings off the line
    plane = Slice.from_anchors(anchors)
    np.testing.assert_allclose(plane.basis.T @ plane.basis, np.eye(2), atol=1e-14)
    np.testing.assert_allclose(plane.to_input(plane.anchors_2d), anchors, atol=1e-5)


def test_the_same_points_in_float64_are_judged_at_float64_rounding():
    anchors = float32_line().astype(np.float64)  # not collinear in float64: off the line by ~1e-8
    plane = Slice.from_anchors(anchors)
    np.testing.assert_allclose(plane.to_input(plane.anchors_2d), anchors, atol=1e-12)


def test_anchors_identical_up_to_their_rounding_are_refused():
    x = np.random.default_rng(2).standard_normal((3, 50)).astype(np.float32)
    x[1] = np.nextafter(x[0], np.float32(np.inf))  # one float32 step from anchor 0 in every coordinate
    with pytest.raises(SplineCamError, match=r"^anchors 0 and 1 are identical up to float32 rounding .*needed$"):
        Slice.from_anchors(x)


@pytest.mark.parametrize("scale", [1e-149, 1e-160, 1e-100, 1.0, 1e100, 1e149, 1e200])
def test_collinearity_does_not_depend_on_the_anchors_scale(scale):
    rng = np.random.default_rng(3)
    good = rng.standard_normal((3, 10))
    line = np.stack([good[0], good[0] + good[1], good[0] + 2 * good[1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow warnings on the way
        with pytest.raises(SplineCamError, match="anchors are collinear"):
            Slice.from_anchors(line * scale)
        with pytest.raises(SplineCamError, match="anchors 1 and 2 are identical"):
            Slice.from_anchors(good[[0, 1, 1]] * scale)
        if 1e-150 <= scale <= 1e149:
            plane = Slice.from_anchors(good * scale)
            reference = Slice.from_anchors(good)
            np.testing.assert_allclose(plane.basis, reference.basis, atol=1e-13)
            np.testing.assert_allclose(plane.anchors_2d / scale, reference.anchors_2d, rtol=1e-12)
        else:
            far = "too far apart" if scale > 1 else "too close together"
            with pytest.raises(SplineCamError, match=f"^anchors are {far}: .* float64; scale them"):
                Slice.from_anchors(good * scale)


def test_a_bias_free_network_has_the_same_partition_at_any_anchor_scale():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 12, bias=False), nn.ReLU(), nn.Linear(12, 1, bias=False)).eval()
    anchors = torch.randn(3, 6, dtype=torch.float64)
    counts = {scale: partition(model, Slice.from_anchors(anchors * scale)).n_regions for scale in (1e-140, 1, 1e140)}
    assert len(set(counts.values())) == 1, counts


def test_all_zero_anchors_are_identical():
    with pytest.raises(SplineCamError, match="^anchors 0 and 1 are identical"):
        Slice.from_anchors(np.zeros((3, 4)))
