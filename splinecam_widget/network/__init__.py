"""Torch models as programs of piecewise-linear stages."""

from .convert import from_torch
from .modules import SUPPORTED_MODULES
from .piecewise import PiecewiseLinear, declare_piecewise_linear
from .program import Network, Node
from .stages import Add, Affine, Concat, Elementwise

__all__ = [
    "SUPPORTED_MODULES",
    "Network",
    "Node",
    "from_torch",
    "PiecewiseLinear",
    "declare_piecewise_linear",
    "Add",
    "Affine",
    "Concat",
    "Elementwise",
]
