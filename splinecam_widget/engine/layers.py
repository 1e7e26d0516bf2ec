"""The layer loop: push per-region affine maps through the stages, splitting at each activation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..network.convert import Network
from ..network.stages import Affine, Elementwise
from ..slice import Slice
from .polygons import Polygons
from .split import candidate_lines, split_regions

HASH_MULTIPLIER = -7046029254386353131  # 0x9E3779B97F4A7C15 as int64: mixes the per-layer hashes


@dataclass
class LayerRecord:
    """What one activation layer did, kept for queries after the run.

    ``parent[p]`` is the region (of the previous layer) piece ``p`` came from and
    ``pattern[p]`` the piece index of every unit on it.
    """

    name: str
    parent: torch.Tensor
    pattern: torch.Tensor


@dataclass
class Sweep:
    """Result of the layer loop, before the decision boundary."""

    regions: Polygons
    maps: torch.Tensor  # (R, 3, K): the network's output map on each region
    pattern_ids: torch.Tensor  # (R,) int64, wrapping hash of the activation pattern
    layers: list[LayerRecord] = field(default_factory=list)


def unit_weights(layer: int, n_units: int, device) -> torch.Tensor:
    """Fixed pseudo-random int64 weights (splitmix64) for hashing a layer's pattern."""
    with np.errstate(over="ignore"):
        x = (np.uint64(layer) << np.uint64(32)) + np.arange(1, n_units + 1, dtype=np.uint64)
        x = x * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return torch.from_numpy(x.view(np.int64)).to(device)


def initial_maps(plane: Slice, device) -> torch.Tensor:
    """``(1, 3, *input_shape)``: the plane itself, ``x = u*e1 + v*e2 + origin``."""
    rows = np.stack([plane.basis[:, 0], plane.basis[:, 1], plane.origin])
    return torch.from_numpy(rows).to(device).reshape(1, 3, *plane.input_shape)


def domain_polygon(plane: Slice, device) -> Polygons:
    """The domain as a batch of one polygon whose edges are tagged -1."""
    verts = torch.from_numpy(plane.domain).to(device).unsqueeze(0)
    n = verts.shape[1]
    return Polygons(verts, torch.tensor([n], device=device), torch.full((1, n), -1, dtype=torch.int16, device=device))


def chunk_rows(maps: torch.Tensor, memory_budget: int) -> int:
    """How many regions to push through the next stages at once within ``memory_budget`` bytes."""
    bytes_per_region = 8 * maps[0].numel() * 4  # the map, its activated copy and two stage outputs
    return max(1, memory_budget // max(bytes_per_region, 1))


def advance(stage: Elementwise, maps: torch.Tensor, pieces: Polygons, parent: torch.Tensor, following: list[Affine]):
    """Activation pattern of each piece and its map after ``stage`` and the affine stages after it."""
    shape = maps.shape[2:]
    flat = maps[parent].reshape(len(parent), 3, -1)
    point = pieces.mean_points()
    values = point[:, 0:1] * flat[:, 0] + point[:, 1:2] * flat[:, 1] + flat[:, 2]
    pattern = stage.pieces(values)
    out = stage.apply(flat.reshape(len(parent), 3, *shape), pattern)
    for affine in following:
        out = affine.apply(out)
    return pattern, out


def activation_groups(stages) -> tuple[list[Affine], list[tuple[Elementwise, list[Affine]]]]:
    """Leading affine stages, then each activation with the affine stages that follow it."""
    leading: list[Affine] = []
    groups: list[tuple[Elementwise, list[Affine]]] = []
    for stage in stages:
        if isinstance(stage, Elementwise):
            groups.append((stage, []))
        elif groups:
            groups[-1][1].append(stage)
        else:
            leading.append(stage)
    return leading, groups


def sweep(network: Network, plane: Slice, device, max_regions: int, memory_budget: int, progress=None) -> Sweep:
    """Run every stage of ``network`` over the domain of ``plane``.

    Pieces are pushed through the layers in chunks of ``memory_budget`` bytes of maps:
    besides bounding memory, chunks that fit in cache run several times faster.
    ``progress(layer, regions)`` is called after each activation layer.
    """
    leading, groups = activation_groups(network.stages)
    regions = domain_polygon(plane, device)
    maps = initial_maps(plane, device)
    for affine in leading:
        maps = affine.apply(maps)
    if groups:
        candidates = candidate_lines(regions.bounding_boxes(), maps.reshape(1, 3, -1), groups[0][0].breakpoints)
    ids = torch.zeros(1, dtype=torch.int64, device=device)
    records: list[LayerRecord] = []
    for layer, (stage, following) in enumerate(groups):
        upcoming = groups[layer + 1][0] if layer + 1 < len(groups) else None
        flat = maps.reshape(len(regions), 3, -1)
        pieces, parent = split_regions(regions, flat, stage.breakpoints, candidates, layer, max_regions)
        weights = unit_weights(layer, flat.shape[2], device)
        boxes = pieces.bounding_boxes()
        patterns, outputs, hashes, found = [], [], [], []
        step = chunk_rows(maps, memory_budget)
        for start in range(0, len(parent), step):
            rows = slice(start, start + step)
            pattern, out = advance(stage, maps, pieces.take(rows), parent[rows], following)
            patterns.append(pattern)
            outputs.append(out)
            hashes.append((pattern.long() * weights).sum(dim=1))
            if upcoming is not None:  # find the next layer's candidate lines while the chunk is in cache
                region, units, breaks = candidate_lines(boxes[rows], out.reshape(len(out), 3, -1), upcoming.breakpoints)
                found.append((region + start, units, breaks))
        if found:
            candidates = tuple(torch.cat(parts) for parts in zip(*found))
        pattern = torch.cat(patterns)
        ids = ids[parent] * HASH_MULTIPLIER + torch.cat(hashes)
        maps = torch.cat(outputs)
        regions = pieces
        records.append(LayerRecord(stage.name, parent, pattern))
        if progress is not None:
            progress(layer, regions)
    return Sweep(regions, maps.reshape(len(regions), 3, -1), ids, records)
