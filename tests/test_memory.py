"""A memory budget bounds the per-region maps held at once; the partition does not depend on it."""

import numpy as np
import pytest
import torch
from engine_checks import check_tiling
from torch import nn

from splinecam_widget import Slice, SplineCamError, partition


def conv_net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
    ).eval()


@pytest.fixture(scope="module")
def plane():
    return Slice.from_anchors(torch.rand(3, 1, 6, 6, generator=torch.Generator().manual_seed(0)), margin=0.0)


def test_depth_first_groups_give_the_same_partition(plane):
    model = conv_net()
    whole = partition(model, plane)
    grouped = partition(model, plane, memory_budget=2**20, verify=True)  # about a hundred regions per group
    check_tiling(grouped)
    assert grouped.layer_region_counts == whole.layer_region_counts
    order_whole, order_grouped = np.argsort(whole.pattern_ids), np.argsort(grouped.pattern_ids)
    assert np.array_equal(whole.pattern_ids[order_whole], grouped.pattern_ids[order_grouped])
    assert np.allclose(whole.areas[order_whole], grouped.areas[order_grouped], rtol=1e-12)
    assert np.allclose(whole.affine[order_whole], grouped.affine[order_grouped], rtol=1e-9, atol=1e-12)
    for layer in range(3):
        assert np.array_equal(
            whole.activation_pattern(layer)[order_whole], grouped.activation_pattern(layer)[order_grouped]
        )


def test_progress_streams_only_layers_processed_whole(plane):
    whole, grouped = [], []
    partition(conv_net(), plane, memory_budget=16 * 2**20, progress=whole.append)
    partition(conv_net(), plane, memory_budget=2**20, progress=grouped.append)
    assert [e.layer for e in whole] == [0, 1, 2]
    assert all(abs(e.partial.areas.sum() - plane.domain_area) < 1e-9 * plane.domain_area for e in whole)
    assert grouped == []  # every layer ran in several groups: no partial covers the domain


def test_budget_below_one_region_is_explained(plane):
    with pytest.raises(
        SplineCamError, match=r"one region's affine maps take .* MiB, more than the memory_budget share"
    ):
        partition(conv_net(), plane, memory_budget=3_000)
