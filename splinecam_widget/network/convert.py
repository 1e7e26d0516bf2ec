"""Turn a torch model into a validated list of stages.

Only the stages hold float64 copies of the weights: the user's model is never
modified, moved or cast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import SplineCamError, UnsupportedModelError
from .stages import Affine, Elementwise, Stage

SUPPORTED_MODULES = (
    "Sequential (nested), Linear, BatchNorm1d (eval, with running stats), "
    "ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh, Identity, Dropout, Flatten"
)

# Smooth activations: their level sets are curves, so no exact polygonal partition exists.
SMOOTH_ACTIVATIONS = (
    nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.ELU, nn.SELU, nn.CELU, nn.Softplus, nn.Mish,
    nn.Hardswish, nn.LogSigmoid, nn.Softsign, nn.Tanhshrink, nn.GLU,
)
SOFTMAX_LIKE = (nn.Softmax, nn.LogSoftmax, nn.Softmin)
DROPOUT_LIKE = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)


@dataclass
class Network:
    """A model as stages, with the shapes that flow through it.

    Attributes
    ----------
    stages : list of Affine or Elementwise
    input_shape : tuple of int
        Shape of one model input.
    n_outputs : int
        Number of output units K (the output is flattened).
    device : torch.device
        Where the stages' tensors live.
    """

    stages: list[Stage]
    input_shape: tuple[int, ...]
    n_outputs: int
    device: torch.device

    @property
    def activations(self) -> list[Elementwise]:
        """The piecewise-linear stages, in order: the layers that cut regions."""
        return [s for s in self.stages if isinstance(s, Elementwise)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate the stages on inputs ``(B, *input_shape)``: outputs ``(B, K)``."""
        for stage in self.stages:
            x = stage.evaluate(x)
        return x.reshape(x.shape[0], -1)

    def input_jacobian(self, x) -> np.ndarray:
        """``(K, *input_shape)`` gradient of each output at one input ``x`` (float64)."""
        point = torch.as_tensor(x, dtype=torch.float64, device=self.device)
        jacobian = torch.autograd.functional.jacobian(lambda p: self.forward(p[None])[0], point)
        return jacobian.reshape(self.n_outputs, *self.input_shape).cpu().numpy()


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


def from_torch(model: nn.Module, input_shape: tuple[int, ...], device: torch.device) -> Network:
    """Convert ``model`` into float64 stages on ``device``.

    Raises
    ------
    UnsupportedModelError
        Naming the first module that is not supported and listing what is.
    SplineCamError
        For train mode, NaN/inf weights, or an input shape the model cannot take.
    """
    check_model(model)
    stages: list[Stage] = []
    shape = tuple(input_shape)
    for name, module in flatten_sequential(model, "model"):
        stage = module_to_stage(module, name, shape, device)
        if stage is None:
            continue
        if isinstance(stage, Affine):
            shape = output_shape(stage, shape, device)
        stages.append(stage)
    n_outputs = 1
    for n in shape:
        n_outputs *= n
    return Network(stages, tuple(input_shape), n_outputs, torch.device(device))


def flatten_sequential(module: nn.Module, name: str):
    """Yield ``(name, leaf module)`` pairs of nested Sequentials, in call order."""
    if isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward:
        for child_name, child in module.named_children():
            yield from flatten_sequential(child, f"{name}[{child_name}]" if child_name.isdigit() else f"{name}.{child_name}")
    else:
        yield name, module


def output_shape(stage: Affine, shape: tuple[int, ...], device) -> tuple[int, ...]:
    """Shape after an affine stage, or a clear error when the module cannot take ``shape``."""
    try:
        return tuple(stage.linear(torch.zeros((1, *shape), dtype=torch.float64, device=device)).shape[1:])
    except RuntimeError as exc:
        raise SplineCamError(f"{stage.name} cannot take inputs of shape {shape}: {exc}") from None


def float64(tensor: torch.Tensor, device) -> torch.Tensor:
    """A detached float64 copy on ``device``."""
    return tensor.detach().to(device=device, dtype=torch.float64).clone()


def module_to_stage(module: nn.Module, name: str, shape: tuple[int, ...], device) -> Stage | None:
    """One leaf module as a stage (``None`` for modules that are the identity in eval mode)."""
    label = f"{name} ({type(module).__name__})"
    if isinstance(module, (nn.Identity, *DROPOUT_LIKE)):
        return None
    if isinstance(module, nn.Linear):
        weight = float64(module.weight, device)
        bias = None if module.bias is None else float64(module.bias, device)
        return Affine(label, lambda x: F.linear(x, weight), bias)
    if isinstance(module, nn.BatchNorm1d):
        return batchnorm_stage(module, label, shape, device)
    if isinstance(module, nn.Flatten):
        start, end = module.start_dim, module.end_dim
        return Affine(label, lambda x: torch.flatten(x, start, end), None)
    if isinstance(module, (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.Hardtanh)):  # ReLU6 is a Hardtanh
        return activation_stage(module, label, shape, device)
    if isinstance(module, SMOOTH_ACTIVATIONS):
        raise UnsupportedModelError(
            f"{label} is not piecewise-linear: exact partitions need piecewise-linear activations "
            "(ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh)"
        )
    if isinstance(module, SOFTMAX_LIKE):
        raise UnsupportedModelError(
            f"{label} is not piecewise-linear; pass the model without it: the partition is computed on the "
            "logits, and the decision boundary (argmax) is the same"
        )
    if isinstance(module, nn.Sequential):
        raise UnsupportedModelError(
            f"{label} overrides Sequential.forward, so its layers cannot be read in order; "
            f"use a plain nn.Sequential of supported modules: {SUPPORTED_MODULES}"
        )
    raise UnsupportedModelError(f"{label} is not supported; supported modules: {SUPPORTED_MODULES}")


def batchnorm_stage(module: nn.BatchNorm1d, label: str, shape, device) -> Affine:
    """BatchNorm in eval mode: a per-channel scale and shift."""
    if module.running_mean is None or module.running_var is None:
        raise UnsupportedModelError(
            f"{label} has track_running_stats=False, so it normalises with batch statistics even in eval "
            "mode and is not a fixed function; use BatchNorm1d with running statistics"
        )
    if len(shape) not in (1, 2) or shape[0] != module.num_features:
        raise SplineCamError(f"{label} expects inputs of shape ({module.num_features},) or ({module.num_features}, L), got {shape}")
    scale = float64(module.running_var, device).add(module.eps).rsqrt()
    if module.weight is not None:
        scale = scale * float64(module.weight, device)
    shift = -float64(module.running_mean, device) * scale
    if module.bias is not None:
        shift = shift + float64(module.bias, device)
    view = (-1,) + (1,) * (len(shape) - 1)
    scale, shift = scale.reshape(view), shift.reshape(view)
    return Affine(label, lambda x: x * scale, shift)


def activation_stage(module: nn.Module, label: str, shape, device) -> Elementwise:
    """ReLU-family modules as breakpoints with per-unit slopes on each piece."""
    n_units = 1
    for n in shape:
        n_units *= n
    ones = torch.ones(n_units, dtype=torch.float64, device=device)
    if isinstance(module, nn.Hardtanh):  # includes ReLU6: flat, identity, flat
        low, high = float(module.min_val), float(module.max_val)
        if not low < high:
            raise SplineCamError(f"{label} needs min_val < max_val, got {low} and {high}")
        breakpoints = torch.tensor([low, high], dtype=torch.float64, device=device)
        slopes = torch.stack([0 * ones, ones, 0 * ones])
        intercepts = torch.stack([low * ones, 0 * ones, high * ones])
        return Elementwise(label, breakpoints, slopes, intercepts)
    if isinstance(module, nn.ReLU):
        negative = 0 * ones
    elif isinstance(module, nn.LeakyReLU):
        negative = float(module.negative_slope) * ones
    else:  # PReLU: one slope, or one per channel (dimension 0 of a sample)
        weight = float64(module.weight, device)
        if weight.numel() == 1:
            negative = weight.reshape(()) * ones
        elif len(shape) >= 1 and shape[0] == weight.numel():
            negative = weight.reshape((-1,) + (1,) * (len(shape) - 1)).expand(shape).reshape(-1)
        else:
            raise SplineCamError(f"{label} has {weight.numel()} slopes but its input has shape {shape}")
    breakpoints = torch.zeros(1, dtype=torch.float64, device=device)
    return Elementwise(label, breakpoints, torch.stack([negative, ones]), torch.zeros(2, n_units, dtype=torch.float64, device=device))
