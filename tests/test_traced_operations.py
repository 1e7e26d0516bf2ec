"""Operations of traced forwards: tuple-valued ones (chunk, split, ...), reductions over sample
dimensions, stacking, and errors that name the operation and the user's source line."""

import os

import numpy as np
import pytest
import torch
from engine_checks import check_tiling, interior_points
from torch import nn

from splinecam_widget import Slice, SplineCamError, UnsupportedModelError, partition
from splinecam_widget.network.trace import TORCH_DIR, in_torch


class Net(nn.Module):
    """Conv features of shape (4, 3, 3), then ``body``, then a linear head of the flattened result."""

    def __init__(self, body, width):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 2)
        self.body = body
        self.head = nn.LazyLinear(3)
        self.forward(torch.zeros(2, 1, 4, 4))  # materialise the lazy head
        self.double().eval()

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.head(torch.flatten(self.body(h), 1))


BODIES = {
    "chunk": lambda h: torch.cat([h.chunk(2, dim=1)[1], torch.relu(h.chunk(2, dim=1)[0] - 0.1)], 1),
    "split": lambda h: torch.split(h, [1, 3], dim=1)[1] * 2,
    "tensor_split": lambda h: torch.tensor_split(h, (1, 2), dim=2)[2],
    "unbind": lambda h: torch.relu(h.unbind(1)[3] - h.unbind(1)[0]),
    "cat of chunks": lambda h: torch.cat(h.chunk(4, 1), dim=3),
    "mean over channels": lambda h: torch.relu(h.mean(1, keepdim=True) - 0.05),
    "mean([2, 3])": lambda h: h.mean([2, 3]),
    "sum": lambda h: torch.sum(h, dim=(1, 2)),
    "stack": lambda h: torch.stack([h, -h], dim=2).relu(),
    "channel shuffle": lambda h: h.view(h.size(0), 2, 2, 3, 3).transpose(1, 2).contiguous().view(h.size(0), -1, 3, 3),
    "permute + flatten": lambda h: h.permute(0, 2, 3, 1).flatten(2),
}


class Body(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, h):
        return self.fn(h)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_operation_converts_exactly(name):
    torch.manual_seed(1)
    model = Net(Body(BODIES[name]), 4)
    plane = Slice.from_anchors(torch.rand(3, 1, 4, 4, generator=torch.Generator().manual_seed(2)))
    result = partition(model, plane, verify=True)
    check_tiling(result)
    points, regions = interior_points(result, 2, np.random.default_rng(0))
    with torch.no_grad():
        expected = model(torch.from_numpy(plane.to_input(points))).numpy()
    assert np.abs(result.outputs_at(points, regions) - expected).max() <= 1e-9 * np.abs(expected).max()


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda h: h.chunk(2, dim=0)[0], "splits over the batch dimension"),
        (lambda h: h + h.mean(), "averages over every dimension, the batch too"),
        (lambda h: h + h.sum(0, keepdim=True), "samples of the batch"),
        (lambda h: torch.stack([h, h], dim=0), "joins over the batch dimension"),
        (lambda h: torch.sin(h), r"sin \(at .*test_traced_operations.py"),
    ],
)
def test_unsupported_uses_name_the_operation(fn, message):
    torch.manual_seed(1)
    with pytest.raises(SplineCamError, match=message):
        model = Net(Body(fn), 4)
        partition(model, Slice.from_anchors(torch.rand(3, 1, 4, 4)))


def test_unexpected_failures_inside_the_converter_name_the_operation(monkeypatch):
    import splinecam_widget.network.trace as trace

    def broken(self, node, target, label, x):
        raise AttributeError("'tuple' object has no attribute 'shape'")

    monkeypatch.setattr(trace.GraphConverter, "convert_tuple", broken)
    with pytest.raises(UnsupportedModelError, match=r"chunk \(at .*\) cannot be converted \(AttributeError"):
        partition(Net(Body(BODIES["chunk"]), 4), Slice.from_anchors(torch.rand(3, 1, 4, 4)))


def test_source_lines_skip_torch_but_not_packages_whose_name_starts_with_torch():
    assert in_torch(os.path.join(TORCH_DIR, "nn", "modules", "linear.py"))
    assert not in_torch(TORCH_DIR + "vision" + os.sep + "models" + os.sep + "resnet.py")
    assert not in_torch(os.path.join(os.path.dirname(TORCH_DIR), "timm", "models", "resnet.py"))
