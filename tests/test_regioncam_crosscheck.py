"""Region counts agree with regioncam, an independent exact engine (Rust, float32)."""

import numpy as np
import pytest
import regioncam
import torch
from engine_checks import mlp

from splinecam_widget import Slice, partition, square_domain

CONFIGS = [
    # (widths, activation, seed, half-width)
    ((2, 8, 1), "relu", 0, 1.0),
    ((2, 16, 16, 1), "relu", 1, 1.0),
    ((2, 16, 16, 1), "leaky", 2, 3.0),
    ((2, 32, 1), "relu", 3, 5.0),
    ((2, 32, 32, 2), "relu", 4, 1.0),
    ((2, 32, 32, 2), "leaky", 5, 2.0),
    ((2, 24, 24, 24, 1), "relu", 6, 1.0),
    ((2, 24, 24, 24, 1), "leaky", 7, 0.5),
    ((2, 64, 1), "relu", 8, 10.0),
    ((2, 64, 64, 1), "relu", 9, 1.0),
    ((2, 64, 64, 1), "leaky", 10, 4.0),
    ((2, 12, 12, 12, 12, 3), "relu", 11, 2.0),
    ((2, 12, 12, 12, 12, 3), "leaky", 12, 2.0),
    ((2, 48, 48, 10), "relu", 13, 1.5),
    ((3, 32, 32, 1), "relu", 14, 2.0),
    ((5, 32, 32, 4), "leaky", 15, 2.0),
    ((10, 40, 40, 1), "relu", 16, 3.0),
    ((10, 16, 16, 16, 2), "leaky", 17, 3.0),
    ((20, 64, 64, 5), "relu", 18, 4.0),
    ((50, 32, 32, 32, 10), "relu", 19, 5.0),
    ((784, 64, 64, 10), "relu", 20, 3.0),
    ((784, 32, 32, 32, 10), "leaky", 21, 5.0),
    ((2, 128, 1), "relu", 22, 1.0),
    ((2, 8, 8, 8, 8, 8, 8, 1), "relu", 23, 1.0),
]


def peer_count(model, plane: Slice, half_width: float) -> int:
    cam = regioncam.Regioncam(half_width)
    if plane.dim != 2:
        cam.linear(plane.basis.T.astype(np.float32), plane.origin.astype(np.float32))
    cam.add(model)
    return cam.num_faces


@pytest.mark.parametrize("backend", ["compiled", "torch"])
@pytest.mark.parametrize("widths, activation, seed, half_width", CONFIGS)
def test_region_count_matches_regioncam(widths, activation, seed, half_width, backend):
    model = mlp(widths, activation, seed=seed)
    if widths[0] == 2:
        plane = Slice(np.zeros(2), np.eye(2), square_domain(half_width))
    else:
        anchors = torch.randn(3, widths[0], generator=torch.Generator().manual_seed(seed))
        plane = Slice.from_anchors(anchors).with_domain(square_domain(half_width))
    assert partition(model, plane, backend=backend).n_regions == peer_count(model, plane, half_width)


def degenerate_model(weight, bias, hidden=None) -> torch.nn.Sequential:
    """A float32 ReLU MLP on 2 inputs with small-integer first-layer weights: its lines really meet."""
    weight = torch.tensor(weight, dtype=torch.float32)
    layers = [torch.nn.Linear(2, len(weight)), torch.nn.ReLU()]
    with torch.no_grad():  # regioncam needs bias vectors: zeros for bias-free layers
        layers[0].weight.copy_(weight)
        layers[0].bias.copy_(torch.tensor(bias if bias is not None else [0.0] * len(weight), dtype=torch.float32))
    width = len(weight)
    if hidden is not None:
        torch.manual_seed(hidden)
        layers += [torch.nn.Linear(width, 6), torch.nn.ReLU()]
        with torch.no_grad():
            layers[-2].bias.zero_()
        width = 6
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers).eval()


DEGENERATE = {
    "four lines, two through the origin": degenerate_model([[-1, 3], [-3, -1], [-2, 3], [-2, 2]], [0, 0.5, 0, 0]),
    "eight bias-free lines": degenerate_model(
        [[1, 0], [0, 1], [1, 1], [1, -1], [2, 1], [1, -2], [3, 1], [-1, 3]], None
    ),
    "bias-free, two layers": degenerate_model([[1, 0], [0, 1], [1, 1], [1, -1], [2, 1], [1, -3]], None, hidden=0),
    "six lines through (0.5, 0.25)": degenerate_model(
        [[1, 0], [0, 1], [1, 1], [1, -2], [2, 1], [3, -1]],
        [-0.5, -0.25, -0.75, 0.0, -1.25, -1.25],
    ),
    "duplicated and scaled lines": degenerate_model([[1, 1], [1, 1], [2, 2], [1, -1], [-1, 1]], [0.5, 0.5, 1.0, 0, 0]),
}


@pytest.mark.parametrize("backend", ["compiled", "torch"])
@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_arrangements_match_regioncam(name, backend):
    model = DEGENERATE[name]
    plane = Slice(np.zeros(2), np.eye(2), square_domain(1.0))
    assert partition(model, plane, backend=backend).n_regions == peer_count(model, plane, 1.0)
