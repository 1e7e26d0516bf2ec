"""Declaring your own piecewise-linear activations.

Two ways, both exact:

- use :class:`PiecewiseLinear` as a module in the model, or
- keep your own module class and tell the engine its breakpoints with
  :func:`declare_piecewise_linear`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

_DECLARED: dict[type, Callable] = {}


class PiecewiseLinear(nn.Module):
    """A continuous piecewise-linear function applied elementwise.

    ``f(x) = slopes[0] * x + intercept`` below ``breakpoints[0]``; between
    breakpoints ``i-1`` and ``i`` the slope is ``slopes[i]``, and ``f`` is continuous.

    Parameters
    ----------
    breakpoints : sequence of float
        Increasing positions where the slope changes.
    slopes : sequence of float
        ``len(breakpoints) + 1`` slopes, one per piece.
    intercept : float
        The first piece's value at ``x = 0``.

    Examples
    --------
    >>> relu6 = PiecewiseLinear([0.0, 6.0], [0.0, 1.0, 0.0])
    >>> triangle = PiecewiseLinear([-1.0, 0.0, 1.0], [0.0, 1.0, -1.0, 0.0], intercept=0.0)
    """

    def __init__(self, breakpoints, slopes, intercept: float = 0.0):
        super().__init__()
        breakpoints = torch.as_tensor(breakpoints, dtype=torch.float64).reshape(-1)
        slopes = torch.as_tensor(slopes, dtype=torch.float64).reshape(-1)
        if len(slopes) != len(breakpoints) + 1 or not bool(torch.all(breakpoints[1:] > breakpoints[:-1])):
            raise ValueError("PiecewiseLinear needs increasing breakpoints and one more slope than breakpoints")
        self.register_buffer("breakpoints", breakpoints)
        self.register_buffer("slopes", slopes)
        self.intercept = float(intercept)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The function applied to every element of ``x``."""
        # f(x) = intercept + slopes[0] * x + sum_i (slopes[i+1] - slopes[i]) * relu(x - b_i)
        out = self.slopes[0].to(x.dtype) * x + self.intercept
        for i, b in enumerate(self.breakpoints.tolist()):
            out = out + (self.slopes[i + 1] - self.slopes[i]).to(x.dtype) * torch.relu(x - b)
        return out

    def extra_repr(self) -> str:
        """Breakpoints, slopes and intercept, for ``print(model)``."""
        return f"breakpoints={self.breakpoints.tolist()}, slopes={self.slopes.tolist()}, intercept={self.intercept}"


def declare_piecewise_linear(module_class: type, parameters: Callable) -> None:
    """Tell the engine that instances of ``module_class`` are piecewise-linear activations.

    Parameters
    ----------
    module_class : type
        Your ``nn.Module`` subclass, applied elementwise.
    parameters : callable
        ``parameters(module) -> (breakpoints, slopes, intercept)`` with the meaning of
        :class:`PiecewiseLinear`'s arguments; a slope may be a per-channel tensor.
    """
    if not (isinstance(module_class, type) and issubclass(module_class, nn.Module)):
        raise TypeError(f"module_class must be an nn.Module subclass, got {module_class!r}")
    _DECLARED[module_class] = parameters


def declared_piecewise_linear(module: nn.Module):
    """``(breakpoints, slopes, intercept)`` for a declared module, else ``None``."""
    for cls in type(module).__mro__:
        if cls in _DECLARED:
            return _DECLARED[cls](module)
    return None
