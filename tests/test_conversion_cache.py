"""A converted model is reused while it is unchanged, and never once it has changed."""

import gc

import numpy as np
import pytest
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import Slice, partition, square_domain
from splinecam_widget.errors import SplineCamError
from splinecam_widget.network import cache
from splinecam_widget.network.convert import from_torch

CPU = torch.device("cpu")
PLANE = Slice(np.zeros(2), np.eye(2), square_domain(1.5))


def fresh(model):
    """The partition with nothing kept from earlier calls."""
    cache.clear()
    return partition(model, PLANE)


def assert_same(a, b):
    assert a.n_regions == b.n_regions
    np.testing.assert_array_equal(np.sort(a.pattern_ids), np.sort(b.pattern_ids))
    np.testing.assert_allclose(np.sort(a.areas), np.sort(b.areas), rtol=1e-12)


def test_an_unchanged_model_is_converted_once():
    model = mlp([2, 8, 8, 1], "relu")
    first = from_torch(model, (2,), CPU)
    assert from_torch(model, (2,), CPU) is first
    assert from_torch(mlp([2, 8, 8, 1], "relu"), (2,), CPU) is not first  # an equal but different model


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m[0].weight.data.mul_(1.5),  # through .data: torch's version counter does not move
        lambda m: m[2].bias.add_(0.3),  # in place, under no_grad
        lambda m: m.load_state_dict(mlp([2, 8, 8, 1], "relu", seed=7).state_dict()),
        lambda m: setattr(m[0], "weight", nn.Parameter(torch.randn(8, 2))),
        lambda m: setattr(m[1], "negative_slope", 0.5),  # a hyperparameter
        lambda m: m.__setitem__(1, nn.Hardtanh(-0.2, 0.2)),  # another module
    ],
)
def test_every_change_to_the_model_is_seen(change):
    model = mlp([2, 8, 8, 1], "leaky", seed=3)
    partition(model, PLANE)
    with torch.no_grad():
        change(model)
    assert_same(partition(model, PLANE), fresh(model))


def test_bad_weights_are_still_refused_after_a_cached_call():
    model = mlp([2, 8, 1], "relu")
    partition(model, PLANE)
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(SplineCamError, match="NaN"):
        partition(model, PLANE)


def test_training_mode_is_still_refused_after_a_cached_call():
    model = mlp([2, 8, 1], "relu", batchnorm=True)
    partition(model, PLANE)
    model.train()
    with pytest.raises(SplineCamError, match="training mode"):
        partition(model, PLANE)
    model.eval()
    partition(model, PLANE)


def test_a_collected_model_leaves_nothing_behind():
    cache.clear()
    model = mlp([2, 8, 1], "relu")
    partition(model, PLANE)
    assert len(cache._entries) == 1
    del model
    gc.collect()
    assert len(cache._entries) == 0


def test_large_models_are_not_copied(monkeypatch):
    monkeypatch.setattr(cache, "MAX_CACHED_BYTES", 100)
    cache.clear()
    model = mlp([2, 32, 1], "relu")
    first = from_torch(model, (2,), CPU)
    assert from_torch(model, (2,), CPU) is not first
    assert not cache._entries
