"""Hooks and instance forwards change what a model computes: refused by name, never silently ignored."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.prune
from torch import nn
from torch.nn.modules import module as torch_module

from splinecam_widget import Slice, partition, square_domain
from splinecam_widget.errors import UnsupportedModelError
from splinecam_widget.network import cache

PLANE = Slice(np.zeros(2), np.eye(2), square_domain(1.5))


def sequential():
    """A plain Sequential: converted directly (the fast path, no tracing)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)).double().eval()


class Net(nn.Module):
    """The same layers in a user's module: converted through torch.fx."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Linear(2, 16)
        self.b = nn.Linear(16, 1)
        self.double().eval()

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


def first_layer(model):
    return model[0] if isinstance(model, nn.Sequential) else model.a


def first_name(model):
    return r"model\.0 \(Linear\)" if isinstance(model, nn.Sequential) else r"model\.a \(Linear\)"


def agrees_with_model(model):
    """The partition's affine maps give the model's outputs at every region's centroid."""
    result = partition(model, PLANE)
    points = result.centroids
    with torch.no_grad():
        expected = model(torch.from_numpy(PLANE.to_input(points))).reshape(len(points), -1).numpy()
    np.testing.assert_allclose(result.outputs_at(points, np.arange(result.n_regions)), expected, atol=1e-9)


def negate(module, inputs, output):
    return -output


def halve_input(module, inputs):
    return (inputs[0] / 2,)


def halve_input_kwargs(module, args, kwargs):
    return (args[0] / 2,), kwargs


MODELS = pytest.mark.parametrize("make", [sequential, Net], ids=["sequential", "traced"])


@MODELS
def test_a_forward_hook_is_refused_naming_module_and_hook(make):
    model = make()
    handle = first_layer(model).register_forward_hook(negate)
    with pytest.raises(UnsupportedModelError, match=first_name(model) + " has a forward hook negate"):
        partition(model, PLANE)
    handle.remove()
    agrees_with_model(model)


@MODELS
def test_a_lambda_hook_with_kwargs_and_always_call_is_refused(make):
    model = make()
    first_layer(model).register_forward_hook(lambda m, a, k, o: -o, with_kwargs=True, always_call=True)
    with pytest.raises(UnsupportedModelError, match=first_name(model) + r" has a forward hook \S*<lambda>"):
        partition(model, PLANE)


@MODELS
def test_a_forward_hook_on_the_whole_model_is_refused(make):
    model = make()
    model.register_forward_hook(negate)
    with pytest.raises(UnsupportedModelError, match=rf"the model \({type(model).__name__}\) has a forward hook"):
        partition(model, PLANE)


@MODELS
def test_a_forward_pre_hook_is_refused(make):
    model = make()
    first_layer(model).register_forward_pre_hook(halve_input)
    with pytest.raises(UnsupportedModelError, match=first_name(model) + " has a forward pre-hook halve_input"):
        partition(model, PLANE)


@MODELS
def test_a_forward_pre_hook_with_kwargs_is_refused(make):
    model = make()
    first_layer(model).register_forward_pre_hook(halve_input_kwargs, with_kwargs=True)
    with pytest.raises(
        UnsupportedModelError, match=first_name(model) + " has a forward pre-hook with kwargs halve_input_kwargs"
    ):
        partition(model, PLANE)


@MODELS
@pytest.mark.parametrize(
    ("register", "kind", "hook"),
    [
        (torch_module.register_module_forward_hook, "forward hook", negate),
        (torch_module.register_module_forward_pre_hook, "forward pre-hook", halve_input),
    ],
    ids=["forward", "pre"],
)
def test_global_module_hooks_are_refused(make, register, kind, hook):
    model = make()
    handle = register(hook)
    try:
        with pytest.raises(UnsupportedModelError, match=f"a global {kind} {hook.__name__}.*{register.__name__}"):
            partition(model, PLANE)
    finally:
        handle.remove()
    agrees_with_model(model)


@MODELS
def test_an_instance_forward_is_refused(make):
    model = make()
    layer = first_layer(model)
    layer.forward = lambda x: -nn.functional.linear(x, layer.weight, layer.bias)
    with pytest.raises(UnsupportedModelError, match=first_name(model) + " has a forward set on the instance"):
        partition(model, PLANE)


def test_an_instance_forward_on_the_whole_model_is_refused():
    model = Net()
    model.forward = lambda x: -model.b(torch.relu(model.a(x)))
    with pytest.raises(UnsupportedModelError, match=r"the model \(Net\) has a forward set on the instance"):
        partition(model, PLANE)


@MODELS
def test_a_hook_added_after_a_kept_conversion_is_refused(make):
    model = make()
    partition(model, PLANE)
    first_layer(model).register_forward_hook(negate)
    with pytest.raises(UnsupportedModelError, match="forward hook negate"):
        partition(model, PLANE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (nn.utils.weight_norm, r"torch\.nn\.utils\.parametrizations\.weight_norm"),
        (nn.utils.spectral_norm, r"torch\.nn\.utils\.parametrizations\.spectral_norm"),
    ],
    ids=["weight_norm", "spectral_norm"],
)
@pytest.mark.parametrize("verify", [False, True])
def test_the_old_weight_and_spectral_norm_are_refused_with_their_replacement(old, new, verify):
    model = sequential()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch deprecates the old weight_norm
        old(model[0])
    model(torch.zeros(1, 2, dtype=torch.float64))  # their hook computes weight on each call
    with torch.no_grad():
        for tensor in model[0].parameters():  # weight_g and weight_v, or weight_orig
            tensor.mul_(1.5)
    with pytest.raises(UnsupportedModelError, match=r"model\.0 \(Linear\) uses the old .*" + new):
        partition(model, PLANE, verify=verify)  # verify: refused before the model is ever copied


def test_pruning_is_refused_with_the_way_to_make_it_permanent():
    model = sequential()
    nn.utils.prune.l1_unstructured(model[0], "weight", amount=0.5)
    with torch.no_grad():
        model[0].weight_orig.mul_(-1.0)
    with pytest.raises(UnsupportedModelError, match=r"torch\.nn\.utils\.prune\.remove\(module, 'weight'\)"):
        partition(model, PLANE)
    nn.utils.prune.remove(model[0], "weight")
    agrees_with_model(model)


def test_backward_and_state_dict_hooks_are_left_alone():
    """They do not change the forward: the model is partitioned, and kept, as without them."""
    model = sequential()
    model[0].register_full_backward_hook(lambda m, gin, gout: None)
    model[2].register_full_backward_pre_hook(lambda m, gout: None)
    model.register_state_dict_post_hook(lambda m, sd, prefix, local: None)
    model[0]._register_load_state_dict_pre_hook(lambda *args: None)
    agrees_with_model(model)
    cache.clear()
    first = partition(model, PLANE)
    assert any(entry.model() is model for entry in cache._entries.values())
    assert partition(model, PLANE).n_regions == first.n_regions


class Doubled(nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x) + 1


class Shifted(nn.ReLU):
    def forward(self, x):
        return torch.relu(x - 0.5)


@pytest.mark.parametrize(
    ("layers", "name"),
    [
        (lambda: [Doubled(2, 16), nn.ReLU(), nn.Linear(16, 1)], r"model\.0 \(Doubled\) is a Linear whose forward"),
        (lambda: [nn.Linear(2, 16), Shifted(), nn.Linear(16, 1)], r"model\.1 \(Shifted\) is a ReLU whose forward"),
    ],
    ids=["linear", "relu"],
)
def test_a_known_layer_whose_subclass_overrides_forward_is_refused(layers, name):
    """Such a layer is converted from its weights and settings, which would ignore the override."""
    torch.manual_seed(0)
    model = nn.Sequential(*layers()).double().eval()
    with pytest.raises(UnsupportedModelError, match=name):
        partition(model, PLANE)


class Quiet(nn.ReLU):
    """A subclass that keeps ReLU's forward: converted as a ReLU."""

    label = "quiet"


def test_a_subclass_keeping_the_forward_of_its_layer_is_converted():
    torch.manual_seed(0)
    agrees_with_model(nn.Sequential(nn.Linear(2, 16), Quiet(), nn.Linear(16, 1)).double().eval())


def test_a_lazy_module_not_yet_run_is_refused_with_what_to_do():
    torch.manual_seed(0)
    model = nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.Linear(16, 1)).double().eval()
    with pytest.raises(UnsupportedModelError, match=r"model\.0 \(LazyLinear\) is a lazy module.*run the model once"):
        partition(model, PLANE)
    model(torch.zeros(1, 2, dtype=torch.float64))  # its shapes are known now, and its hook is gone
    agrees_with_model(model)
