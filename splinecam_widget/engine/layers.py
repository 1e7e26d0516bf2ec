"""The layer loop: push per-region affine maps through the stages, splitting at each activation."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch

from ..network.program import Network
from ..network.stages import CUTTING_STAGES
from ..slice import Slice
from .polygons import Polygons
from .cuts import cut, find_candidates

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


@functools.lru_cache(maxsize=64)
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


def chunk_rows(values: dict, memory_budget: int) -> int:
    """How many regions to push through the next stages at once within ``memory_budget`` bytes."""
    bytes_per_region = 8 * sum(t[0].numel() for t in values.values()) * 4  # the maps, copies and stage outputs
    return max(1, memory_budget // max(bytes_per_region, 1))


def apply_to_maps(node, inputs):
    """Run a non-cutting stage on per-region maps."""
    return node.stage.apply(*inputs)


def interior_values(maps: torch.Tensor, pieces: Polygons) -> torch.Tensor:
    """``(P, D)`` unit values at an interior point of each piece (maps ``(P, 3, *shape)``)."""
    flat = maps.reshape(len(maps), 3, -1)
    point = pieces.mean_points()
    return torch.addcmul(flat[:, 2], point[:, 0:1], flat[:, 0]).addcmul_(point[:, 1:2], flat[:, 1])


def sweep(network: Network, plane: Slice, device, max_regions: int, memory_budget: int, progress=None) -> Sweep:
    """Run the program of ``network`` over the domain of ``plane``.

    Between two cutting (activation) nodes, pieces are pushed through the program
    in chunks of ``memory_budget`` bytes of maps: besides bounding memory, chunks that
    fit in cache run several times faster.  ``progress(layer, regions)`` is called
    after each activation layer.
    """
    nodes = network.nodes
    cuts = [i for i, node in enumerate(nodes) if isinstance(node.stage, CUTTING_STAGES)]
    regions = domain_polygon(plane, device)
    values = network.run({0: initial_maps(plane, device)}, 0, cuts[0] if cuts else len(nodes), apply_to_maps)
    if cuts:
        first = nodes[cuts[0]]
        candidates = find_candidates(regions.bounding_boxes(), values[first.inputs[0]].reshape(1, 3, -1), first.stage)
    ids = torch.zeros(1, dtype=torch.int64, device=device)
    records: list[LayerRecord] = []
    for layer, index in enumerate(cuts):
        node, stage = nodes[index], nodes[index].stage
        stop = cuts[layer + 1] if layer + 1 < len(cuts) else len(nodes)
        upcoming = nodes[stop] if stop < len(nodes) else None
        source = values[node.inputs[0]]
        pieces, parent = cut(regions, source.reshape(len(regions), 3, -1), stage, candidates, layer, max_regions)
        boxes = pieces.bounding_boxes()
        patterns, hashes, found, chunks = [], [], [], []
        step = chunk_rows(values, memory_budget)
        for start in range(0, len(parent), step):
            rows = slice(start, start + step)
            local = {value: maps[parent[rows]] for value, maps in values.items()}
            pattern = stage.pieces(interior_values(local[node.inputs[0]], pieces.take(rows)))
            local[node.output] = stage.apply(local[node.inputs[0]], pattern)
            network.run(local, index + 1, stop, apply_to_maps)
            for value in [v for v in local if network.last_use.get(v, -1) < stop]:
                del local[value]  # not read from the next cut on
            if upcoming is not None:  # find the next layer's candidate lines while the chunk is in cache
                region, *rest = find_candidates(boxes[rows], local[upcoming.inputs[0]].reshape(len(pattern), 3, -1),
                                                upcoming.stage)
                found.append((region + start, *rest))
            patterns.append(pattern)
            hashes.append((pattern.long() * unit_weights(layer, pattern.shape[1], device)).sum(dim=1))
            chunks.append(local)
        if found:
            candidates = tuple(torch.cat(parts) for parts in zip(*found))
        values = {value: torch.cat([chunk[value] for chunk in chunks]) for value in chunks[0]}
        pattern = torch.cat(patterns)
        ids = ids[parent] * HASH_MULTIPLIER + torch.cat(hashes)
        regions = pieces
        records.append(LayerRecord(stage.name, parent, pattern))
        if progress is not None:
            progress(layer, regions)
    return Sweep(regions, values[network.output].reshape(len(regions), 3, -1), ids, records)
