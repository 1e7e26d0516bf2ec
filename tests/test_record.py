"""Recording a forward (network/record.py): what a forward may do with ``self``, and what it may not change."""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F
from engine_checks import check_tiling
from torch import nn

from splinecam_widget import Slice, SplineCamError, UnsupportedModelError, partition
from splinecam_widget.network.trace import trace


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.relu(self.fc(x))


class Child(Base):
    def forward(self, x):
        assert isinstance(self, Base) and isinstance(self, nn.Module) and self.__class__ is Child
        return super().forward(x) + x


class Everything(nn.Module):
    """A forward that uses ``self`` every way the recorder must answer as the module would."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(2, 4)
        self.layers = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU())
        self.blocks = nn.ModuleList([Child(), Child(), Child()])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 3), "b": nn.Linear(4, 3)})
        self.scales = nn.ParameterList([nn.Parameter(torch.full((4,), 0.5))])
        self.register_buffer("shift", torch.linspace(-0.1, 0.1, 4))
        self.mask = torch.tensor([1.0, 0.0, 1.0, 1.0])  # a plain tensor attribute, not a buffer
        self.depth = 2
        self.skip = None

    @property
    def first(self):
        return self.layers[0]

    @functools.cached_property
    def cached(self):
        return 3

    def _forward_impl(self, x, scale=1.0):
        h = self.first(self.inp(x))
        h = self.layers[1:](h)  # a slice of a Sequential is a new Sequential of the same modules
        if len(self.layers) == 4 and not self.training and bool(self.layers) and self.skip is None:
            h = self.layers[:2](h)
        for block in reversed(self.blocks[: self.depth]):
            h = block(h)
        assert [b.fc for b in reversed(self.blocks)] == [b.fc for b in self.blocks][::-1]
        assert self.blocks[2] in self.blocks and self.layers[1] in self.layers and "b" in self.heads
        h = self.blocks[-1](h) * self.mask + self.shift
        h = F.linear(h, self.blocks[0].fc.weight, self.blocks[0].fc.bias)
        h = h.view(x.size(0), -1) * torch.tensor(2.0)
        self.last = h  # stays on the recording, never on the model
        assert self.last is h and self.cached == 3 and "a" in self.heads and len(self.heads) == 2
        return self.heads["a"](h * self.scales[0]) - self.heads.b(self.last) * scale

    def forward(self, x, scale=0.5, *, unused=None):
        return self._forward_impl(x, scale)


def plane(seed=0):
    return Slice.from_anchors(torch.randn(3, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))


def test_a_forward_may_use_self_as_the_module():
    torch.manual_seed(0)
    model = Everything().double().eval()
    result = partition(model, plane(), verify=True)
    check_tiling(result)
    assert result.n_regions > 1


def test_recording_writes_nothing_to_the_model():
    torch.manual_seed(0)
    model = Everything().double().eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    attributes = {id(m): dict(vars(m)) for m in model.modules()}
    recorded = trace(model, (2,))
    assert {id(m): dict(vars(m)) for m in model.modules()} == attributes  # no "last", no "cached"
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    targets = [n.target for n in recorded.graph.nodes if n.op == "call_module"]
    assert targets[:5] == ["inp", "layers.0", "layers.1", "layers.2", "layers.3"]
    assert recorded.parts.get_submodule("layers.0") is model.layers[0]  # the model's own modules, not copies


def test_shared_modules_and_tied_weights():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = self.a
            self.c = nn.Linear(2, 2)
            self.c.weight = self.a.weight

        def forward(self, x):
            return self.c(torch.relu(self.b(self.a(x))))

    torch.manual_seed(1)
    recorded = trace(Shared().eval(), (2,))
    assert [n.target for n in recorded.graph.nodes if n.op == "call_module"] == ["a", "a", "c"]
    check_tiling(partition(Shared().eval(), plane(1), verify=True))


def test_a_traced_graph_module_converts():
    class Constants(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            return torch.relu(self.a(x) * torch.tensor([1.0, 2.0, 3.0]) + torch.tensor([0.5, 0.0, 0.1]))

    torch.manual_seed(2)
    traced = torch.fx.symbolic_trace(Constants().eval())  # holds _tensor_constant0 and 1 itself
    recorded = trace(traced, (2,))
    assert sorted(n.target for n in recorded.graph.nodes if n.op == "get_attr") == [
        "_tensor_constant0",
        "_tensor_constant1",
    ]
    check_tiling(partition(traced, plane(2), verify=True))


def test_a_forward_branching_on_input_values_is_refused():
    class Branch(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            h = self.a(x)
            return h if h.sum() > 0 else -h

    with pytest.raises(UnsupportedModelError, match="could not trace the model .*branches on input values"):
        partition(Branch().eval(), plane())


def test_several_inputs_are_refused_in_one_line():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x, y):
            return self.a(x) + y

    with pytest.raises(UnsupportedModelError, match="^the model's forward takes several inputs; one input tensor"):
        partition(Two().eval(), plane())


def test_torch_is_its_own_while_a_forward_is_recorded():
    """What another thread sees during a recording: torch.fx's Tracer had replaced both."""
    seen = []

    class Looks(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            patched = hasattr(nn.Module.__getattr__, "__wrapped__")  # functools.wraps marks fx's wrapper
            seen.append((nn.Module.__call__ is nn.Module._wrapped_call_impl, patched))
            return self.a(x)

    trace(Looks().eval(), (2,))
    assert seen == [(True, False)]


def test_a_model_that_cannot_take_the_input_shape_names_the_operation():
    class Wrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)

        def forward(self, x):
            return self.a(x)

    with pytest.raises(SplineCamError, match=r"cannot take inputs of shape \(2,\): .* \(at test_record.py:\d+: return"):
        partition(Wrong().eval(), plane())


def test_a_submodule_named_graph_converts():
    class Gnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.graph = nn.Linear(2, 3)

        def forward(self, x):
            return torch.relu(self.graph(x))

    torch.manual_seed(3)
    check_tiling(partition(Gnn().eval(), plane(3), verify=True))


def test_a_class_with_its_own_getattr():
    class Wrapper(nn.Module):
        """Forwards unknown attributes to the wrapped model, as wrappers (EMA, adapters, ...) often do."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.inner, name)

        def forward(self, x):
            return self.out(torch.relu(self.inner.a(x)))  # ``out`` lives on the wrapped model

    inner = nn.Module()
    inner.a, inner.out = nn.Linear(2, 4), nn.Linear(4, 2)
    torch.manual_seed(4)
    model = Wrapper(inner).eval()
    recorded = trace(model, (2,))
    assert [n.target for n in recorded.graph.nodes if n.op == "call_module"] == ["inner.a", "inner.out"]
    check_tiling(partition(model, plane(4), verify=True))
