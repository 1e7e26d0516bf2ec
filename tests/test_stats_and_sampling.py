"""Partition statistics on hand-computable cases; exact decision-boundary samples; local density."""

import numpy as np
import pytest
import shapely
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import Slice, SplineCamError, local_density, partition, square_domain

SQUARE = Slice(np.zeros(2), np.eye(2), square_domain(1.0), anchors_2d=[[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]])


def linear_net(weights, biases, out_weight, out_bias=0.0):
    first = nn.Linear(2, len(weights))
    first.weight.data = torch.tensor(weights, dtype=torch.float32)
    first.bias.data = torch.tensor(biases, dtype=torch.float32)
    last = nn.Linear(len(weights), 1)
    last.weight.data = torch.tensor([out_weight], dtype=torch.float32)
    last.bias.data = torch.tensor([out_bias], dtype=torch.float32)
    return nn.Sequential(first, nn.ReLU(), last).eval()


def test_stats_of_a_single_relu_unit():
    # relu(u) - 0.5: one cut along u = 0, the level set at u = 0.5.
    stats = partition(linear_net([[1.0, 0.0]], [0.0], [1.0], -0.5), SQUARE).stats()
    assert stats.n_regions == 2 and stats.regions_per_unit_area == pytest.approx(0.5)
    assert stats.area_mean == pytest.approx(2.0) and stats.area_quantiles[0.5] == pytest.approx(2.0)
    assert stats.vertices_mean == 4 and stats.vertices_max == 4
    assert stats.regions_created_per_layer == [1]
    assert stats.edge_length == pytest.approx(2.0) and stats.boundary_length == pytest.approx(2.0)
    # Two 1 x 2 rectangles: inertia eigenvalues in ratio 1:4, eccentricity sqrt(3)/2.
    assert stats.eccentricity_mean == pytest.approx(np.sqrt(3) / 2)
    assert stats.anchor_edge_distance == pytest.approx([0.5, 0.5, 0.0])
    assert stats.anchor_boundary_distance == pytest.approx([1.0, 0.0, 0.5])


def test_stats_of_two_crossing_lines():
    stats = partition(linear_net([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], [1.0, 1.0]), SQUARE).stats()
    assert stats.n_regions == 4 and stats.edge_length == pytest.approx(4.0)
    assert stats.eccentricity_mean == pytest.approx(0.0, abs=1e-7)  # unit squares
    row = stats.as_dict()
    assert row["n_regions"] == 4 and row["area_q50"] == pytest.approx(1.0) and "anchor_edge_distance_2" in row
    assert "regions_per_unit_area" in str(stats)


@pytest.mark.parametrize("outputs", [1, 4])
@pytest.mark.parametrize("where", ["all", "inside", "outside"])
def test_boundary_samples_lie_exactly_on_the_boundary(outputs, where):
    model = mlp((2, 16, 16, outputs), seed=4)
    p = partition(model, Slice.from_anchors(torch.tensor([[-1.0, -1.0], [1.5, -0.5], [0.0, 1.5]]), margin=1.0))
    samples = p.sample_boundary(200, seed=0, where=where)
    assert samples.inputs.shape == (200, 2) and samples.uv.shape == (200, 2)
    with torch.no_grad():
        out = model.double()(torch.from_numpy(samples.inputs)).numpy()
    scale = np.abs(p.outputs_at(p.centroids, np.arange(p.n_regions))).max()  # the outputs' size on the slice
    if outputs == 1:
        assert np.abs(out[:, 0]).max() <= 1e-9 * scale
    else:
        top2 = np.sort(out, axis=1)[:, -2:]
        assert np.abs(top2[:, 1] - top2[:, 0]).max() <= 1e-9 * scale
        pairs = np.sort(np.argsort(out, axis=1)[:, -2:], axis=1)
        agree = np.all(pairs == samples.classes, axis=1)
        assert agree.mean() > 0.99  # a sample exactly at a triple point may rank the third class second
    triangle = shapely.Polygon(p.slice.anchors_2d)
    points = shapely.points(samples.uv)
    if where == "inside":
        assert shapely.covers(triangle.buffer(1e-9), points).all()
    if where == "outside":
        assert not shapely.within(points, triangle.buffer(-1e-9)).any()


def test_boundary_sampling_is_reproducible_and_validated():
    p = partition(
        mlp((2, 8, 3), seed=1), Slice.from_anchors(torch.randn(3, 2, generator=torch.Generator().manual_seed(2)))
    )
    assert np.array_equal(p.sample_boundary(10, seed=3).uv, p.sample_boundary(10, seed=3).uv)
    with pytest.raises(SplineCamError, match="where must be one of"):
        p.sample_boundary(10, where="between")
    with pytest.raises(SplineCamError, match="n must be a non-negative integer"):
        p.sample_boundary(-1)


def test_local_density_counts_regions_in_a_disk():
    # Two lines through the origin in 3D input space: any plane through the origin sees 4 regions near it.
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1)).eval()
    model[0].weight.data = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    model[0].bias.data.zero_()
    density = local_density(
        model, torch.zeros(2, 3) + torch.tensor([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0]]), radius=0.1, n_slices=3, seed=0
    )
    assert density.tolist() == [4.0, 1.0]
    with pytest.raises(SplineCamError, match="radius must be a positive number"):
        local_density(model, torch.zeros(1, 3), radius=0)
