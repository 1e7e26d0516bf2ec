"""The compiled backend (CPU) and the torch backend give the same partition.

Same regions (counts per layer, activation patterns, vertices to 1e-12 of the slice's
scale), the same affine maps, the same decision boundary; and the compiled partition
passes the exactness checks on its own (tiling, one pattern and the model's map per region).
"""

import threading

import numpy as np
import pytest
import torch
from engine_checks import ACTIVATIONS, check_against_model, check_boundary, check_tiling, mlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_architectures import small_graph_nets
from test_exactness import networks_and_slices
from torch import nn

from splinecam_widget import Slice, partition, partition_many, square_domain
from splinecam_widget.errors import SplineCamError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def region_order(p) -> np.ndarray:
    """Regions sorted by pattern id, then centroid: an order both backends agree on."""
    return np.lexsort((p.centroids[:, 1], p.centroids[:, 0], p.pattern_ids))


def segment_keys(p) -> np.ndarray:
    """Boundary segments as sortable rows (endpoints, classes, level), sorted."""
    rows = np.concatenate(
        [p.boundary.reshape(-1, 4), p.boundary_classes.astype(float), p.boundary_levels[:, None].astype(float)], axis=1
    )
    return rows[np.lexsort(rows.T[::-1])]


def assert_same_partition(compiled, reference) -> None:
    scale = max(float(np.abs(reference.vertices).max()), 1e-300)
    assert compiled.n_regions == reference.n_regions
    assert compiled.layer_region_counts == reference.layer_region_counts
    a, b = region_order(compiled), region_order(reference)
    np.testing.assert_array_equal(compiled.pattern_ids[a], reference.pattern_ids[b])
    for i, j in zip(a, b):
        np.testing.assert_allclose(compiled.polygon(i), reference.polygon(j), rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(
        compiled.affine[a], reference.affine[b], rtol=1e-12, atol=1e-12 * np.abs(reference.affine).max()
    )
    np.testing.assert_array_equal(
        np.diff(compiled.offsets)[a], np.diff(reference.offsets)[b]
    )  # the same vertex counts, region by region
    assert len(compiled.boundary) == len(reference.boundary)
    np.testing.assert_allclose(segment_keys(compiled), segment_keys(reference), rtol=0, atol=1e-12 * scale)
    for layer in range(len(reference._layer_records)):
        np.testing.assert_array_equal(
            np.sort(compiled._layer_records[layer].pattern.numpy(), axis=0),
            np.sort(reference._layer_records[layer].pattern.numpy(), axis=0),
        )


@SETTINGS
@given(networks_and_slices())
def test_compiled_and_torch_backends_give_the_same_partition(case):
    model, plane, levels, rng = case
    compiled = partition(model, plane, levels=levels, backend="compiled")
    reference = partition(model, plane, levels=levels, backend="torch")
    assert_same_partition(compiled, reference)
    check_tiling(compiled)
    check_against_model(model, compiled, rng)
    check_boundary(compiled, rng)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(sorted(ACTIVATIONS)), st.integers(1, 3))
def test_backends_agree_on_deep_zoom_and_wide_slices(seed, activation, zoom):
    """Tolerances hold at every scale: the same partition from 1e-6 to 1e6 of the default square."""
    model = mlp([4, 16, 16, 3], activation, seed=seed)
    anchors = torch.from_numpy(np.random.default_rng(seed).normal(size=(3, 4)))
    half_width = 10.0 ** (6 * (zoom - 2))
    plane = Slice.from_anchors(anchors).with_domain(square_domain(half_width))
    assert_same_partition(partition(model, plane, backend="compiled"), partition(model, plane, backend="torch"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_graph_nets())
def test_backends_agree_on_random_conv_pooled_and_residual_nets(case):
    model, plane, _, _ = case
    assert_same_partition(partition(model, plane, backend="compiled"), partition(model, plane, backend="torch"))


def conv_net(kind: str, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Conv2d(1, 3, 3, padding=1), nn.ReLU()]
    if kind == "maxpool":
        layers += [nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(3, 2, 1), nn.ReLU()]
    elif kind == "adaptive":
        layers += [nn.AdaptiveMaxPool2d((2, 3))]
    else:
        layers += [nn.Conv2d(3, 3, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.LazyLinear(3)).eval()


@pytest.mark.parametrize("kind", ["conv", "maxpool", "adaptive"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backends_agree_on_conv_and_max_pooling_nets(kind, seed):
    model = conv_net(kind, seed)
    model(torch.zeros(1, 1, 5, 5))  # materialise the lazy head
    anchors = torch.from_numpy(np.random.default_rng(seed).normal(size=(3, 1, 5, 5)))
    plane = Slice.from_anchors(anchors, margin=0.5)
    compiled = partition(model, plane, backend="compiled", verify=True)
    assert_same_partition(compiled, partition(model, plane, backend="torch"))


def test_backends_agree_on_maxout_and_residual_branches():
    torch.manual_seed(3)

    class Maxout(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.head = nn.Linear(2, 24), nn.Linear(24, 12), nn.Linear(6, 2)

        def forward(self, x):
            h = torch.relu(self.a(x))
            h = h + torch.relu(nn.functional.linear(h, torch.eye(24)[:24]))  # a residual branch
            return self.head(self.b(h).reshape(-1, 6, 2).amax(dim=2))

    model = Maxout().eval()
    plane = Slice(np.zeros(2), np.eye(2), square_domain(2.0))
    assert_same_partition(partition(model, plane, backend="compiled"), partition(model, plane, backend="torch"))


def test_partition_many_agrees_with_the_torch_backend_and_with_partition():
    model = mlp([6, 12, 12, 4], "relu", seed=4)
    rng = np.random.default_rng(4)
    anchors = [torch.from_numpy(rng.normal(size=(3, 6))) for _ in range(7)]
    planes = [Slice.from_anchors(a, domain="triangle", margin=0.5) for a in anchors]
    together = partition_many(model, planes, backend="compiled")
    reference = partition_many(model, planes, backend="torch")
    for plane, compiled, torch_one in zip(planes, together, reference):
        assert_same_partition(compiled, torch_one)
        assert_same_partition(compiled, partition(model, plane, backend="compiled"))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_compiled_partition_does_not_depend_on_threads(threads, monkeypatch):
    """Above the parallel threshold regions are cut on several threads; pieces keep their order."""
    from splinecam_widget.engine.compiled import cutter

    monkeypatch.setattr(cutter, "PARALLEL_WORK", 0)
    model = mlp([2, 32, 32, 1], "relu", seed=5)
    plane = Slice(np.zeros(2), np.eye(2), square_domain(1.5))
    one = partition(model, plane, threads=1, backend="compiled")
    several = partition(model, plane, threads=threads, backend="compiled")
    np.testing.assert_array_equal(one.vertices, several.vertices)
    np.testing.assert_array_equal(one.pattern_ids, several.pattern_ids)
    assert_same_partition(several, partition(model, plane, backend="torch"))


def test_region_budget_is_kept_by_the_compiled_backend():
    from splinecam_widget.errors import RegionBudgetExceeded

    model = mlp([2, 32, 32, 1], "relu", seed=6)
    plane = Slice(np.zeros(2), np.eye(2), square_domain(2.0))
    total = partition(model, plane).n_regions
    with pytest.raises(RegionBudgetExceeded):
        partition(model, plane, max_regions=total - 1, backend="compiled")
    assert partition(model, plane, max_regions=total, backend="compiled").n_regions == total


def test_backend_is_checked():
    model = mlp([2, 4, 1], "relu")
    plane = Slice(np.zeros(2), np.eye(2), square_domain(1.0))
    with pytest.raises(SplineCamError, match="backend must be one of"):
        partition(model, plane, backend="numba")
    with pytest.raises(SplineCamError, match="backend must be one of"):
        partition_many(model, [plane], backend=None)


def test_auto_picks_the_compiled_kernels_on_the_cpu_once_ready_and_torch_on_cuda():
    from splinecam_widget.engine import backends, cuts
    from splinecam_widget.engine.compiled import cutter

    assert backends.warm_up() is True
    assert backends.pick("auto", torch.device("cpu")) is cutter
    assert backends.pick("auto", torch.device("cuda")) is cuts
    assert backends.pick("torch", torch.device("cpu")) is cuts
    with pytest.raises(SplineCamError, match="runs on the CPU"):
        backends.pick("compiled", torch.device("cuda"))


def test_auto_runs_torch_while_the_kernels_are_not_ready(monkeypatch):
    from splinecam_widget.engine import backends, cuts

    started = []
    monkeypatch.setattr(backends, "_ready", threading.Event())
    monkeypatch.setattr(backends, "_warming", object())  # a compile already under way
    monkeypatch.setattr(backends, "_warm", lambda: started.append(True))
    assert backends.pick("auto", torch.device("cpu")) is cuts
    assert not started  # the compile under way is not started twice


def test_kernels_that_cannot_be_made_ready_leave_auto_on_torch_with_one_warning(monkeypatch):
    from splinecam_widget.engine import backends, cuts
    from splinecam_widget.engine.compiled import warm

    def broken():
        raise OSError("no writable cache folder")

    monkeypatch.setattr(backends, "_ready", threading.Event())
    monkeypatch.setattr(backends, "_warming", None)
    monkeypatch.setattr(backends, "_failure", [])
    monkeypatch.setattr(warm, "warm", broken)
    with pytest.warns(RuntimeWarning, match="no writable cache folder"):
        with pytest.raises(SplineCamError, match="compiled kernels are unavailable"):
            backends.warm_up(wait=True)
    assert backends.pick("auto", torch.device("cpu")) is cuts
