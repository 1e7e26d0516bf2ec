"""The exact partition engine: batched convex clipping in torch, layer by layer."""

from .partition import LayerProgress, partition

__all__ = ["LayerProgress", "partition"]
