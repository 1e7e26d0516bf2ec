"""The Partition and Slice API: shapes, queries, streaming, verification, hand-checkable geometry."""

import numpy as np
import pytest
import torch
from engine_checks import check_tiling, mlp
from torch import nn

import splinecam_widget.engine.compute as engine_compute
from splinecam_widget import Slice, VerificationError, named_domain, partition, square_domain


@pytest.fixture(scope="module")
def classifier():
    model = mlp((2, 16, 16, 3), seed=1)
    return model, partition(model, Slice(np.zeros(2), np.eye(2), square_domain(2.0)))


def test_arrays_have_the_documented_shapes_and_types(classifier):
    _, p = classifier
    r, n = p.n_regions, len(p.vertices)
    assert p.vertices.shape == (n, 2) and p.vertices.dtype == np.float64
    assert p.offsets.shape == (r + 1,) and p.offsets.dtype == np.int64 and p.offsets[-1] == n
    assert p.areas.shape == (r,) and p.affine.shape == (r, 3, 3) and p.affine.dtype == np.float64
    assert p.pattern_ids.shape == (r,) and p.pattern_ids.dtype == np.uint64
    assert p.edge_layer.shape == (n,) and set(np.unique(p.edge_layer)) <= {-1, 0, 1}
    assert p.boundary.shape[1:] == (2, 2) and p.boundary_classes.shape == (len(p.boundary), 2)
    assert np.all(p.boundary_classes[:, 0] < p.boundary_classes[:, 1]) and np.all(p.boundary_levels == -1)
    assert p.layer_names == ["model[1] (ReLU)", "model[3] (ReLU)"] and p.layer_region_counts[-1] == r
    assert len(set(p.pattern_ids.tolist())) == r  # one pattern per region, all distinct here


def test_region_at_finds_the_region_of_each_centroid(classifier):
    _, p = classifier
    assert np.array_equal(p.region_at(p.centroids), np.arange(p.n_regions))
    assert np.array_equal(p.region_at([[10.0, 10.0], [-2.5, 0.0]]), [-1, -1])


def test_domain_edges_are_tagged_minus_one(classifier):
    _, p = classifier
    start = p.vertices
    end = p.vertices[np.r_[1 : len(p.vertices), 0]]
    end[p.offsets[1:] - 1] = p.vertices[p.offsets[:-1]]
    on_square = np.isclose(np.abs(start), 2.0) & np.isclose(np.abs(end), 2.0) & np.isclose(start, end)
    assert np.all(p.edge_layer[on_square.any(axis=1)] == -1)
    assert np.all(p.edge_layer[~on_square.any(axis=1)] >= 0)


def test_pattern_ids_are_stable_across_recomputation_and_zoom(classifier):
    model, p = classifier
    again = partition(model, p.slice)
    assert np.array_equal(again.pattern_ids, p.pattern_ids)
    zoomed = partition(model, p.slice.with_domain(square_domain(0.5, center=(0.3, -0.2))))
    assert np.array_equal(zoomed.pattern_ids, p.pattern_ids[p.region_at(zoomed.centroids)])


def test_progress_streams_each_layer(classifier):
    model, p = classifier
    events = []
    partition(model, p.slice, progress=events.append)
    assert [(e.layer, e.n_layers) for e in events] == [(0, 2), (1, 2)]
    assert [e.partial.n_regions for e in events] == p.layer_region_counts
    assert events[0].partial.is_partial and events[0].partial.affine is None
    check_tiling(events[0].partial)


def test_input_slope_is_the_models_gradient():
    model = mlp((6, 12, 12, 4), "leaky", seed=2)
    p = partition(model, Slice.from_anchors(torch.randn(3, 6, generator=torch.Generator().manual_seed(0))))
    region = p.n_regions // 2
    x = torch.from_numpy(p.slice.to_input(p.centroids[region : region + 1])).requires_grad_(True)
    jacobian = torch.autograd.functional.jacobian(lambda t: model.double()(t)[0], x)[:, 0]
    assert np.allclose(p.input_slope(region), jacobian.numpy(), rtol=1e-10, atol=1e-12)


def test_image_shaped_anchors_and_slice_round_trip():
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    anchors = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    plane = Slice.from_anchors(anchors)
    assert plane.input_shape == (1, 8, 8)
    assert np.allclose(plane.basis.T @ plane.basis, np.eye(2))
    assert np.allclose(plane.to_input(plane.anchors_2d), anchors.numpy())
    assert np.allclose(plane.to_plane(anchors), plane.anchors_2d)
    assert isinstance(plane.to_input(torch.zeros(1, 2)), torch.Tensor)
    assert np.abs(plane.anchors_2d).max() * 1.25 == pytest.approx(np.abs(plane.domain).max())
    result = partition(model, plane, verify=True)
    check_tiling(result)
    assert result.input_slope(0).shape == (10, 1, 8, 8)


def test_triangle_domain_is_the_grown_anchor_triangle():
    plane = Slice.from_anchors(torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]]), domain="triangle", margin=0.5)
    assert plane.domain_area == pytest.approx(4.5 * 1.5**2)


def test_level_sets_of_a_linear_function_are_exact():
    model = nn.Sequential(nn.Linear(2, 1)).eval()
    model[0].weight.data = torch.tensor([[1.0, 0.0]])
    model[0].bias.data.zero_()
    p = partition(model, Slice(np.zeros(2), np.eye(2), square_domain(1.0)), levels=[-0.5, 0.0, 0.5])
    assert p.n_regions == 1 and p.levels == (-0.5, 0.0, 0.5)
    order = np.argsort(p.boundary_levels)
    assert np.array_equal(p.boundary_levels[order], [0, 1, 2])
    assert np.allclose(p.boundary[order][:, :, 0], [[-0.5, -0.5], [0, 0], [0.5, 0.5]])
    assert np.allclose(np.sort(p.boundary[order][:, :, 1], axis=1), [[-1, 1]] * 3)


def test_argmax_boundary_of_three_linear_classes():
    # Classes (u, v, 0): 0|1 along u = v >= 0, 0|2 along u = 0 for v < 0, 1|2 along v = 0 for u < 0.
    model = nn.Sequential(nn.Linear(2, 3)).eval()
    model[0].weight.data = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    model[0].bias.data.zero_()
    p = partition(model, Slice(np.zeros(2), np.eye(2), square_domain(1.0)))
    lengths = np.linalg.norm(p.boundary[:, 1] - p.boundary[:, 0], axis=1)
    totals = {tuple(pair): lengths[(p.boundary_classes == pair).all(axis=1)].sum() for pair in [(0, 1), (0, 2), (1, 2)]}
    assert totals == pytest.approx({(0, 1): np.sqrt(2), (0, 2): 1.0, (1, 2): 1.0})


def test_verify_catches_a_model_the_engine_misreads(monkeypatch):
    model = mlp((2, 8, 2), seed=0)
    other = mlp((2, 8, 2), seed=1)
    real = engine_compute.from_torch
    monkeypatch.setattr(engine_compute, "from_torch", lambda m, shape, device: real(other, shape, device))
    plane = Slice.from_anchors(torch.randn(3, 2, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(VerificationError, match="differs from the region's affine map"):
        partition(model, plane, verify=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu():
    model = mlp((784, 64, 64, 10), seed=0)
    plane = Slice.from_anchors(torch.randn(3, 784, generator=torch.Generator().manual_seed(0)))
    on_cpu = partition(model, plane, device="cpu")
    on_gpu = partition(model, plane, device="cuda", verify=True)
    assert on_gpu.n_regions == on_cpu.n_regions
    assert np.array_equal(np.sort(on_gpu.pattern_ids), np.sort(on_cpu.pattern_ids))
    assert np.allclose(np.sort(on_gpu.areas), np.sort(on_cpu.areas))


def test_named_domains_follow_the_anchors_in_any_frame():
    anchors_2d = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    shifted = anchors_2d + [10.0, -4.0]
    assert np.allclose(named_domain(shifted, "square", 0.5), named_domain(anchors_2d, "square", 0.5) + [10.0, -4.0])
    assert np.allclose(named_domain(shifted, "triangle", 0.0), shifted)
    plane = Slice.from_anchors(torch.randn(3, 5, generator=torch.Generator().manual_seed(0)), domain="triangle")
    assert np.allclose(np.sort(plane.domain, axis=0), np.sort(named_domain(plane.anchors_2d, "triangle", 0.25), axis=0))


def test_threads_apply_to_the_call_only(classifier):
    model, p = classifier
    before = torch.get_num_threads()
    again = partition(model, p.slice, threads=1)
    assert torch.get_num_threads() == before and again.n_regions == p.n_regions


def test_streamed_partials_carry_their_pattern_ids(classifier):
    model, p = classifier
    events = []
    partition(model, p.slice, progress=events.append)
    last = events[-1].partial
    assert np.array_equal(np.sort(last.pattern_ids), np.sort(p.pattern_ids))
