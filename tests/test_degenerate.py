"""Hand-built degenerate arrangements: no slivers, no crash, exact tiling."""

import numpy as np
import pytest
import torch
from engine_checks import check_against_model, check_tiling
from torch import nn

from splinecam_widget import Slice, partition, square_domain

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
