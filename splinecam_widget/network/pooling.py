"""Windows of max-pooling and maxout: which input units each output takes the maximum of."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import SplineCamError
from .stages import Maximum


def as_tuple(value, n: int) -> tuple[int, ...]:
    """A per-dimension argument (``3`` or ``(3, 2)``) as a tuple of ``n`` values."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def combine(shape, positions, valid) -> torch.Tensor:
    """Flat unit indices ``(C * prod(out), prod(k))`` from per-dimension positions ``(out_d, k_d)``.

    ``shape`` is ``(C, *spatial)``; invalid (padding) members become -1.
    """
    channels, spatial = shape[0], shape[1:]
    index = torch.zeros((1,) * (2 * len(spatial)), dtype=torch.long)
    ok = torch.ones_like(index, dtype=torch.bool)
    stride = 1
    for d in reversed(range(len(spatial))):  # row-major: the last dimension varies fastest
        view = [1] * (2 * len(spatial))
        view[d], view[len(spatial) + d] = positions[d].shape
        index = index + positions[d].reshape(view) * stride
        ok = ok & valid[d].reshape(view)
        stride *= spatial[d]
    index = torch.where(ok, index, -1)
    out_size = index.shape[: len(spatial)]
    members = index.reshape(*out_size, -1).reshape(-1, index[(0,) * len(spatial)].numel())
    per_channel = torch.arange(channels)[:, None, None] * stride
    windows = torch.where(members >= 0, members + per_channel, -1)
    return windows.reshape(-1, members.shape[1])


def pool_windows(shape, out_spatial, kernel, stride, padding, dilation) -> torch.Tensor:
    """Windows of a sliding max-pool (any stride, padding, dilation, ceil_mode)."""
    spatial = shape[1:]
    n = len(spatial)
    kernel, stride = as_tuple(kernel, n), as_tuple(stride or kernel, n)
    padding, dilation = as_tuple(padding, n), as_tuple(dilation, n)
    positions, valid = [], []
    for d in range(n):
        start = torch.arange(out_spatial[d]) * stride[d] - padding[d]
        at = start[:, None] + torch.arange(kernel[d])[None, :] * dilation[d]
        positions.append(at)
        valid.append((at >= 0) & (at < spatial[d]))
    return combine(shape, positions, valid)


def adaptive_windows(shape, out_spatial) -> torch.Tensor:
    """Windows of an adaptive max-pool: output i covers floor(i*n/m) .. ceil((i+1)*n/m)."""
    positions, valid = [], []
    for size, out in zip(shape[1:], out_spatial):
        i = torch.arange(out)
        start = (i * size) // out
        end = -((-(i + 1) * size) // out)
        at = start[:, None] + torch.arange(int((end - start).max()))[None, :]
        positions.append(at)
        valid.append(at < end[:, None])
    return combine(shape, positions, valid)


def reduction_windows(shape, dim: int, keepdim: bool):
    """Windows of a max over one dimension of a sample (maxout): ``(windows, out_shape)``."""
    index = torch.arange(int(torch.tensor(shape).prod())).reshape(shape)
    windows = index.movedim(dim, -1).reshape(-1, shape[dim])
    out_shape = list(shape)
    if keepdim:
        out_shape[dim] = 1
    else:
        del out_shape[dim]
    return windows, tuple(out_shape)


def maxpool_stage(module: nn.Module, label: str, shape, device) -> Maximum:
    """MaxPool1d/2d/3d or AdaptiveMaxPool1d/2d/3d as a :class:`Maximum` stage."""
    if getattr(module, "return_indices", False):
        raise SplineCamError(f"{label} has return_indices=True; the engine needs the pooled values only")
    try:
        out = module(torch.zeros((1, *shape)))
    except RuntimeError as exc:
        raise SplineCamError(f"{label} cannot take inputs of shape {shape}: {exc}") from None
    out_shape = tuple(out.shape[1:])
    if isinstance(module, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
        windows = adaptive_windows(shape, out_shape[1:])
    else:
        windows = pool_windows(shape, out_shape[1:], module.kernel_size, module.stride, module.padding, module.dilation)
    return Maximum(label, windows.to(device), out_shape)
