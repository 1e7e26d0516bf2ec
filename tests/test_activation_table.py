"""One activation table, two paths: every activation works as a module and as a function in a traced forward."""

import numpy as np
import pytest
import torch
from engine_checks import check_tiling
from torch import nn
from torch.nn import functional as F

from splinecam_widget import Slice, UnsupportedModelError, partition
from splinecam_widget.network.activations import ACTIVATIONS

PRELU_WEIGHT = torch.tensor([0.3, -0.2, 0.1, 0.25, 0.05, 0.4])

# (module, the same function as a call in a forward) for every entry of the table
FORMS = {
    "relu": (nn.ReLU(), lambda h, m: F.relu(h)),
    "relu-method": (nn.ReLU(), lambda h, m: h.relu()),
    "relu-inplace": (nn.ReLU(), lambda h, m: torch.relu_(h.clone())),
    "leaky_relu": (nn.LeakyReLU(0.2), lambda h, m: F.leaky_relu(h, 0.2)),
    "leaky_relu-kw": (nn.LeakyReLU(0.2), lambda h, m: F.leaky_relu(h, negative_slope=0.2, inplace=False)),
    "rrelu": (nn.RReLU(0.1, 0.3), lambda h, m: F.rrelu(h, 0.1, 0.3)),
    "prelu": (nn.PReLU(6), lambda h, m: F.prelu(h, m.act_weight)),
    "hardtanh": (nn.Hardtanh(-0.5, 0.75), lambda h, m: F.hardtanh(h, -0.5, 0.75)),
    "relu6": (nn.ReLU6(), lambda h, m: F.relu6(h * 8)),
    "hardsigmoid": (nn.Hardsigmoid(), lambda h, m: F.hardsigmoid(h * 8)),
    "softshrink": (nn.Softshrink(0.3), lambda h, m: F.softshrink(h, 0.3)),
    "softshrink-default": (nn.Softshrink(), lambda h, m: F.softshrink(h)),
    "abs": (None, lambda h, m: torch.abs(h)),
    "clamp": (None, lambda h, m: torch.clamp(h, -0.3, 0.4)),
    "clip-min": (None, lambda h, m: h.clip(min=-0.2)),
}
SCALED = {"relu6", "hardsigmoid"}  # their breakpoints sit far out: the functional form scales first


class Functional(nn.Module):
    def __init__(self, call):
        super().__init__()
        self.a, self.b, self.call = nn.Linear(3, 6), nn.Linear(6, 2), call
        self.register_buffer("act_weight", PRELU_WEIGHT.clone())

    def forward(self, x):
        return self.b(self.call(self.a(x), self))


class AsModule(nn.Module):
    def __init__(self, activation, scale):
        super().__init__()
        self.a, self.b, self.act, self.scale = nn.Linear(3, 6), nn.Linear(6, 2), activation, scale

    def forward(self, x):
        return self.b(self.act(self.a(x) * self.scale))


def plane():
    return Slice.from_anchors(torch.randn(3, 3, generator=torch.Generator().manual_seed(3)))


def test_every_table_entry_has_a_functional_test():
    names = {name.split("-")[0] for name in FORMS}
    assert names >= {activation.name for activation in ACTIVATIONS}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_functional_form_is_exact_and_equals_the_module(name):
    module, call = FORMS[name]
    torch.manual_seed(0)
    functional = Functional(call).double().eval()
    result = partition(functional, plane(), verify=True)
    check_tiling(result)
    assert result.n_regions > 1, "the slice should cross the activation's breakpoints"
    assert result.layer_names[0].split(" ")[0] in {name.split("-")[0], "relu_", "clip"}
    if module is None:
        return
    if isinstance(module, nn.PReLU):
        module.weight.data = PRELU_WEIGHT.clone()
    twin = AsModule(module, 8.0 if name in SCALED else 1.0).double().eval()
    twin.a.load_state_dict(functional.a.state_dict())
    twin.b.load_state_dict(functional.b.state_dict())
    by_module = partition(twin, plane(), verify=True)
    assert by_module.n_regions == result.n_regions
    np.testing.assert_allclose(np.sort(by_module.areas), np.sort(result.areas), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda h, m: F.rrelu(h, training=True), "training=True"),
        (lambda h, m: torch.clamp(h, min=m.act_weight), "must be a constant number"),
        (lambda h, m: F.hardshrink(h), "hardshrink"),
    ],
)
def test_functional_forms_the_engine_cannot_read_are_named(call, message):
    with pytest.raises(UnsupportedModelError, match=message):
        partition(Functional(call).eval(), plane())
