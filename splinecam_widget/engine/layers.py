"""The layer loop: push per-region affine maps through the stages, splitting at each activation."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch

from .. import hashing
from ..errors import RegionBudgetExceeded, SplineCamError
from ..network.program import Network
from ..network.stages import CUTTING_STAGES
from ..slice import Slice
from .cuts import cut, find_candidates
from .polygons import Polygons, concat


@dataclass
class LayerRecord:
    """What one activation layer did, kept for queries after the run.

    ``parent[p]`` is the region (of the previous layer) piece ``p`` came from and
    ``pattern[p]`` the piece index of every unit on it.
    """

    name: str
    parent: torch.Tensor
    pattern: torch.Tensor


class Chunk(NamedTuple):
    """A cache-sized run of consecutive pieces of one cutting layer, carried to the next cut.

    Invariants: ``rows`` is a contiguous slice of the layer's pieces; ``values`` holds
    every value the rest of the network reads (each ``(len(rows), 3, *shape)``);
    ``candidates`` are the next cutting layer's ``(piece, ...)`` candidates with piece
    indices local to the chunk (None after the last cut); ``ids`` the pieces' pattern ids.
    """

    rows: slice
    values: dict
    candidates: tuple | None
    ids: torch.Tensor


@dataclass
class Sweep:
    """Result of the layer loop, before the decision boundary."""

    regions: Polygons
    maps: torch.Tensor  # (R, 3, K): the network's output map on each region
    pattern_ids: torch.Tensor  # (R,) int64, wrapping hash of the activation pattern
    layers: list[LayerRecord] = field(default_factory=list)


@functools.lru_cache(maxsize=64)
def unit_weights(layer: int, n_units: int, device) -> torch.Tensor:
    """The layer's pattern-hash weights (:func:`~splinecam_widget.hashing.unit_weights`) on ``device``."""
    return torch.from_numpy(hashing.unit_weights(layer, n_units)).to(device)


def initial_maps(plane: Slice, device) -> torch.Tensor:
    """``(1, 3, *input_shape)``: the plane itself, ``x = u*e1 + v*e2 + origin``."""
    rows = np.stack([plane.basis[:, 0], plane.basis[:, 1], plane.origin])
    return torch.from_numpy(rows).to(device).reshape(1, 3, *plane.input_shape)


def domain_polygon(plane: Slice, device) -> Polygons:
    """The domain as a batch of one polygon whose edges are tagged -1."""
    verts = torch.from_numpy(plane.domain).to(device).unsqueeze(0)
    n = verts.shape[1]
    return Polygons(verts, torch.tensor([n], device=device), torch.full((1, n), -1, dtype=torch.int16, device=device))


CACHE_CHUNK_BYTES = 16 * 2**20  # maps pushed through the stages at once: fits in cache, runs several times faster


def region_bytes(values: dict) -> int:
    """Bytes of per-region maps held for one region in ``values``."""
    return sum(t[0].numel() * t.element_size() for t in values.values())


def apply_to_maps(node, inputs):
    """Run a non-cutting stage on per-region maps."""
    return node.stage.apply(*inputs)


def interior_values(maps: torch.Tensor, pieces: Polygons) -> torch.Tensor:
    """``(P, D)`` unit values at an interior point of each piece (maps ``(P, 3, *shape)``)."""
    flat = maps.reshape(len(maps), 3, -1)
    point = pieces.mean_points()
    return torch.addcmul(flat[:, 2], point[:, 0:1], flat[:, 0]).addcmul_(point[:, 1:2], flat[:, 1])


def sweep(network: Network, plane: Slice, device, max_regions: int, memory_budget: int, progress=None) -> Sweep:
    """Run the program of ``network`` over the domain of ``plane`` (see :class:`Descent`)."""
    return Descent(network, device, max_regions, memory_budget, progress).run(plane)


class Descent:
    """Depth-first walk through the cutting layers with bounded memory.

    At each cutting layer the regions are cut, then their pieces are pushed through
    the stages up to the next cut in cache-sized chunks.  Chunks are gathered into
    groups whose maps fit ``memory_budget / number of cutting layers`` and each group
    descends to the next layer before the next group is built, so memory stays near
    the budget however wide the layers are.  When a layer fits in one group (MLPs,
    small convolutional nets) this is plain layer-by-layer processing, and
    ``progress(layer, regions, pattern_ids)`` is called after each such layer.

    Invariants: the pieces of one layer are numbered in the order they are cut, and
    a group is a run of consecutive :class:`Chunk` s, so the pieces a group carries to
    the next layer are ``pieces[group[0].rows.start : group[-1].rows.stop]``;
    ``parents[layer]`` and ``patterns[layer]`` are appended in that same order, so their
    concatenation lines up with the layer's global piece numbering; the final regions
    are appended to ``finals`` depth-first, each run in the order of its pieces.
    """

    def __init__(self, network: Network, device, max_regions: int, memory_budget: int, progress):
        self.network, self.device, self.max_regions, self.progress = network, device, max_regions, progress
        self.cuts = [i for i, node in enumerate(network.nodes) if isinstance(node.stage, CUTTING_STAGES)]
        self.group_budget = memory_budget // max(len(self.cuts), 1)
        self.counts = [0] * len(self.cuts)
        self.parents: list[list[torch.Tensor]] = [[] for _ in self.cuts]
        self.patterns: list[list[torch.Tensor]] = [[] for _ in self.cuts]
        self.finals: list[tuple[Polygons, torch.Tensor, torch.Tensor]] = []

    def run(self, plane: Slice) -> Sweep:
        """Partition the domain of ``plane``: every region with its output map and pattern id."""
        nodes = self.network.nodes
        regions = domain_polygon(plane, self.device)
        values = self.network.run(
            {0: initial_maps(plane, self.device)}, 0, self.cuts[0] if self.cuts else len(nodes), apply_to_maps
        )
        ids = torch.zeros(1, dtype=torch.int64, device=self.device)
        if not self.cuts:
            return Sweep(regions, values[self.network.output].reshape(1, 3, -1), ids, [])
        first = nodes[self.cuts[0]]
        candidates = find_candidates(regions.bounding_boxes(), values[first.inputs[0]].reshape(1, 3, -1), first.stage)
        self.descend(0, regions, values, candidates, torch.zeros(1, dtype=torch.int64, device=self.device), ids, True)
        records = [
            LayerRecord(nodes[index].stage.name, torch.cat(self.parents[layer]), torch.cat(self.patterns[layer]))
            for layer, index in enumerate(self.cuts)
        ]
        polys, maps, final_ids = zip(*self.finals)
        return Sweep(concat(*polys), torch.cat(maps), torch.cat(final_ids), records)

    def descend(self, layer: int, regions: Polygons, values: dict, candidates, region_ids, ids, whole: bool) -> None:
        """Cut ``regions`` at cutting layer ``layer`` and carry every piece to the end of the network.

        ``region_ids`` are the regions' global indices at the previous layer, ``ids``
        their pattern hashes; ``whole`` says the regions cover the whole domain.
        """
        network, nodes = self.network, self.network.nodes
        index = self.cuts[layer]
        node, stage = nodes[index], nodes[index].stage
        stop = self.cuts[layer + 1] if layer + 1 < len(self.cuts) else len(nodes)
        upcoming = nodes[stop] if stop < len(nodes) else None
        source = values[node.inputs[0]]
        try:
            pieces, parent = cut(
                regions,
                source.reshape(len(regions), 3, -1),
                stage,
                candidates,
                layer,
                self.max_regions - self.counts[layer],
            )
        except RegionBudgetExceeded as exc:  # restate with the whole layer's count
            raise RegionBudgetExceeded(self.max_regions, layer, self.counts[layer] + exc.n_regions) from None
        self.counts[layer] += len(pieces)
        self.parents[layer].append(region_ids[parent])
        piece_ids = torch.arange(self.counts[layer] - len(pieces), self.counts[layer], device=self.device)
        boxes = pieces.bounding_boxes()
        held = max(region_bytes(values), 1)
        step = max(1, min(CACHE_CHUNK_BYTES // (4 * held), self.group_budget // held))
        group: list[Chunk] = []
        group_rows = None
        start = 0
        while start < len(parent):
            rows = slice(start, start + step)
            start += step
            local = {value: maps[parent[rows]] for value, maps in values.items()}
            pattern = stage.pieces(interior_values(local[node.inputs[0]], pieces.take(rows)))
            local[node.output] = stage.apply(local[node.inputs[0]], pattern)
            network.run(local, index + 1, stop, apply_to_maps)
            for value in [v for v in local if network.last_use.get(v, -1) < stop]:
                del local[value]  # not read from the next cut on
            found = None
            if upcoming is not None:  # the next layer's candidates, while the chunk is in cache
                found = find_candidates(
                    boxes[rows], local[upcoming.inputs[0]].reshape(len(pattern), 3, -1), upcoming.stage
                )
            self.patterns[layer].append(pattern)
            hashes = (pattern.long() * unit_weights(layer, pattern.shape[1], self.device)).sum(dim=1)
            group.append(Chunk(rows, local, found, ids[parent[rows]] * hashing.LAYER_MULTIPLIER + hashes))
            if group_rows is None:
                group_rows = self.rows_per_group(local, stage.name)
                step = max(1, min(step, group_rows))
            if sum(len(chunk.ids) for chunk in group) >= group_rows:
                self.flush(layer, pieces, piece_ids, group, whole and group_rows >= len(parent))
                group = []
        if group:
            self.flush(layer, pieces, piece_ids, group, whole and group_rows >= len(parent))

    def rows_per_group(self, local: dict, name: str) -> int:
        """Regions whose next-layer maps fit the per-layer share of the memory budget."""
        per_region = region_bytes(local)
        if per_region > self.group_budget:
            raise SplineCamError(
                f"after {name} one region's affine maps take {per_region / 2**20:.1f} MiB, more than the "
                f"memory_budget share of {self.group_budget / 2**20:.1f} MiB per cutting layer; "
                "pass a larger memory_budget"
            )
        return self.group_budget // max(per_region, 1)

    def flush(self, layer: int, pieces: Polygons, piece_ids, group: list[Chunk], whole: bool) -> None:
        """Carry a group of consecutive chunks to the next layer (or record them as final regions)."""
        first, last = group[0].rows.start, group[-1].rows.stop
        members = pieces.take(slice(first, last))
        values = {value: torch.cat([chunk.values[value] for chunk in group]) for value in group[0].values}
        ids = torch.cat([chunk.ids for chunk in group])
        if whole and self.progress is not None:
            self.progress(layer, members, ids)
        if layer + 1 == len(self.cuts):
            self.finals.append((members, values[self.network.output].reshape(len(ids), 3, -1), ids))
            return
        # the chunks' candidates, their piece indices shifted from chunk-local to group-local
        candidates = tuple(
            torch.cat(parts)
            for parts in zip(
                *[(chunk.candidates[0] + chunk.rows.start - first, *chunk.candidates[1:]) for chunk in group]
            )
        )
        self.descend(layer + 1, members, values, candidates, piece_ids[first:last], ids, whole)
