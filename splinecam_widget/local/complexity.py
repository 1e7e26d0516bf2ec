"""Local complexity as in the grokking literature: neurons whose sign changes around each input.

Humayun, Balestriero and Baraniuk ("Deep Networks Always Grok and Here is Why", 2024)
measure a network's local complexity at an input ``x`` on a cross-polytope frame: ``P``
random orthonormal directions ``v_p`` give the ``2P`` vertices ``x ± r v_p``; a neuron
counts when its pre-activation takes both signs over the vertices, layer by layer, the
vertices being carried through the network.  This is a different measure from
:func:`~splinecam_widget.local_density` (``density.py``), which counts the linear regions
of the whole network meeting a disk, exactly: see the user guide's page on local density.

Here a "neuron" is a unit of a cutting layer of the engine's program (an activation,
or a window of a max-pooling or maxout), and "its sign changes" means that it is not in
the same linear piece at every vertex (for ReLU: the pre-activation's sign).
"""

from __future__ import annotations

import numpy as np
import torch

from ..engine.compute import resolve_device
from ..errors import SplineCamError
from ..network import from_torch
from ..network.stages import CUTTING_STAGES
from .tasks import (
    Networks,
    as_points,
    point_rng,
    positive_int,
    positive_number,
    random_frame,
    run_measure,
    seed_entropy,
    table_columns,
)

DEFAULT_DIRECTIONS = 25
"""Directions ``P`` of the frame when not given (at most the input dimension)."""
CHUNK_VERTICES = 1024
"""Frame vertices evaluated at once."""


def frame_directions(entropy: int, index: int, dimension: int, n_directions: int) -> np.ndarray:
    """The frame's orthonormal directions ``(D, P)`` at point ``index``: a function of ``(entropy, index)`` only."""
    return random_frame(point_rng(entropy, index), dimension, n_directions)


def frame_vertices(point: np.ndarray, directions: np.ndarray, radius: float) -> np.ndarray:
    """The cross-polytope ``x ± radius · v_p``: ``(2P, D)``."""
    steps = radius * directions.T
    return np.concatenate([point + steps, point - steps])


def cutting_layer_names(model, input_shape, device=None) -> list[str]:
    """Names of the layers whose neurons :func:`local_complexity` counts, in order."""
    network = from_torch(model, tuple(input_shape), resolve_device(device))
    return [node.stage.name for node in network.nodes if isinstance(node.stage, CUTTING_STAGES)]


def count_sign_changes(
    model,
    points: np.ndarray,
    first: int,
    *,
    input_shape: tuple[int, ...],
    radius: float,
    n_directions: int,
    entropy: int,
    device,
) -> np.ndarray:
    """Neurons changing piece over each point's frame, per cutting layer: ``(B, L)`` (a task of the run)."""
    device = resolve_device(device)
    network = from_torch(model, input_shape, device)
    per_chunk = max(1, CHUNK_VERTICES // (2 * n_directions))
    rows = []
    with torch.no_grad():
        for start in range(0, len(points), per_chunk):
            block = points[start : start + per_chunk]
            dimension = points.shape[1]
            frames = [frame_directions(entropy, first + start + i, dimension, n_directions) for i in range(len(block))]
            vertices = np.concatenate([frame_vertices(x, frame, radius) for x, frame in zip(block, frames)])
            inputs = torch.from_numpy(vertices).to(device).reshape(len(vertices), *input_shape)
            rows.append(_sign_changes(network, inputs, len(block)))
    return np.concatenate(rows)


def _sign_changes(network, inputs: torch.Tensor, n_points: int) -> np.ndarray:
    """Per point (rows of ``inputs`` grouped by point) and cutting layer: units not in one piece at every vertex."""
    counts = []

    def apply(node, values):
        if isinstance(node.stage, CUTTING_STAGES):
            pieces = node.stage.pieces(values[0].reshape(len(values[0]), -1)).to(torch.int16)
            pieces = pieces.reshape(n_points, -1, pieces.shape[1])
            counts.append((pieces.amax(dim=1) != pieces.amin(dim=1)).sum(dim=1))
        return node.stage.evaluate(*values)

    network.run({0: inputs}, 0, len(network.nodes), apply)
    if not counts:
        return np.zeros((n_points, 0), dtype=np.int64)
    return torch.stack(counts, dim=1).cpu().numpy().astype(np.int64)


def local_complexity(
    model,
    points,
    radius: float,
    n_directions: int | None = None,
    seed=None,
    *,
    per_layer: bool = False,
    checkpoints=None,
    checkpoint_labels=None,
    client=None,
    batch_size: int | None = None,
    progress=False,
    as_frame: bool = False,
    labels=None,
    split=None,
    device=None,
    threads: int | None = None,
):
    """Neurons whose sign changes over a small frame around each input: the grokking papers' local complexity.

    Around point ``x``, ``P = n_directions`` random orthonormal directions ``v_p`` (drawn
    from ``(seed, index of x)``) give the cross-polytope frame ``x ± radius · v_p``.  The
    ``2P`` vertices run through the network; in each cutting layer, a neuron counts when
    it is not in one linear piece at every vertex (for ReLU, when its pre-activation
    changes sign).  This follows Humayun, Balestriero and Baraniuk, "Deep Networks Always
    Grok and Here is Why" (2024), so values compare with that literature.

    It is not :func:`~splinecam_widget.local_density`: that counts the regions of the
    whole network meeting a 2D disk, exactly; this counts neurons (hyperplanes, bent by
    earlier layers) seen to cross a ``P``-dimensional neighbourhood through its vertices
    only, which is cheap (``2P`` forward passes) and a lower bound on the neurons whose
    zero set meets the frame's hull.

    Parameters
    ----------
    model : torch.nn.Module or None
        The network (eval mode); ``None`` when every checkpoint is a module.
    points : array-like or torch.Tensor, shape (M, *input_shape)
    radius : float
        Distance of the frame's vertices from the point, in input units.
    n_directions : int, optional
        ``P``, at most the input dimension (default ``min(25, D)``).
    seed : int, numpy.random.Generator or None
    per_layer : bool
        Return one count per cutting layer (last axis) instead of their sum.
    checkpoints, checkpoint_labels, client, batch_size, progress, as_frame, labels, split
        As for :func:`~splinecam_widget.local_density`.
    device : None, str or torch.device
        Where to evaluate the network (default: CUDA when available).
    threads : int, optional
        CPU threads per task on a Dask worker (default one), set for the task's thread only.
        In this process torch keeps its own setting, which is never changed.

    Returns
    -------
    ndarray (M,) or (M, L), with checkpoints (C, M) or (C, M, L), or DataFrame
        Neurons counted per point (summed over layers unless ``per_layer``).  With
        ``as_frame`` and ``per_layer``, the table has a ``layer`` column naming each layer.
    """
    flat, input_shape = as_points(points)
    networks = Networks(model, checkpoints, checkpoint_labels)
    if n_directions is None:
        n_directions = min(DEFAULT_DIRECTIONS, flat.shape[1])
    n_directions = positive_int(n_directions, "n_directions")
    if n_directions > flat.shape[1]:
        raise SplineCamError(
            f"n_directions={n_directions} orthonormal directions do not fit in {flat.shape[1]} input dimensions"
        )
    table_columns(len(flat), labels, split, as_frame)
    params = {
        "input_shape": input_shape,
        "radius": positive_number(radius, "radius"),
        "n_directions": n_directions,
        "entropy": seed_entropy(seed),
        "device": device,
    }
    counts = run_measure(
        count_sign_changes,
        params,
        networks,
        flat,
        batch_size=batch_size,
        client=client,
        progress=progress,
        threads=None if threads is None else positive_int(threads, "threads"),
        label="local complexity",
    )
    values = counts if per_layer else counts.sum(axis=2)
    if as_frame:
        from .tables import measure_table

        layers = cutting_layer_names(networks.model(0), input_shape, device) if per_layer else None
        return measure_table(
            values, "local_complexity", checkpoint_labels=networks.labels, labels=labels, split=split, layers=layers
        )
    return values if checkpoints is not None else values[0]
