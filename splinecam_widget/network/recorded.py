"""A recorded fx graph, the parts of the model its nodes name, and the shapes of its values.

Used instead of an ``fx.GraphModule``, which generates Python code for its graph: fx keeps
the source of every GraphModule it compiles in a process-wide cache (and ``linecache``)
for good, about 6 kB per ResNet-18 conversion, so a model converted at every training
step grew it without end.  Shapes come from running the graph once on a sample with an
``fx.Interpreter`` (which calls the model's own modules, as the model would).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.fx as fx
from torch import nn


@dataclass(frozen=True)
class TensorShape:
    """``node.meta["tensor_meta"]`` of a tensor value: its shape (with the sample's batch)."""

    shape: torch.Size


@dataclass
class Recorded:
    """A recorded forward.

    Attributes
    ----------
    graph : fx.Graph
        What the forward did.
    parts : nn.Module
        The modules and tensors its ``call_module`` and ``get_attr`` nodes name, under
        their names: the model's own (shared, not copied), and constants the forward made.
    """

    graph: fx.Graph
    parts: nn.Module


def hold_parts(graph: fx.Graph, model: nn.Module, constants: dict[str, torch.Tensor]) -> nn.Module:
    """A module holding what ``graph``'s nodes name, under their paths in ``model``, never writing ``model``.

    The model's modules, parameters and buffers are held (not copied) in new containers for
    the paths' prefixes; a target below one already held is reached through it, so nothing
    is ever set on the model's own modules.  ``constants`` are tensors the forward made
    itself, by the name of the ``get_attr`` nodes that read them.
    """
    holder = nn.Module()
    targets = {node.target for node in graph.nodes if node.op in ("get_attr", "call_module")}
    held: set[str] = set()
    for target in sorted(targets, key=lambda t: t.count(".")):
        *prefix, field = target.split(".")
        if any(".".join(prefix[: i + 1]) in held for i in range(len(prefix))):
            continue
        owner = holder
        for item in prefix:
            if item not in owner._modules:
                owner.add_module(item, nn.Module())
            owner = owner._modules[item]
        if target in constants:
            value = constants[target]
        else:
            value = model
            for item in target.split("."):
                value = getattr(value, item)
        if isinstance(value, nn.Parameter):
            owner.register_parameter(field, value)
        elif isinstance(value, torch.Tensor):
            owner.register_buffer(field, value)
        elif isinstance(value, nn.Module):
            owner.add_module(field, value)
        else:
            setattr(owner, field, value)
        held.add(target)
    return holder


class NodeFailed(Exception):
    """A node of the graph raised while running on the sample: ``node`` and the exception ``error``."""

    def __init__(self, node: fx.Node, error: Exception):
        super().__init__(str(error))
        self.node, self.error = node, error


class ShapeRun(fx.Interpreter):
    """Runs a recorded graph, keeping each tensor value's shape in ``node.meta["tensor_meta"]``.

    Tuples of tensors (``chunk``, ``split``, ...) get a tuple of :class:`TensorShape`.
    A failing node raises :class:`NodeFailed`.
    """

    def __init__(self, recorded: Recorded):
        super().__init__(recorded.parts, graph=recorded.graph)
        self.extra_traceback = False  # the error's own message, without fx's note of the node

    def run_node(self, node: fx.Node):
        """Run one node and record the shapes of the tensors it gives."""
        try:
            result = super().run_node(node)
        except Exception as exc:  # noqa: BLE001 - whatever the model raises, the caller names the node
            raise NodeFailed(node, exc) from exc
        found = False

        def shape(value):
            nonlocal found
            if isinstance(value, torch.Tensor):
                found = True
                return TensorShape(value.shape)
            return value

        shapes = fx.node.map_aggregate(result, shape)
        if found:
            node.meta["tensor_meta"] = shapes
        return result
