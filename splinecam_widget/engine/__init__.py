"""The exact partition engine: batched convex clipping in torch, layer by layer."""

from .compute import LayerProgress, partition

__all__ = ["LayerProgress", "partition"]
