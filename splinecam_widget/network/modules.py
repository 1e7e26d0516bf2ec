"""Leaf torch modules as engine stages.

Only the stages hold float64 copies of the weights: the user's model is never
modified, moved or cast.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import SplineCamError, UnsupportedModelError
from .activations import ACTIVATION_MODULES, SUPPORTED_ACTIVATIONS, module_parameters
from .piecewise import PiecewiseLinear, declared_piecewise_linear
from .pooling import maxpool_stage
from .stages import Affine, Elementwise

SUPPORTED_MODULES = (
    "Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d, BatchNorm1d/2d/3d (eval, running stats), "
    "AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, MaxPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d, Upsample, "
    "padding layers, Flatten, Unflatten, "
    f"PixelShuffle, Identity, Dropout, the activations {SUPPORTED_ACTIVATIONS}, "
    "splinecam_widget.PiecewiseLinear (or a class declared with "
    "declare_piecewise_linear), and nn.Sequential or any module torch.fx can trace into these "
    "plus +, -, *, / by constants, torch.cat, max/amax over a dimension (maxout), "
    "torch.maximum, reshape/view/flatten"
)

# Smooth activations: their level sets are curves, so no exact polygonal partition exists.
SMOOTH_ACTIVATIONS = (
    nn.Tanh,
    nn.Sigmoid,
    nn.GELU,
    nn.SiLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.Softplus,
    nn.Mish,
    nn.Hardswish,
    nn.LogSigmoid,
    nn.Softsign,
    nn.Tanhshrink,
    nn.GLU,
)
SOFTMAX_LIKE = (nn.Softmax, nn.LogSoftmax, nn.Softmin)
INPUT_NORMALISERS = (
    nn.LayerNorm,
    nn.GroupNorm,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
    nn.LocalResponseNorm,
)
DROPOUT_LIKE = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)
CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
# Modules without weights that are affine in their input.
PARAMETER_FREE_AFFINE = (
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.Flatten,
    nn.Unflatten,
    nn.Upsample,
    nn.PixelShuffle,
    nn.PixelUnshuffle,
    nn.ChannelShuffle,
    nn.ZeroPad1d,
    nn.ZeroPad2d,
    nn.ZeroPad3d,
    nn.ConstantPad1d,
    nn.ConstantPad2d,
    nn.ConstantPad3d,
    nn.ReflectionPad1d,
    nn.ReflectionPad2d,
    nn.ReflectionPad3d,
    nn.ReplicationPad1d,
    nn.ReplicationPad2d,
    nn.ReplicationPad3d,
    nn.CircularPad1d,
    nn.CircularPad2d,
    nn.CircularPad3d,
)
MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
LEAF_MODULES = (
    nn.Linear,
    *CONVOLUTIONS,
    *BATCHNORMS,
    *PARAMETER_FREE_AFFINE,
    *MAX_POOLS,
    *ACTIVATION_MODULES,
    PiecewiseLinear,
)
"""Layers converted whole from their weights and settings, never run: the tracer's leaf modules
(declared activations besides), and the layers whose hooks or overridden forward are refused."""


def float64(tensor: torch.Tensor, device) -> torch.Tensor:
    """The tensor as float64 on ``device``, detached; shared, not copied, when it already is.

    The engine only reads weights, so a float64 model costs no copy (a VGG's classifier
    alone is 1 GB); anything else is converted into a new tensor.
    """
    return tensor.detach().to(device=device, dtype=torch.float64)


def channel_view(vector: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """A per-channel vector shaped to broadcast over one sample of ``shape`` (channels first)."""
    return vector.reshape((-1,) + (1,) * (len(shape) - 1))


def module_to_stage(module: nn.Module, label: str, shape: tuple[int, ...], device):
    """One leaf module as a stage; ``None`` for modules that are the identity in eval mode.

    Raises
    ------
    UnsupportedModelError
        Naming the module (``label``) and saying why it cannot be partitioned exactly.
    """
    if isinstance(module, (nn.Identity, *DROPOUT_LIKE)):
        return None
    if isinstance(module, nn.Linear):
        weight = float64(module.weight, device)
        bias = None if module.bias is None else float64(module.bias, device)
        return Affine(label, lambda x: F.linear(x, weight), bias)
    if isinstance(module, CONVOLUTIONS):
        weight = float64(module.weight, device)
        bias = None if module.bias is None else channel_view(float64(module.bias, device), shape)
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            return Affine(label, lambda x: conv_transpose(module, x, weight), bias)
        return Affine(label, lambda x: module._conv_forward(x, weight, None), bias)
    if isinstance(module, BATCHNORMS):
        return batchnorm_stage(module, label, shape, device)
    if isinstance(module, PARAMETER_FREE_AFFINE):
        return parameter_free_stage(module, label, shape, device)
    if isinstance(module, MAX_POOLS):
        return maxpool_stage(module, label, shape, device)
    if isinstance(module, (*ACTIVATION_MODULES, PiecewiseLinear)) or declared_piecewise_linear(module) is not None:
        return activation_stage(module, label, shape, device)
    raise unsupported(module, label)


def conv_transpose(module, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """A transposed convolution's linear part (no bias) on a batch."""
    function = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[weight.ndim - 2]
    return function(
        x, weight, None, module.stride, module.padding, module.output_padding, module.groups, module.dilation
    )


def unsupported(module: nn.Module, label: str) -> UnsupportedModelError:
    """The error for a module the engine cannot handle, saying why."""
    if isinstance(module, SMOOTH_ACTIVATIONS):
        return UnsupportedModelError(
            f"{label} is not piecewise-linear: exact partitions need piecewise-linear activations "
            "(ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh, abs, PiecewiseLinear)"
        )
    if isinstance(module, SOFTMAX_LIKE):
        return UnsupportedModelError(
            f"{label} is not piecewise-linear; pass the model without it: the partition is computed on the "
            "logits, and the decision boundary (argmax) is the same"
        )
    if isinstance(module, INPUT_NORMALISERS):
        return UnsupportedModelError(
            f"{label} normalises with statistics of each input, which is not piecewise-linear; "
            "BatchNorm in eval mode is supported"
        )
    return UnsupportedModelError(f"{label} is not supported; supported: {SUPPORTED_MODULES}")


def batchnorm_stage(module, label: str, shape, device) -> Affine:
    """BatchNorm in eval mode: a per-channel scale and shift."""
    if module.running_mean is None or module.running_var is None:
        raise UnsupportedModelError(
            f"{label} has track_running_stats=False, so it normalises with batch statistics even in eval "
            "mode and is not a fixed function; use BatchNorm with running statistics"
        )
    if not shape or shape[0] != module.num_features:
        raise SplineCamError(f"{label} expects {module.num_features} channels first, got inputs of shape {shape}")
    variance = float64(module.running_var, device).add(module.eps)
    if not bool((variance > 0).all()):
        channels = torch.nonzero(variance <= 0).flatten().tolist()
        raise SplineCamError(
            f"{label} divides by sqrt(running_var + eps) = 0 in channel{'s' if len(channels) > 1 else ''} "
            f"{', '.join(map(str, channels[:5]))}{'...' if len(channels) > 5 else ''} (eps={module.eps}): the "
            "model itself outputs NaN or infinity there; give the layer a positive eps or load its statistics"
        )
    scale = variance.rsqrt()
    if module.weight is not None:
        scale = scale * float64(module.weight, device)
    shift = -float64(module.running_mean, device) * scale
    if module.bias is not None:
        shift = shift + float64(module.bias, device)
    scale, shift = channel_view(scale, shape), channel_view(shift, shape)
    return Affine(label, lambda x: x * scale, shift)


def parameter_free_stage(module: nn.Module, label: str, shape, device) -> Affine:
    """A weightless affine module: its value at 0 is the bias, the rest is linear."""
    try:
        at_zero = module(torch.zeros((1, *shape), dtype=torch.float64, device=device))[0]
    except RuntimeError as exc:
        raise SplineCamError(f"{label} cannot take inputs of shape {shape}: {exc}") from None
    if not at_zero.any():
        return Affine(label, module, None)
    return Affine(label, lambda x: module(x) - at_zero, at_zero)


def piecewise_parameters(module: nn.Module):
    """``(breakpoints, slopes, intercept)`` of an activation module, per unit or shared."""
    if isinstance(module, PiecewiseLinear):
        return module.breakpoints.tolist(), module.slopes.tolist(), float(module.intercept)
    found = module_parameters(module)
    return found if found is not None else declared_piecewise_linear(module)


def activation_stage(module: nn.Module, label: str, shape, device) -> Elementwise:
    """A piecewise-linear activation module as breakpoints with per-unit slopes on each piece."""
    breakpoints, slopes, intercept = piecewise_parameters(module)
    return elementwise_stage(label, breakpoints, slopes, intercept, shape, device)


def elementwise_stage(label: str, breakpoints, slopes, intercept: float, shape, device) -> Elementwise:
    """Build an :class:`Elementwise` stage; a slope may be a per-channel tensor (PReLU).

    The function is ``slopes[0] * x + intercept`` below the first breakpoint and
    continuous, so each later piece's intercept follows from the previous one.
    """
    n_units = 1
    for n in shape:
        n_units *= n
    breakpoints = [float(b) for b in breakpoints]
    if len(slopes) != len(breakpoints) + 1 or any(b >= c for b, c in zip(breakpoints, breakpoints[1:])):
        raise SplineCamError(f"{label}: need increasing breakpoints and one more slope than breakpoints")
    ones = torch.ones(n_units, dtype=torch.float64, device=device)
    per_unit = []
    for slope in slopes:
        slope = torch.as_tensor(slope, dtype=torch.float64, device=device)
        if slope.numel() == 1:
            per_unit.append(slope.reshape(()) * ones)
        elif shape and shape[0] == slope.numel():
            per_unit.append(channel_view(slope, shape).expand(shape).reshape(-1))
        else:
            raise SplineCamError(f"{label} has {slope.numel()} slopes but its input has shape {shape}")
    slopes = torch.stack(per_unit)
    intercepts = [intercept * ones]
    for piece, b in enumerate(breakpoints):  # continuity at each breakpoint
        intercepts.append(intercepts[-1] + (slopes[piece] - slopes[piece + 1]) * b)
    return Elementwise(
        label, torch.tensor(breakpoints, dtype=torch.float64, device=device), slopes, torch.stack(intercepts)
    )
