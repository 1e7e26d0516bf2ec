"""Turn a torch model into a validated :class:`~.program.Network`.

Plain (nested) ``nn.Sequential`` models convert directly, which is fast enough to
repeat on every widget interaction; any other model is traced with ``torch.fx``.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from ..errors import SplineCamError
from . import cache
from .hooks import refuse_forward_changes
from .modules import module_to_stage
from .piecewise import PiecewiseLinear, declared_piecewise_linear
from .program import Network, Node
from .stages import Elementwise
from .trace import traced_program

TRAINING_DEPENDENT = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.dropout._DropoutNd,
    nn.RReLU,
    nn.modules.instancenorm._InstanceNorm,
)
"""Modules of torch.nn that compute another function in training mode."""


def behaves_differently_in_training(module: nn.Module) -> bool:
    """True for a module whose own computation depends on ``module.training``.

    torch.nn's batch norms, dropouts and RReLU do; for a user's own module, its forward's
    source is read for ``training`` (torch.fx would trace whichever branch the flag picks).
    """
    if isinstance(module, TRAINING_DEPENDENT):
        return True
    cls = type(module)
    if cls.__module__.startswith("torch.") or cls.forward is nn.Module.forward:
        return False
    try:
        source = inspect.getsource(cls.forward)
    except (OSError, TypeError):  # no source (compiled, interactive): cannot tell, so assume it might
        return True
    return "training" in source


def check_model(model) -> None:
    """Reject models the engine must not touch.

    Refused: not a module; a module in training mode that computes differently while
    training (BatchNorm, Dropout, ...); weights that are not real floating point (torch
    cannot run the model on float inputs), on the meta device (no values), or NaN/inf.
    """
    if not isinstance(model, nn.Module):
        raise SplineCamError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    training = [
        f"{name or 'model'} ({type(module).__name__})"
        for name, module in model.named_modules()
        if module.training and behaves_differently_in_training(module)
    ]
    if training:
        raise SplineCamError(
            f"the model is in training mode, where {', '.join(training[:3])}{'...' if len(training) > 3 else ''} "
            "compute a different function; call model.eval() first"
        )
    for prefix, module in model.named_modules():
        own = [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]
        for local, tensor in own:
            check_weight(f"{prefix}.{local}" if prefix else local, tensor, module)


def check_weight(name: str, tensor: torch.Tensor, module: nn.Module) -> None:
    """Refuse a weight on the meta device, complex, NaN/inf, or not floating point where torch needs it."""
    if tensor.device.type == "meta":
        raise SplineCamError(
            f"the model's {name} is on the meta device and holds no values; load the weights first "
            "(model.to_empty(device='cpu') then load_state_dict)"
        )
    if tensor.is_complex():
        raise SplineCamError(f"the model's {name} is complex ({tensor.dtype}); the engine needs real weights")
    if tensor.is_floating_point():
        # one pass: a finite sum means finite entries (NaN and inf propagate); check entries only otherwise
        if tensor.numel() and not torch.isfinite(tensor.sum()) and not torch.isfinite(tensor).all():
            raise SplineCamError(f"the model's {name} contains NaN or infinite values")
        return
    # Integer parameters, and integer buffers of torch's own layers (num_batches_tracked aside), cannot
    # meet floating-point inputs: torch refuses to run such a model, so it has no partition either.
    torch_layer = type(module).__module__.startswith("torch.nn")
    if isinstance(tensor, nn.Parameter) or (torch_layer and not name.endswith("num_batches_tracked")):
        raise SplineCamError(
            f"the model's {name} has dtype {tensor.dtype}: torch cannot run the model on floating-point "
            "inputs; convert it with model.double() (or model.float())"
        )


def from_torch(model: nn.Module, input_shape: tuple[int, ...], device) -> Network:
    """Convert ``model`` into float64 stages on ``device`` (reused while the model is unchanged: :mod:`.cache`).

    Raises
    ------
    UnsupportedModelError
        Naming the first module or operation that is not supported, and why.
    SplineCamError
        For train mode, NaN/inf weights, or an input shape the model cannot take.
    """
    if not isinstance(model, nn.Module):
        raise SplineCamError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return cache.converted(model, tuple(input_shape), device, lambda: convert(model, tuple(input_shape), device))


def convert(model: nn.Module, input_shape: tuple[int, ...], device) -> Network:
    """Check and convert ``model`` (see :func:`from_torch`), without the cache.

    Hooks and instance ``forward`` attributes are refused first (:mod:`.hooks`), on both
    paths: neither the direct conversion of a Sequential nor torch.fx would run them.
    """
    refuse_forward_changes(model)
    check_model(model)
    if is_plain_sequential(model):
        network = sequential_program(model, input_shape, device)
    else:
        network = traced_program(model, input_shape, device)
    if network.n_outputs == 0:
        raise SplineCamError("the model has no outputs (its output tensor is empty for one input)")
    return network


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
