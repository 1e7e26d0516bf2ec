"""Torch models as lists of piecewise-linear stages."""

from .convert import SUPPORTED_MODULES, Network, from_torch
from .stages import Affine, Elementwise

__all__ = ["SUPPORTED_MODULES", "Network", "from_torch", "Affine", "Elementwise"]
