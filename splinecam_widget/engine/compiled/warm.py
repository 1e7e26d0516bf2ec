"""Compile every kernel (or load it from numba's disk cache) before the engine needs it.

Each kernel is called once on a tiny input with the argument types the engine passes, so
numba compiles exactly the specialisations later calls use: the first process on a
machine compiles them (tens of seconds on a small machine) and writes them to the cache;
later processes load them (well under a second).
"""

from __future__ import annotations

import numpy as np
import torch

from ...network.stages import Elementwise, Maximum
from ..flat import FlatPolygons
from ..split import Budget
from . import cutter


def warm() -> None:
    """Run every compiled kernel once (see module docstring)."""
    square = FlatPolygons.from_counts(
        np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]), np.array([4]), np.full(4, -1, np.int16)
    )
    maps = torch.tensor([[[1.0, 0.0, 1.0, -1.0], [0.0, 1.0, 1.0, 1.0], [0.1, 0.2, 0.0, 0.3]]], dtype=torch.float64)
    slopes = torch.tensor([[0.0] * 4, [1.0] * 4], dtype=torch.float64)
    relu = Elementwise("warm-up", torch.zeros(1, dtype=torch.float64), slopes, torch.zeros_like(slopes))

    def budget():
        return Budget(1_000_000, torch.zeros(1, dtype=torch.int64), torch.ones(1, dtype=torch.int64))

    pieces, parent, pattern = cutter.cut(square, maps, relu, None, 0, budget())
    weights = torch.ones(4, dtype=torch.int64)
    carried, _ = cutter.carry(maps, parent, pattern, relu, weights, torch.zeros(1, dtype=torch.int64))
    maximum = Maximum("warm-up", torch.tensor([[0, 1], [2, 3]]), (2,))
    cutter.cut(square, maps, maximum, None, 1, budget())
    outputs = carried[:, :, :2].transpose(1, 2).contiguous()  # (P, K, 3) output maps
    cutter.boundary(pieces, outputs[:, :1], (0.0,))
    cutter.boundary(pieces, outputs, ())
