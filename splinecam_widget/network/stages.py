"""The stages every supported network is made of: affine maps, activations, sums, concatenations, maxima.

The engine carries, for each region, the affine map from plane coordinates
``(u, v, 1)`` to the current layer: a tensor ``maps`` of shape
``(R, 3, *layer_shape)`` whose rows are d/du, d/dv and the offset.  An
:class:`Affine` stage pushes those rows forward like a batch of images
(``docs/design.md``, fact 1): the linear part acts on all three rows, the bias only on the offset
row.  An :class:`Elementwise` stage is a continuous piecewise-linear function
applied to every unit; its breakpoints are where regions get cut.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Affine:
    """An affine stage ``x -> linear(x) + bias``.

    Attributes
    ----------
    name : str
        Where the stage comes from in the user's model (e.g. ``"model[0] (Linear)"``).
    linear : callable
        The linear part, applied to a batch ``(B, *in_shape) -> (B, *out_shape)``.
    bias : torch.Tensor or None
        Added to the offset row; broadcastable to ``out_shape``.
    """

    name: str
    linear: Callable[[torch.Tensor], torch.Tensor]
    bias: torch.Tensor | None

    def apply(self, maps: torch.Tensor) -> torch.Tensor:
        """Push per-region maps ``(R, 3, *in_shape)`` through the stage."""
        n_regions = maps.shape[0]
        out = self.linear(maps.reshape(n_regions * 3, *maps.shape[2:]))
        out = out.reshape(n_regions, 3, *out.shape[1:])
        if self.bias is None:
            return out
        if out.untyped_storage().data_ptr() == maps.untyped_storage().data_ptr():
            # ``linear`` returned a view of ``maps`` (reshapes, identity), which other stages still read
            out = out.clone()
        out[:, 2] += self.bias  # the bias moves the offset row only
        return out

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """The stage on a batch of actual values ``(B, *in_shape)``."""
        out = self.linear(x)
        return out if self.bias is None else out + self.bias


@dataclass
class Elementwise:
    """A continuous piecewise-linear function applied to each unit.

    Unit ``i`` with value ``z`` lies in piece ``p`` = number of breakpoints ``< z``
    and outputs ``slopes[p, i] * z + intercepts[p, i]``.

    Attributes
    ----------
    name : str
        Where the stage comes from in the user's model.
    breakpoints : torch.Tensor, shape (m,)
        Increasing breakpoints shared by all units; each makes one line per unit.
    slopes, intercepts : torch.Tensor, shape (m + 1, D)
        Per piece and per unit (flattened unit index); continuous at breakpoints.
    """

    name: str
    breakpoints: torch.Tensor
    slopes: torch.Tensor
    intercepts: torch.Tensor

    @property
    def n_pieces(self) -> int:
        """Number of linear pieces of each unit's function."""
        return self.breakpoints.numel() + 1

    @functools.cached_property
    def host_arrays(self) -> tuple:
        """``(breakpoints, slopes, intercepts)`` as contiguous numpy arrays (CPU stages; for compiled code)."""
        return tuple(np.ascontiguousarray(t.numpy()) for t in (self.breakpoints, self.slopes, self.intercepts))

    @functools.cached_property
    def has_intercepts(self) -> bool:
        """False when every piece goes through the origin (ReLU, leaky ReLU): no offsets to add."""
        return bool(self.intercepts.any())

    def pieces(self, values: torch.Tensor) -> torch.Tensor:
        """Piece index (uint8) of each unit for unit values ``(P, D)`` at interior points."""
        if self.breakpoints.numel() == 1:  # the common ReLU-like case, without bucketize's search
            return (values > self.breakpoints[0]).to(torch.uint8)
        return torch.bucketize(values, self.breakpoints, right=False).to(torch.uint8)

    def slopes_at(self, pieces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Per-unit slope ``(P, D)`` and intercept (``None`` when all are zero) for piece indices."""
        if self.breakpoints.numel() == 1:
            on = pieces.bool()
            slope = torch.where(on, self.slopes[1], self.slopes[0])
            intercept = torch.where(on, self.intercepts[1], self.intercepts[0]) if self.has_intercepts else None
            return slope, intercept
        index = pieces.long()
        units = torch.arange(index.shape[1], device=index.device)
        intercept = self.intercepts[index, units] if self.has_intercepts else None
        return self.slopes[index, units], intercept

    def apply(self, maps: torch.Tensor, pieces: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        """Apply the function on regions whose units sit in ``pieces`` ``(R, D)``.

        ``maps`` has shape ``(R, 3, *shape)`` with ``prod(shape) == D``; ``inplace`` lets
        the result overwrite them (when nothing else reads them).
        """
        slope, intercept = self.slopes_at(pieces)
        slope = slope.reshape(maps.shape[0], 1, *maps.shape[2:])
        out = maps.mul_(slope) if inplace else maps * slope
        if intercept is not None:
            out[:, 2] += intercept.reshape(maps.shape[0], *maps.shape[2:])
        return out

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """The function on a batch of actual values ``(B, *shape)``."""
        flat = x.reshape(x.shape[0], -1)
        slope, intercept = self.slopes_at(self.pieces(flat))
        out = slope * flat
        return (out if intercept is None else out + intercept).reshape(x.shape)


@dataclass
class Add:
    """A weighted sum of values of one shape (residual connections, differences): maps add row by row."""

    name: str
    coefficients: tuple[float, ...]

    def apply(self, *maps: torch.Tensor) -> torch.Tensor:
        """Per-region maps ``(R, 3, *shape)`` of each term -> the map of the sum."""
        return self.evaluate(*maps)

    def evaluate(self, *xs: torch.Tensor) -> torch.Tensor:
        """The weighted sum (of batches or of maps alike: both are linear in the terms)."""
        out = self.coefficients[0] * xs[0]
        for coefficient, x in zip(self.coefficients[1:], xs[1:]):
            out = out + coefficient * x
        return out


@dataclass
class Concat:
    """Concatenation along ``dim``, a dimension of one sample (0 = first after the batch)."""

    name: str
    dim: int

    def apply(self, *maps: torch.Tensor) -> torch.Tensor:
        """Per-region maps ``(R, 3, *shape)`` -> the map of the concatenation."""
        return torch.cat(maps, dim=self.dim + 2)

    def evaluate(self, *xs: torch.Tensor) -> torch.Tensor:
        """The concatenation on batches of actual values."""
        return torch.cat(xs, dim=self.dim + 1)


@dataclass
class Maximum:
    """The maximum over windows of units (max-pooling, maxout), computed exactly by argmax cells.

    Attributes
    ----------
    name : str
    windows : torch.Tensor (W, k) long
        Flat input unit indices of each window; -1 pads windows with fewer members.
    out_shape : tuple of int
        Shape of the output (W units).
    """

    name: str
    windows: torch.Tensor
    out_shape: tuple[int, ...]

    @property
    def n_pieces(self) -> int:
        """Window size: which member wins is the window's 'piece'."""
        return self.windows.shape[1]

    def window_values(self, flat: torch.Tensor) -> torch.Tensor:
        """``(P, W, k)`` member values from unit values ``(P, D)``; pads are -inf."""
        values = flat[:, self.windows.clamp(min=0)]
        return values.masked_fill(self.windows < 0, float("-inf"))

    def pieces(self, values: torch.Tensor) -> torch.Tensor:
        """Winning member (uint8) of each window for unit values ``(P, D)`` at interior points."""
        return self.window_values(values).argmax(dim=2).to(torch.uint8)

    def apply(self, maps: torch.Tensor, pieces: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        """Maps ``(R, 3, *in_shape)`` -> the winning member's map in each window (a new tensor)."""
        flat = maps.reshape(maps.shape[0], 3, -1)
        winner = self.windows[torch.arange(self.windows.shape[0], device=flat.device), pieces.long()]
        out = flat.gather(2, winner[:, None, :].expand(-1, 3, -1))
        return out.reshape(maps.shape[0], 3, *self.out_shape)

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """The maximum on a batch of actual values."""
        return self.window_values(x.reshape(x.shape[0], -1)).amax(dim=2).reshape(x.shape[0], *self.out_shape)


Stage = Affine | Elementwise | Add | Concat | Maximum
CUTTING_STAGES = (Elementwise, Maximum)
