"""Region edges as segments tagged with the layer that made them (the ``"layer"`` colour mode)."""

from __future__ import annotations

import numpy as np


def edge_segments(partition) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every polygon edge of the partition, tagged with its layer, drawn in layer order.

    An edge shared by two regions appears once per region (same layer on both sides).

    Returns
    -------
    starts, ends : numpy.ndarray
        ``(E, 2)`` plane coordinates of each edge's ends.
    layers : numpy.ndarray
        ``(E,)`` activation layer that made the edge (-1: the domain's outline), ascending.
    """
    offsets = np.asarray(partition.offsets)
    vertices = np.asarray(partition.vertices)
    following = np.arange(1, len(vertices) + 1)
    following[offsets[1:] - 1] = offsets[:-1]  # the last vertex of a polygon closes it onto the first
    layers = np.asarray(partition.edge_layer, dtype=np.int64)
    order = np.argsort(layers, kind="stable")
    return vertices[order], vertices[following[order]], layers[order]


def edge_colors(palette: np.ndarray, layers: np.ndarray) -> np.ndarray:
    """``(E, 4)`` uint8 RGBA of edges made by ``layers`` from an ``(L + 1, 4)`` edge palette (row 0: outline)."""
    return palette[np.minimum(layers + 1, len(palette) - 1)]
