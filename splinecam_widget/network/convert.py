"""Turn a torch model into a validated :class:`~.program.Network`.

Plain (nested) ``nn.Sequential`` models convert directly, which is fast enough to
repeat on every widget interaction; any other model is traced with ``torch.fx``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import SplineCamError
from .modules import module_to_stage
from .piecewise import PiecewiseLinear, declared_piecewise_linear
from .program import Network, Node
from .stages import Elementwise
from .trace import traced_program


def check_model(model) -> None:
    """Reject models the engine must not touch: not a module, train mode, NaN/inf weights."""
    if not isinstance(model, nn.Module):
        raise SplineCamError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    training = [name or "model" for name, module in model.named_modules() if module.training]
    if training:
        raise SplineCamError(
            f"the model is in training mode ({', '.join(training[:3])}{'...' if len(training) > 3 else ''}); "
            "call model.eval() first: BatchNorm and Dropout compute a different function while training"
        )
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise SplineCamError(f"the model's {name} contains NaN or infinite values")


def from_torch(model: nn.Module, input_shape: tuple[int, ...], device) -> Network:
    """Convert ``model`` into float64 stages on ``device``.

    Raises
    ------
    UnsupportedModelError
        Naming the first module or operation that is not supported, and why.
    SplineCamError
        For train mode, NaN/inf weights, or an input shape the model cannot take.
    """
    check_model(model)
    if is_plain_sequential(model):
        return sequential_program(model, tuple(input_shape), device)
    return traced_program(model, tuple(input_shape), device)


def is_plain_sequential(module: nn.Module) -> bool:
    """True for nested Sequentials of torch's own leaf modules (or declared activations)."""
    if isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward:
        return all(is_plain_sequential(child) for child in module.children())
    torch_leaf = type(module).__module__.startswith("torch.nn.") and not list(module.children())
    return torch_leaf or isinstance(module, PiecewiseLinear) or declared_piecewise_linear(module) is not None


def leaves(module: nn.Module, name: str):
    """``(name, leaf)`` pairs of nested Sequentials, in call order."""
    if isinstance(module, nn.Sequential):
        for child_name, child in module.named_children():
            yield from leaves(child, f"{name}[{child_name}]" if child_name.isdigit() else f"{name}.{child_name}")
    else:
        yield name, module


def sequential_program(model: nn.Module, input_shape: tuple[int, ...], device) -> Network:
    """A chain program for a plain Sequential; shapes found by running each stage on zeros."""
    nodes: list[Node] = []
    shape = input_shape
    for name, module in leaves(model, "model"):
        stage = module_to_stage(module, f"{name} ({type(module).__name__})", shape, device)
        if stage is None:
            continue
        if not isinstance(stage, Elementwise):  # elementwise stages keep the shape
            try:
                shape = tuple(stage.evaluate(torch.zeros((1, *shape), dtype=torch.float64, device=device)).shape[1:])
            except RuntimeError as exc:
                raise SplineCamError(f"{stage.name} cannot take inputs of shape {shape}: {exc}") from None
        nodes.append(Node(stage, (len(nodes),), len(nodes) + 1))
    n_outputs = 1
    for n in shape:
        n_outputs *= n
    return Network(nodes, len(nodes), input_shape, n_outputs, torch.device(device))
