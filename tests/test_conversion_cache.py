"""A converted model is reused while it is unchanged, and never once it has changed."""

import gc
import sys
import threading
import types

import numpy as np
import pytest
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import Slice, partition, square_domain
from splinecam_widget.errors import SplineCamError
from splinecam_widget.network import cache, piecewise
from splinecam_widget.network import convert as convert_module
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
        lambda m: setattr(m[0].weight, "data", torch.randn(8, 2)),  # the same tensor, other memory
        lambda m: setattr(m[0].weight, "data", torch.randn(2, 8).t()),  # ... and other strides
        lambda m: m[0].weight.set_(torch.randn(8, 2)),
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


# --- Everything conversion reads, not only the weights (issue #26) ---------------------------------

SLOPE = 0.1  # a module-level global that Global.forward reads
HELPER_SLOPE = 0.1  # read by helper(), which Helper.forward calls


def agrees_with_model(model, result):
    """The partition's affine maps give the model's outputs now, at every region's centroid."""
    points = result.centroids
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        expected = model(torch.from_numpy(PLANE.to_input(points)).to(dtype)).reshape(len(points), -1).double().numpy()
    got = result.outputs_at(points, np.arange(result.n_regions))
    tolerance = 1e-9 if dtype == torch.float64 else 1e-4
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def assert_seen(model, change):
    """Partition, change the model, partition again: the second partition is the changed model's."""
    first = partition(model, PLANE)
    agrees_with_model(model, first)
    with torch.no_grad():
        change(model)
    second = partition(model, PLANE)
    agrees_with_model(model, second)
    assert_same(second, fresh(model))


class Layers(nn.Module):
    """2-16-1 with a leaky ReLU whose slope comes from wherever a subclass keeps it (traced)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.a = nn.Linear(2, 16)
        self.b = nn.Linear(16, 1)
        self.double().eval()

    def forward(self, x):
        return self.b(nn.functional.leaky_relu(self.a(x), self.slope()))


class Private(Layers):
    def __init__(self):
        super().__init__()
        self._slope = 0.1

    def slope(self):
        return self._slope


class Settings(Layers):
    def __init__(self):
        super().__init__()
        self.cfg = {"act": {"slope": 0.1}, "slopes": [0.1], "pair": (0.1,)}

    def slope(self):
        return self.cfg["act"]["slope"] + self.cfg["slopes"][0] + self.cfg["pair"][0] - 0.2


class ClassLevel(Layers):
    SLOPE = 0.1

    def slope(self):
        return self.SLOPE


class Global(Layers):
    def slope(self):
        return SLOPE


def helper():
    return HELPER_SLOPE


class Helper(Layers):
    def slope(self):
        return helper()


class Namespace(Layers):
    def __init__(self):
        super().__init__()
        self.options = types.SimpleNamespace(slope=0.1)

    def slope(self):
        return self.options.slope


class Closure(Layers):
    def __init__(self):
        super().__init__()
        settings = {"slope": 0.1}
        self.settings = settings
        self.pick = lambda: settings["slope"]

    def slope(self):
        return self.pick()


class Scaled(nn.Module):
    """2-16-1 ReLU net whose hidden layer is multiplied by a plain tensor attribute (traced)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.a = nn.Linear(2, 16)
        self.b = nn.Linear(16, 1)
        self.scale = torch.linspace(0.5, 1.5, 16)
        self.shift = np.zeros(16)
        self.double().eval()

    def forward(self, x):
        return self.b(torch.relu(self.a(x) * self.scale + torch.from_numpy(self.shift)))


@pytest.mark.parametrize(
    ("make", "change"),
    [
        (Private, lambda m: setattr(m, "_slope", 0.9)),
        (Settings, lambda m: m.cfg["act"].__setitem__("slope", 0.9)),  # a dict inside a dict, in place
        (Settings, lambda m: m.cfg["slopes"].__setitem__(0, 0.9)),  # a list in a dict, in place
        (Settings, lambda m: m.cfg.__setitem__("pair", (0.9,))),  # a tuple replaced
        (Namespace, lambda m: setattr(m.options, "slope", 0.9)),  # an object holding settings
        (Closure, lambda m: m.settings.__setitem__("slope", 0.9)),  # read through a lambda's closure
        (Scaled, lambda m: m.scale.mul_(-1.0)),  # a plain tensor attribute, in place
        (Scaled, lambda m: setattr(m, "scale", torch.full((16,), 2.0))),  # ... reassigned
        (Scaled, lambda m: m.shift.__setitem__(slice(None), 0.3)),  # a numpy array, in place
    ],
    ids=["private", "dict", "list", "tuple", "namespace", "closure", "tensor-in-place", "tensor-new", "numpy"],
)
def test_attributes_a_traced_forward_reads_are_seen(make, change):
    assert_seen(make(), change)


def test_a_class_attribute_is_seen(monkeypatch):
    model = ClassLevel()
    partition(model, PLANE)
    monkeypatch.setattr(ClassLevel, "SLOPE", 0.9)
    agrees_with_model(model, partition(model, PLANE))


def test_a_module_level_global_the_forward_reads_is_seen(monkeypatch):
    model = Global()
    partition(model, PLANE)
    monkeypatch.setattr(sys.modules[__name__], "SLOPE", 0.9)
    agrees_with_model(model, partition(model, PLANE))


def test_a_global_read_by_a_function_the_forward_calls_is_seen(monkeypatch):
    model = Helper()
    partition(model, PLANE)
    monkeypatch.setattr(sys.modules[__name__], "HELPER_SLOPE", 0.9)
    agrees_with_model(model, partition(model, PLANE))


def test_a_tensor_hyperparameter_of_a_torch_layer_changed_in_place_is_seen():
    model = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(torch.tensor(0.1)), nn.Linear(16, 1)).double().eval()
    assert_seen(model, lambda m: m[1].negative_slope.fill_(0.9))


class Scaler(nn.Module):
    """A declared piecewise-linear activation: its breakpoints come from the declared function."""

    def forward(self, x):
        return torch.relu(x)


def test_a_new_declaration_of_an_activation_is_seen(monkeypatch):
    monkeypatch.setitem(piecewise._DECLARED, Scaler, lambda m: ([0.0], [0.0, 1.0], 0.0))
    model = nn.Sequential(nn.Linear(2, 16), Scaler(), nn.Linear(16, 1)).double().eval()
    partition(model, PLANE)
    monkeypatch.setitem(piecewise._DECLARED, Scaler, lambda m: ([0.0], [0.5, 1.0], 0.0))  # declared again
    now, expected = partition(model, PLANE), fresh(model)
    points = expected.centroids
    np.testing.assert_allclose(now.outputs_at(points), expected.outputs_at(points), rtol=1e-12)


def test_a_model_holding_what_cannot_be_compared_is_converted_every_time():
    model = Private()
    model._lock = threading.Lock()  # no way to tell whether it changed, so nothing is kept
    first = from_torch(model, (2,), CPU)
    assert from_torch(model, (2,), CPU) is not first
    model._slope = 0.9
    agrees_with_model(model, partition(model, PLANE))


def test_an_unchanged_traced_model_is_converted_once():
    for model in (Private(), Settings(), ClassLevel(), Global(), Helper(), Namespace(), Closure(), Scaled()):
        first = from_torch(model, (2,), CPU)
        assert from_torch(model, (2,), CPU) is first, type(model).__name__


def test_a_write_during_conversion_never_becomes_the_baseline(monkeypatch):
    """A training thread's step landing while the model converts: the next call converts again.

    float32, so the stages hold copies (a float64 model's stages share its tensors).
    """
    model = mlp([2, 16, 16, 1], "relu", seed=4)
    cache.clear()
    real = convert_module.module_to_stage
    calls = []

    def stage_then_step(module, *args):
        stage = real(module, *args)
        if not calls:  # right after the first layer's weights were read, another thread steps
            step = threading.Thread(target=lambda: model[0].weight.data.mul_(-1.0))
            step.start()
            step.join()
        calls.append(module)
        return stage

    monkeypatch.setattr(convert_module, "module_to_stage", stage_then_step)
    partition(model, PLANE)
    monkeypatch.setattr(convert_module, "module_to_stage", real)
    agrees_with_model(model, partition(model, PLANE))


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m[0].weight.copy_(torch.randn(16, 2)),
        lambda m: m[1].running_mean.add_(0.5),  # BatchNorm statistics
        lambda m: setattr(m[1], "eps", 0.5),
        lambda m: m.__setitem__(0, nn.Linear(2, 16).double()),  # a swapped submodule
        lambda m: optimizer_step(m),
    ],
    ids=["copy_", "batchnorm-statistics", "eps", "swapped-submodule", "optimizer-step"],
)
def test_changes_to_weights_and_statistics_are_seen(change):
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1)).double().eval()
    model[1].running_var.uniform_(0.5, 2.0)
    assert_seen(model, change)


def optimizer_step(model):
    with torch.enable_grad():
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        model(torch.randn(8, 2, dtype=torch.float64)).square().sum().backward()
        optimizer.step()


def test_changes_to_a_model_too_large_to_keep_are_seen():
    model = mlp([2, 16, 16, 1], "relu", seed=6).double()
    model.register_buffer("table", torch.zeros(67 * 2**20 // 8, dtype=torch.float64))  # 67 MiB, never copied
    partition(model, PLANE)
    assert all(entry.model() is not model for entry in cache._entries.values())
    with torch.no_grad():
        model[2].weight.mul_(-1.0)
    agrees_with_model(model, partition(model, PLANE))


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_parametrizations_convert_and_their_original_tensors_are_watched(kind):
    torch.manual_seed(5)
    layer = getattr(nn.utils.parametrizations, kind)(nn.Linear(2, 16).double())
    model = nn.Sequential(layer, nn.ReLU(), nn.Linear(16, 1).double()).eval()
    agrees_with_model(model, partition(model, PLANE))
    with torch.no_grad():
        for tensor in layer.parametrizations.weight.parameters():  # original (weight_norm: original0, original1)
            tensor.mul_(torch.linspace(-1.0, 1.0, tensor.numel(), dtype=tensor.dtype).reshape(tensor.shape))
    agrees_with_model(model, partition(model, PLANE))
