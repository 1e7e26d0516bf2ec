"""The functions and tensor methods a traced forward may call, by kind, and helpers to read their calls.

Each set lists a kind of operation as torch.fx records it: the function object
(``torch.cat``), the method name (``"view"``) or the operator (``operator.add``).  How
each kind becomes a stage is in ``trace.py``.  Dimensions in a call refer to the batched
tensor; the engine applies the same call to per-region maps reshaped to
``(3 * regions, *sample_shape)``, so every dimension but the batch one means the same.
"""

from __future__ import annotations

import operator

import torch
import torch.fx as fx
from torch import nn
from torch.nn import functional as F

from ..errors import UnsupportedModelError

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
# Return several tensors: their elements are taken with operator.getitem.
TUPLE_OPS = {torch.chunk, torch.split, torch.tensor_split, torch.unbind, "chunk", "split", "tensor_split", "unbind"}
# Linear reductions over dimensions of one sample.
SUM_REDUCTIONS = {torch.mean, torch.sum, "mean", "sum"}
STACK = {torch.stack}


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


def dimension_argument(node, position: int, name: str, default):
    """The ``dim`` argument of a call: positional ``position`` (after the tensor) or keyword ``name``."""
    if len(node.args) > position:
        return node.args[position]
    return node.kwargs.get(name, default)


def sample_dims(dims, ndim: int, label: str, what: str) -> tuple[int, ...]:
    """Dimensions of a batched tensor of ``ndim`` dimensions, refusing None (all) and the batch one."""
    if dims is None:
        raise UnsupportedModelError(f"{label} {what} over every dimension, the batch too; give dim >= 1")
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    normalised = tuple(d % ndim for d in dims)
    if 0 in normalised:
        raise UnsupportedModelError(f"{label} {what} over the batch dimension; every operation must act on one sample")
    return normalised
