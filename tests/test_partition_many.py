"""partition_many equals one partition() per slice: the same regions, areas, pattern ids, maps,
activation patterns, per-layer counts and decision boundaries."""

import numpy as np
import pytest
import torch
from engine_checks import check_tiling, mlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from splinecam_widget import RegionBudgetExceeded, Slice, SplineCamError, partition, partition_many
from splinecam_widget.local.density import disk


def random_slices(rng, input_shape, n, radius):
    dim = int(np.prod(input_shape))
    out = []
    for _ in range(n):
        basis, _ = np.linalg.qr(rng.normal(size=(dim, 2)))
        domain = disk(radius * rng.uniform(0.5, 1.5), int(rng.integers(3, 16)))
        out.append(Slice(rng.normal(size=input_shape), basis, domain))
    return out


def canonical(p):
    """The partition's regions in a fixed order: by pattern id, then centroid."""
    order = np.lexsort((p.centroids[:, 1], p.centroids[:, 0], p.pattern_ids))
    return order


def assert_same(alone, together):
    assert together.n_regions == alone.n_regions
    assert together.layer_region_counts == alone.layer_region_counts
    a, b = canonical(alone), canonical(together)
    assert np.array_equal(alone.pattern_ids[a], together.pattern_ids[b])
    scale = np.abs(alone.affine).max() + 1.0
    np.testing.assert_allclose(together.areas[b], alone.areas[a], rtol=1e-9, atol=1e-12 * alone.slice.domain_area)
    np.testing.assert_allclose(together.affine[b], alone.affine[a], rtol=0, atol=1e-9 * scale)
    for layer in range(len(alone.layer_names)):
        assert np.array_equal(together.activation_pattern(layer)[b], alone.activation_pattern(layer)[a])
    lengths = [np.linalg.norm(p.boundary[:, 1] - p.boundary[:, 0], axis=1).sum() for p in (alone, together)]
    assert lengths[1] == pytest.approx(lengths[0], rel=1e-9, abs=1e-12)
    assert len(together.boundary) == len(alone.boundary)
    # every boundary segment is in the region it names (renumbered to the slice's own regions)
    if len(together.boundary):
        middles = together.boundary.mean(axis=1)
        np.testing.assert_allclose(
            together.outputs_at(middles, together.boundary_regions), together.outputs_at(middles), atol=1e-9 * scale
        )


class ConvNet(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.pool = nn.MaxPool2d(2) if pool else nn.AvgPool2d(2)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return self.fc(torch.flatten(h, 1) + 0.1)


@st.composite
def cases(draw):
    seed = draw(st.integers(0, 10_000))
    kind = draw(st.sampled_from(["mlp", "mlp-1-output", "conv-max", "conv-avg"]))
    torch.manual_seed(seed)
    if kind.startswith("mlp"):
        widths = (5, draw(st.integers(3, 12)), draw(st.integers(3, 12)), 1 if kind == "mlp-1-output" else 4)
        model, shape = mlp(widths, seed=seed), (5,)
    else:
        model, shape = ConvNet(kind == "conv-max").double().eval(), (1, 4, 4)
    n = draw(st.integers(1, 7))
    slices = random_slices(np.random.default_rng(seed), shape, n, draw(st.sampled_from([0.3, 1.0, 3.0])))
    return model, slices


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_partition_many_equals_one_partition_per_slice(case):
    model, slices = case
    together = partition_many(model, slices)
    assert len(together) == len(slices)
    for plane, part in zip(slices, together):
        assert part.slice is plane
        check_tiling(part)
        assert_same(partition(model, plane), part)


def test_a_small_memory_budget_gives_the_same_partitions():
    model = mlp((6, 16, 16, 3), seed=3)
    slices = random_slices(np.random.default_rng(1), (6,), 9, 2.0)
    whole = partition_many(model, slices)
    grouped = partition_many(model, slices, memory_budget=3 * 16 * 8 * 8 * 4)  # a few regions per group
    for a, b in zip(whole, grouped):
        assert_same(a, b)


def test_skipping_the_boundary_keeps_the_regions():
    model = mlp((4, 10, 3), seed=2)
    slices = random_slices(np.random.default_rng(2), (4,), 3, 2.0)
    full, regions_only = partition_many(model, slices), partition_many(model, slices, boundary=False)
    assert [p.n_regions for p in regions_only] == [p.n_regions for p in full]
    assert all(len(p.boundary) == 0 for p in regions_only) and any(len(p.boundary) for p in full)


def test_the_region_budget_applies_to_each_slice():
    model = mlp((4, 24, 24, 3), seed=2)
    small, large = (
        random_slices(np.random.default_rng(2), (4,), 2, 0.05),
        random_slices(np.random.default_rng(3), (4,), 1, 20),
    )
    counts = [p.n_regions for p in partition_many(model, small + large)]
    budget = max(counts[:2]) + 1
    assert counts[2] > budget
    partition_many(model, small, max_regions=budget)  # each small slice fits
    with pytest.raises(RegionBudgetExceeded):
        partition_many(model, small + large, max_regions=budget)


def test_bad_input():
    model = mlp((4, 6, 2))
    assert partition_many(model, []) == []
    with pytest.raises(SplineCamError, match=r"slices\[1\] must be a Slice"):
        partition_many(model, [Slice(np.zeros(4), np.eye(4)[:, :2], disk(1.0, 12)), "x"])
    with pytest.raises(SplineCamError, match="one input shape"):
        partition_many(
            model,
            [
                Slice(np.zeros(4), np.eye(4)[:, :2], disk(1.0, 12)),
                Slice(np.zeros((2, 2)), np.eye(4)[:, :2], disk(1.0, 12)),
            ],
        )
