"""torchvision- and timm-style architectures (tests/zoo.py) convert and are exact.

For each: ``verify=True`` (the original model at every region's centroid), the tiling of
the window, and the model itself at random interior points of every region, compared
relative to the output scale with no absolute floor.
"""

import numpy as np
import pytest
import torch
from engine_checks import check_tiling, interior_points
from zoo import build

from splinecam_widget import Slice, partition, square_domain

# (model, width, half-width of the window): windows chosen so that each slice has several regions
CASES = {
    "resnet18": (0.125, 0.03),
    "resnet50": (0.0625, 0.03),
    "timm_resnet18": (0.125, 0.03),
    "vgg11": (0.0625, 0.01),
    "vgg11_bn": (0.0625, 0.01),
    "squeezenet1_0": (0.125, 0.01),
    "densenet121": (0.0625, 0.01),
    "mobilenet_v2": (0.125, 0.03),
    "shufflenet_v2_x0_5": (0.25, 0.1),
    "alexnet": (0.125, 0.3),
}


def anchors(seed=0):
    return torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_architecture_converts_and_is_exact(name):
    width, half_width = CASES[name]
    model = build(name, width)
    plane = Slice.from_anchors(anchors(), domain=square_domain(half_width))
    result = partition(model, plane, verify=True, max_regions=20_000)
    assert result.n_regions > 1, "the window should hold several regions"
    check_tiling(result)
    points, regions = interior_points(result, 2, np.random.default_rng(0))
    with torch.no_grad():
        expected = model(torch.from_numpy(plane.to_input(points))).numpy()
    error = np.abs(result.outputs_at(points, regions) - expected).max()
    assert error <= 1e-9 * np.abs(expected).max()


def test_max_pool_windows_of_dead_units_are_not_split_candidates():
    from splinecam_widget.engine.maxsplit import candidate_windows
    from splinecam_widget.network.pooling import maxpool_stage

    stage = maxpool_stage(torch.nn.MaxPool2d(2), "pool", (1, 4, 4), torch.device("cpu"))
    maps = torch.zeros(1, 3, 16, dtype=torch.float64)  # every unit dead: all-zero maps
    maps[0, :, 0] = torch.tensor([1.0, 0.0, 0.0])  # unit 0 (window 0) varies with u
    maps[0, :, 5] = torch.tensor([0.0, 0.0, 0.5])  # window 0: a constant above the others
    maps[0, :, 2] = torch.tensor([2.0, 0.0, 0.0])  # window 1: unit 2 against three zeros
    maps[0, :, 3] = torch.tensor([2.0, 0.0, 1e-15])  # ...and unit 3, identical to it up to rounding
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]], dtype=torch.float64)
    region, windows = candidate_windows(boxes, maps, stage)
    assert windows.tolist() == [0, 1], "windows 2 and 3 hold only tied (all-zero) members"
