"""Any traceable torch model as a program of stages, through ``torch.fx``.

The forward is recorded by :mod:`.record` (which, unlike ``torch.fx.Tracer``, patches
nothing, so conversions in several threads and a model training in another do not meet).
Leaf modules become stages through :mod:`.modules`; functions and methods in a
``forward`` (additions, concatenation, reshapes, relu, abs, scaling by constants,
...) become stages here.  Each node's shape comes from a propagation run with a
zero input, so reshapes written with ``x.size(0)`` work for any batch.
"""

from __future__ import annotations

import operator

import torch
import torch.fx as fx
from torch import nn
from torch.nn import functional as F

from ..errors import SplineCamError, UnsupportedModelError
from .activations import call_parameters, is_activation_call
from .modules import (
    LEAF_MODULES,
    SUPPORTED_MODULES,
    elementwise_stage,
    float64,
    module_to_stage,
)
from .operations import (
    ADD,
    CAT,
    DIV,
    IDENTITIES,
    MAX_REDUCTIONS,
    MAXIMUM_PAIRS,
    MUL,
    NEG,
    PER_SAMPLE_LINEAR,
    POOL_FUNCTIONS,
    RESHAPES,
    SHAPE_QUERIES,
    STACK,
    SUB,
    SUM_REDUCTIONS,
    TUPLE_OPS,
    call,
    dimension_argument,
    flat_args,
    keeps_batch,
    sample_dims,
)
from .piecewise import declared_piecewise_linear
from .pooling import maxpool_stage, reduction_windows
from .program import Network, Node
from .record import TORCH_DIR, in_torch, record  # noqa: F401 - TORCH_DIR, in_torch: re-exported
from .recorded import NodeFailed, Recorded, ShapeRun
from .stages import Add, Affine, Concat, Maximum


def is_leaf(module: nn.Module) -> bool:
    """True for modules recorded whole, as one ``call_module`` node (the others are traced into).

    The layers and activations the engine converts, and (as torch.fx decides) torch's own
    modules other than Sequential.
    """
    if isinstance(module, LEAF_MODULES) or declared_piecewise_linear(module) is not None:
        return True
    torch_module = module.__module__.startswith(("torch.nn", "torch.ao.nn"))
    return torch_module and not isinstance(module, nn.Sequential)


def trace(model: nn.Module, input_shape: tuple[int, ...]) -> Recorded:
    """Record ``model``'s forward as an fx graph (see :mod:`.record`) with every node's output shape."""
    try:
        recorded = record(model, is_leaf, skip_files=(__file__,))
    except Exception as exc:  # a forward run on proxies raises many kinds (TraceError, TypeError, ...)
        raise UnsupportedModelError(
            f"torch.fx could not trace the model ({type(exc).__name__}: {exc}); a forward that branches on "
            "input values cannot be partitioned; write it with the supported operations"
        ) from None
    if sum(node.op == "placeholder" for node in recorded.graph.nodes) > 1:  # before a run with one input
        raise UnsupportedModelError("the model's forward takes several inputs; one input tensor is supported")
    parameter = next(iter(model.parameters()), torch.zeros(()))
    sample = torch.zeros((2, *input_shape), dtype=parameter.dtype, device=parameter.device)  # 2: see sample_shape
    try:
        with torch.no_grad():
            ShapeRun(recorded).run(sample)
    except NodeFailed as failed:
        raise SplineCamError(
            f"the model cannot take inputs of shape {tuple(input_shape)}: {failed.error}{where(failed.node)}"
        ) from None
    return recorded


def where(node: fx.Node) -> str:
    """The user's source line for a node, for error messages."""
    return f" (at {node.meta['source']})" if "source" in node.meta else ""


def sample_shape(node) -> tuple[int, ...]:
    """Shape of one sample at ``node`` (recorded with a batch of 2, so batch-mixing reshapes show)."""
    shape = tuple(node.meta["tensor_meta"].shape)
    if not shape or shape[0] != 2:
        raise UnsupportedModelError(
            f"{node.name}{where(node)} mixes samples of the batch (its result has shape "
            f"{shape} for a batch of 2); every operation must act on each sample alone"
        )
    return shape[1:]


def traced_program(model: nn.Module, input_shape: tuple[int, ...], device) -> Network:
    """Convert ``model`` to a :class:`Network` program via ``torch.fx``."""
    recorded = trace(model, input_shape)
    converter = GraphConverter(recorded.parts, device)
    for node in recorded.graph.nodes:
        try:
            converter.convert(node)
        except SplineCamError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever breaks, the user learns which operation did
            name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
            raise UnsupportedModelError(
                f"{name}{where(node)} cannot be converted ({type(exc).__name__}: {exc}); supported: {SUPPORTED_MODULES}"
            ) from None
    return converter.network(input_shape)


class GraphConverter:
    """Walks an fx graph, numbering tensor values and emitting program nodes."""

    def __init__(self, module: nn.Module, device):
        self.module = module
        self.device = device
        self.value: dict[fx.Node, int] = {}  # per-region tensor values
        self.constant: dict[fx.Node, torch.Tensor] = {}  # weights and buffers read with get_attr
        self.nodes: list[Node] = []
        self.output: int | None = None
        self.max_results: set[fx.Node] = set()  # torch.max(x, dim) nodes: (values, indices) pairs
        self.tuples: dict[fx.Node, tuple[fx.Node, object]] = {}  # chunk/split/...: (input, splitting function)

    def network(self, input_shape) -> Network:
        """The program of the converted graph."""
        shape = self.output_shape
        n_outputs = 1
        for n in shape:
            n_outputs *= n
        return Network(self.nodes, self.output, tuple(input_shape), n_outputs, torch.device(self.device))

    def add_node(self, stage, inputs: list[int]) -> int:
        """Append a program node reading value ids ``inputs``; returns its output id."""
        output = len(self.nodes) + 1
        self.nodes.append(Node(stage, tuple(inputs), output))
        return output

    def emit(self, node: fx.Node, stage, inputs) -> None:
        """The program node for fx ``node`` (``stage`` None: an identity in eval mode)."""
        if stage is None:
            self.value[node] = self.value[inputs[0]]
        else:
            self.value[node] = self.add_node(stage, [self.value[i] for i in inputs])

    def convert(self, node: fx.Node) -> None:
        """Convert one fx node (in graph order) into program nodes, or record it as a constant."""
        if node.op == "placeholder":  # the one input (trace refuses several)
            self.value[node] = 0
        elif node.op == "get_attr":
            attribute = self.module
            for part in node.target.split("."):
                attribute = getattr(attribute, part)
            self.constant[node] = float64(attribute, self.device) if isinstance(attribute, torch.Tensor) else attribute
        elif node.op == "call_module":
            submodule = self.module.get_submodule(node.target)
            label = f"model.{node.target} ({type(submodule).__name__})"
            self.emit(node, module_to_stage(submodule, label, sample_shape(node.args[0]), self.device), [node.args[0]])
        elif node.op in ("call_function", "call_method"):
            self.convert_call(node)
        elif node.op == "output":
            result = node.args[0]
            if not isinstance(result, fx.Node) or result not in self.value:
                raise UnsupportedModelError("the model must return one tensor (not a tuple, list or dict)")
            self.output, self.output_shape = self.value[result], sample_shape(result)

    def convert_call(self, node: fx.Node) -> None:
        """A call of a function or a tensor method."""
        target = node.target
        name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
        label = f"{name}{where(node)}"
        tensors = [a for a in flat_args(node) if isinstance(a, fx.Node) and a in self.value]
        if target in MAX_REDUCTIONS | MAXIMUM_PAIRS | set(POOL_FUNCTIONS) and tensors:
            self.convert_max(node, target, label, tensors)
            return
        if target in (operator.getitem, getattr) and node.args[0] in self.max_results:
            if node.args[1] not in (0, "values"):
                raise UnsupportedModelError(f"{label} uses the indices of a max; only its values are supported")
            self.value[node] = self.value[node.args[0]]
            return
        if target in TUPLE_OPS and tensors:
            self.convert_tuple(node, target, label, tensors[0])
            return
        if target is operator.getitem and node.args[0] in self.tuples:
            self.value[node] = self.element(node.args[0], node.args[1], label)
            return
        if target in SHAPE_QUERIES or "tensor_meta" not in node.meta:
            return  # sizes and other non-tensor results only feed reshapes, which use recorded shapes
        if not tensors and not any(a in self.tuples for a in flat_args(node) if isinstance(a, fx.Node)):
            raise UnsupportedModelError(f"{label} builds a tensor that does not depend on the input; not supported")
        if not tensors:  # only the pieces of a chunk/split, joined again: torch.cat(x.chunk(2, 1), 2)
            self.value[node] = self.add_node(
                Concat(label, self.join_dim(node, label) - 1), self.values_of(node.args[0], label)
            )
            return
        x = tensors[0]
        in_shape, out_shape = sample_shape(x), sample_shape(node)
        if target in IDENTITIES:
            self.emit(node, None, [x])
        elif target in ADD | SUB and len(tensors) == 2:
            scale = float(node.kwargs.get("alpha", 1.0)) * (-1.0 if target in SUB else 1.0)
            self.emit(node, Add(label, (1.0, scale)), tensors)
        elif target in MUL | DIV and len(tensors) == 2:
            raise UnsupportedModelError(f"{label} multiplies two input-dependent tensors; not piecewise-linear")
        elif target in ADD | SUB | MUL | DIV | NEG and len(tensors) == 1:
            self.emit(node, self.arithmetic(node, target, label, x, out_shape), [x])
        elif target in CAT | STACK:
            dim = self.join_dim(node, label)
            parts = self.values_of(node.args[0], label)
            if target in STACK:  # stacking is concatenating the inputs, each given a new dimension
                parts = [self.add_node(Affine(label, lambda t, d=dim: t.unsqueeze(d), None), [p]) for p in parts]
            self.value[node] = self.add_node(Concat(label, dim - 1), parts)
        elif target in SUM_REDUCTIONS:
            sample_dims(dimension_argument(node, 1, "dim", None), len(in_shape) + 1, label, "sums or averages")
            args, kwargs = node.args[1:], dict(node.kwargs)
            self.emit(node, Affine(label, lambda t: call(target, t, *args, **kwargs), None), [x])
        elif target in RESHAPES:
            self.emit(node, Affine(label, lambda t, s=out_shape: t.reshape(t.shape[0], *s), None), [x])
        elif target in PER_SAMPLE_LINEAR:
            args, kwargs = node.args[1:], dict(node.kwargs)
            if target is operator.getitem and not keeps_batch(args[0]):
                raise UnsupportedModelError(f"{label} indexes the batch dimension; index samples with x[:, ...]")
            self.emit(node, Affine(label, lambda t: call(target, t, *args, **kwargs), None), [x])
        elif target in (F.linear, F.conv1d, F.conv2d, F.conv3d):
            self.emit(node, self.weighted(node, target, label, in_shape), [x])
        else:
            self.emit(node, self.activation(node, target, label, in_shape), [x])

    def convert_max(self, node, target, label, tensors) -> None:
        """Max-pooling functions, maxout (max over a dimension) and the maximum of two tensors."""
        in_shape = sample_shape(tensors[0])
        if target in POOL_FUNCTIONS:
            module = POOL_FUNCTIONS[target](*node.args[1:], **node.kwargs)
            self.emit(node, maxpool_stage(module, label, in_shape, self.device), tensors[:1])
        elif len(tensors) == 2:  # maximum(a, b): concatenate, then pair unit i of a with unit i of b
            size = 1
            for n in in_shape:
                size *= n
            joined = self.add_node(Concat(label, 0), [self.value[t] for t in tensors])
            windows = torch.stack([torch.arange(size), torch.arange(size) + size], dim=1)
            self.value[node] = self.add_node(Maximum(label, windows.to(self.device), in_shape), [joined])
        else:
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
            if dim is None:
                raise UnsupportedModelError(
                    f"{label} takes the maximum over the whole batch; give a dimension (dim >= 1)"
                )
            keepdim = node.args[2] if len(node.args) > 2 else node.kwargs.get("keepdim", False)
            dim = dim % (len(in_shape) + 1)
            if dim == 0:
                raise UnsupportedModelError(f"{label} takes the maximum over the batch dimension; not supported")
            windows, out_shape = reduction_windows(in_shape, dim - 1, keepdim)
            self.emit(node, Maximum(label, windows.to(self.device), out_shape), tensors[:1])
            if target in ("max", torch.max):
                self.max_results.add(node)

    def join_dim(self, node, label) -> int:
        """The dimension ``torch.cat`` / ``torch.stack`` join along, in the batched result."""
        if node.target not in CAT | STACK:
            raise UnsupportedModelError(f"{label} takes the pieces of a chunk or split; take them one by one")
        (dim,) = sample_dims(dimension_argument(node, 1, "dim", 0), len(sample_shape(node)) + 1, label, "joins")
        return dim

    def convert_tuple(self, node, target, label, x) -> None:
        """``chunk``, ``split``, ``tensor_split``, ``unbind``: remember how to take each element."""
        position, default = (1, 0) if target in ("unbind", torch.unbind) else (2, 0)
        sample_dims(dimension_argument(node, position, "dim", default), len(sample_shape(x)) + 1, label, "splits")
        args, kwargs = node.args[1:], dict(node.kwargs)
        self.tuples[node] = (x, lambda t: call(target, t, *args, **kwargs))

    def element(self, tuple_node, index, label) -> int:
        """The value id of element ``index`` of a tuple-valued operation (a linear selection)."""
        source, split = self.tuples[tuple_node]
        if not isinstance(index, int):
            raise UnsupportedModelError(f"{label} takes a slice of the pieces; take them one by one")
        return self.add_node(Affine(label, lambda t: split(t)[index], None), [self.value[source]])

    def values_of(self, items, label) -> list[int]:
        """Value ids of the tensors in a list argument (``torch.cat([...])``), tuple results expanded."""
        items = items if isinstance(items, (list, tuple)) else [items]
        ids = []
        for item in items:
            if item in self.value:
                ids.append(self.value[item])
            elif item in self.tuples:
                count = len(item.meta["tensor_meta"])
                ids.extend(self.element(item, i, label) for i in range(count))
            else:
                raise UnsupportedModelError(f"{label} joins a tensor that does not depend on the input; not supported")
        return ids

    def constant_of(self, value, label):
        """``value`` itself, or the tensor a ``get_attr`` node read from the model."""
        if isinstance(value, fx.Node):
            if value not in self.constant:
                raise UnsupportedModelError(
                    f"{label} combines the input with a tensor that is not a constant; not supported"
                )
            return self.constant[value]
        return value

    def arithmetic(self, node, target, label, x, out_shape) -> Affine:
        """``x`` combined with a constant: scaling (mul, div, neg) or a shift (add, sub)."""
        if target in NEG:
            return Affine(label, lambda t: -t, None)
        other = [a for a in node.args if a is not x] + [v for k, v in node.kwargs.items() if k != "alpha"]
        value = self.constant_of(other[0], label) if other else 0.0
        value = torch.as_tensor(value, dtype=torch.float64, device=self.device)
        if target in ADD | SUB:
            value = value * float(node.kwargs.get("alpha", 1.0))
        if target in MUL:
            return Affine(label, lambda t: t * value, None)
        if target in DIV:
            if node.args[0] is not x:
                raise UnsupportedModelError(f"{label} divides by an input-dependent tensor; not piecewise-linear")
            return Affine(label, lambda t: t / value, None)
        if target in SUB and node.args[0] is not x:  # constant - x
            return Affine(label, lambda t: -t, value.expand(out_shape).clone())
        bias = -value if target in SUB else value
        return Affine(label, lambda t: t, bias.expand(out_shape).clone())

    def weighted(self, node, target, label, in_shape) -> Affine:
        """``F.linear`` / ``F.conv*`` with weights read from the model (get_attr)."""
        args = [self.constant_of(a, label) for a in node.args[1:]]
        kwargs = {k: self.constant_of(v, label) for k, v in node.kwargs.items()}
        weight = args[0] if args else kwargs.pop("weight")
        bias = args[1] if len(args) > 1 else kwargs.pop("bias", None)
        rest = args[2:]
        if bias is not None:
            bias = bias.reshape((-1,) + (1,) * (len(in_shape) - 1))
        return Affine(label, lambda t: target(t, weight, None, *rest, **kwargs), bias)

    def activation(self, node, target, label, in_shape):
        """Activation functions and methods (the table of ``activations.py``) as :class:`Elementwise` stages."""
        if not is_activation_call(target):
            raise UnsupportedModelError(f"{label} is not supported; supported: {SUPPORTED_MODULES}")
        args = [self.constant_of(a, label) for a in node.args[1:]]
        kwargs = {k: self.constant_of(v, label) for k, v in node.kwargs.items()}
        return elementwise_stage(label, *call_parameters(target, args, kwargs, label), in_shape, self.device)
