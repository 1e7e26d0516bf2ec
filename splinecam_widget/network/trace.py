"""Any traceable torch model as a program of stages, through ``torch.fx``.

Leaf modules become stages through :mod:`.modules`; functions and methods in a
``forward`` (additions, concatenation, reshapes, relu, abs, scaling by constants,
...) become stages here.  Each node's shape comes from a propagation run with a
zero input, so reshapes written with ``x.size(0)`` work for any batch.
"""

from __future__ import annotations

import operator
import os
import traceback

import torch
import torch.fx as fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.nn import functional as F

from ..errors import SplineCamError, UnsupportedModelError
from .activations import ACTIVATION_MODULES, call_parameters, is_activation_call
from .modules import (
    BATCHNORMS,
    CONVOLUTIONS,
    MAX_POOLS,
    PARAMETER_FREE_AFFINE,
    SUPPORTED_MODULES,
    elementwise_stage,
    float64,
    module_to_stage,
)
from .piecewise import PiecewiseLinear, declared_piecewise_linear
from .pooling import maxpool_stage, reduction_windows
from .program import Network, Node
from .stages import Add, Affine, Concat, Maximum

ADD = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__", "__radd__"}
SUB = {operator.sub, operator.isub, torch.sub, "sub", "sub_", "__sub__"}
MUL = {operator.mul, operator.imul, torch.mul, "mul", "mul_", "__mul__", "__rmul__"}
DIV = {operator.truediv, operator.itruediv, torch.div, "div", "div_", "__truediv__"}
NEG = {operator.neg, torch.neg, "neg", "__neg__"}
CAT = {torch.cat, torch.concat, torch.concatenate}
RESHAPES = {
    torch.flatten,
    torch.reshape,
    torch.squeeze,
    torch.unsqueeze,
    "flatten",
    "reshape",
    "view",
    "squeeze",
    "unsqueeze",
    "view_as",
    "reshape_as",
}
# Linear, weightless, act on each sample alone: applied to the batch with their recorded arguments.
PER_SAMPLE_LINEAR = {
    torch.permute,
    torch.transpose,
    "permute",
    "transpose",
    "contiguous",
    "clone",
    operator.getitem,
    F.avg_pool1d,
    F.avg_pool2d,
    F.avg_pool3d,
    F.adaptive_avg_pool1d,
    F.adaptive_avg_pool2d,
    F.adaptive_avg_pool3d,
    F.interpolate,
    F.pixel_shuffle,
    F.pixel_unshuffle,
}
IDENTITIES = {F.dropout, "detach", torch.nn.functional.dropout1d, torch.nn.functional.dropout2d}
SHAPE_QUERIES = {"size", "dim", getattr}
MAX_REDUCTIONS = {torch.max, torch.amax, "max", "amax"}
MAXIMUM_PAIRS = {torch.maximum, torch.max, "maximum", "max"}
POOL_FUNCTIONS = {
    F.max_pool1d: nn.MaxPool1d,
    F.max_pool2d: nn.MaxPool2d,
    F.max_pool3d: nn.MaxPool3d,
    F.adaptive_max_pool1d: nn.AdaptiveMaxPool1d,
    F.adaptive_max_pool2d: nn.AdaptiveMaxPool2d,
    F.adaptive_max_pool3d: nn.AdaptiveMaxPool3d,
}
TORCH_DIR = os.path.dirname(torch.__file__)


class LeafTracer(fx.Tracer):
    """Keeps every module the engine understands as one node (and traces into the rest)."""

    def create_node(self, *args, **kwargs):
        """Record each node with the user's source line it comes from, for error messages."""
        node = super().create_node(*args, **kwargs)
        # Remember the user's source line (the innermost frame outside torch and this file).
        for frame in reversed(traceback.extract_stack()):
            if not frame.filename.startswith(TORCH_DIR) and frame.filename != __file__:
                node.meta["source"] = f"{os.path.basename(frame.filename)}:{frame.lineno}: {frame.line}"
                break
        return node

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        """Modules the engine converts whole (layers, activations) are not traced into."""
        known = (
            nn.Linear,
            *CONVOLUTIONS,
            *BATCHNORMS,
            *PARAMETER_FREE_AFFINE,
            *MAX_POOLS,
            *ACTIVATION_MODULES,
            PiecewiseLinear,
        )
        if isinstance(module, known) or declared_piecewise_linear(module) is not None:
            return True
        return super().is_leaf_module(module, qualified_name)


def trace(model: nn.Module, input_shape: tuple[int, ...]) -> fx.GraphModule:
    """Trace ``model`` and record every node's output shape."""
    try:
        graph = LeafTracer().trace(model)
    except Exception as exc:  # fx raises many kinds (TraceError, TypeError, ...) for untraceable code
        raise UnsupportedModelError(
            f"torch.fx could not trace the model ({type(exc).__name__}: {exc}); a forward that branches on "
            "input values cannot be partitioned; write it with the supported operations"
        ) from None
    module = fx.GraphModule(model, graph)
    parameter = next(iter(model.parameters()), torch.zeros(()))
    sample = torch.zeros((2, *input_shape), dtype=parameter.dtype, device=parameter.device)  # 2: see sample_shape
    try:
        with torch.no_grad():
            ShapeProp(module).propagate(sample)
    except RuntimeError as exc:
        raise SplineCamError(f"the model cannot take inputs of shape {tuple(input_shape)}: {exc}") from None
    return module


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
    module = trace(model, input_shape)
    converter = GraphConverter(module, device)
    for node in module.graph.nodes:
        converter.convert(node)
    return converter.network(input_shape)


class GraphConverter:
    """Walks an fx graph, numbering tensor values and emitting program nodes."""

    def __init__(self, module: fx.GraphModule, device):
        self.module = module
        self.device = device
        self.value: dict[fx.Node, int] = {}  # per-region tensor values
        self.constant: dict[fx.Node, torch.Tensor] = {}  # weights and buffers read with get_attr
        self.nodes: list[Node] = []
        self.output: int | None = None
        self.max_results: set[fx.Node] = set()  # torch.max(x, dim) nodes: (values, indices) pairs

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
        if node.op == "placeholder":
            if self.value:
                raise UnsupportedModelError("the model's forward takes several inputs; one input tensor is supported")
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
        if target in SHAPE_QUERIES or "tensor_meta" not in node.meta:
            return  # sizes and other non-tensor results only feed reshapes, which use recorded shapes
        if not tensors:
            raise UnsupportedModelError(f"{label} builds a tensor that does not depend on the input; not supported")
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
        elif target in CAT:
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
            dim = dim % (len(out_shape) + 1)
            if dim == 0:
                raise UnsupportedModelError(f"{label} concatenates along the batch dimension; not supported")
            self.emit(node, Concat(label, dim - 1), tensors)
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


def flat_args(node: fx.Node):
    """Positional and keyword arguments, with lists (e.g. torch.cat's) flattened."""
    for arg in [*node.args, *node.kwargs.values()]:
        if isinstance(arg, (list, tuple)):
            yield from arg
        else:
            yield arg


def keeps_batch(index) -> bool:
    """True for an index like ``x[:, 3:]`` that takes every sample of the batch."""
    first = index[0] if isinstance(index, tuple) else index
    return first is Ellipsis or first == slice(None)


def call(target, tensor, *args, **kwargs):
    """Call a function or a tensor method by name."""
    if isinstance(target, str):
        return getattr(tensor, target)(*args, **kwargs)
    return target(tensor, *args, **kwargs)
