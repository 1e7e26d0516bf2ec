"""The layer loop: push per-region affine maps through the stages, splitting at each activation."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch

from .. import hashing
from ..errors import RegionBudgetExceeded, SplineCamError
from ..frame import Frame, WorkingPlane
from ..network.program import Network
from ..network.stages import CUTTING_STAGES, Elementwise
from ..slice import Slice
from .overflow import check_finite
from .polygons import Polygons
from .split import Budget


@dataclass
class LayerRecord:
    """What one activation layer did, kept for queries after the run.

    ``parent[p]`` is the region (of the previous layer) piece ``p`` came from and
    ``pattern[p]`` the piece index of every unit on it.
    """

    name: str
    parent: torch.Tensor
    pattern: torch.Tensor
    owner: torch.Tensor | None = None  # the slice of each piece, when several slices ran together


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
    """Result of the layer loop, before the decision boundary.

    With several slices, ``owners[r]`` is the slice of region ``r`` and each layer
    record's ``owner`` the slice of each of its pieces.
    """

    regions: Polygons  # or FlatPolygons, from the compiled backend
    maps: torch.Tensor  # (R, 3, K): the network's output map on each region
    pattern_ids: torch.Tensor  # (R,) int64, wrapping hash of the activation pattern
    layers: list[LayerRecord] = field(default_factory=list)
    owners: torch.Tensor | None = None  # (R,) int64: the slice of each region
    backend: object = None  # the backend module that cut the regions (it also finds their boundary)
    frames: list[Frame] = field(default_factory=list)  # each slice's local coordinates (regions and maps use them)


@functools.lru_cache(maxsize=64)
def unit_weights(layer: int, n_units: int, device) -> torch.Tensor:
    """The layer's pattern-hash weights (:func:`~splinecam_widget.hashing.unit_weights`) on ``device``."""
    return torch.from_numpy(hashing.unit_weights(layer, n_units)).to(device)


def initial_maps(planes: list[WorkingPlane], device) -> torch.Tensor:
    """``(S, 3, *input_shape)``: each plane itself, ``x = u*e1 + v*e2 + origin`` (in local coordinates)."""
    rows = np.stack([np.stack([p.basis[:, 0], p.basis[:, 1], p.origin]) for p in planes])
    return torch.from_numpy(rows).to(device).reshape(len(planes), 3, *planes[0].input_shape)


CACHE_CHUNK_BYTES = 16 * 2**20  # maps pushed through the stages at once: fits in cache, runs several times faster


def region_bytes(values: dict) -> int:
    """Bytes of per-region maps held for one region in ``values``."""
    return sum(t[0].numel() * t.element_size() for t in values.values())


def apply_to_maps(node, inputs):
    """Run a non-cutting stage on per-region maps."""
    return node.stage.apply(*inputs)


def joined(parts) -> torch.Tensor:
    """The tensors in one (the tensor itself when there is one: small partitions are one run)."""
    return parts[0] if len(parts) == 1 else torch.cat(list(parts))


def interior_values(maps: torch.Tensor, pieces: Polygons) -> torch.Tensor:
    """``(P, D)`` unit values at an interior point of each piece (maps ``(P, 3, *shape)``)."""
    flat = maps.reshape(len(maps), 3, -1)
    point = pieces.mean_points()
    return torch.addcmul(flat[:, 2], point[:, 0:1], flat[:, 0]).addcmul_(point[:, 1:2], flat[:, 1])


def sweep(
    network: Network, planes: list[Slice], device, max_regions: int, memory_budget: int, backend, progress=None
) -> Sweep:
    """Run the program of ``network`` over the domains of ``planes`` together (see :class:`Descent`).

    Every region carries its own affine maps, so regions of different slices go through
    each layer side by side: the per-layer work is shared, and each slice's regions are
    exactly those it would get alone.  ``max_regions`` applies to each slice.  ``backend``
    cuts the regions (a module picked by :func:`.backends.pick`).  Each slice is computed
    in the local coordinates of its own window (:class:`~splinecam_widget.frame.Frame`):
    the result's regions and maps are in those coordinates, and ``Sweep.frames`` holds them.
    """
    frames = [Frame.around(plane.domain) for plane in planes]
    working = [frame.working_plane(plane) for frame, plane in zip(frames, planes)]
    result = Descent(network, device, max_regions, memory_budget, progress, len(planes), backend).run(working)
    check_finite(result.maps, network, working)
    result.frames = frames
    return result


class Descent:
    """Depth-first walk through the cutting layers with bounded memory.

    At each cutting layer the regions are cut, then their pieces are pushed through
    the stages up to the next cut in cache-sized chunks.  Chunks are gathered into
    groups whose maps fit ``memory_budget / number of cutting layers`` and each group
    descends to the next layer before the next group is built, so memory stays near
    the budget however wide the layers are.  When a layer fits in one group (MLPs,
    small convolutional nets) this is plain layer-by-layer processing, and
    ``progress(layer, regions, pattern_ids)`` is called after each such layer.  The
    backend (docs/design.md, fact 9) cuts the regions and, where it can, carries each
    chunk past the activation in one pass (:meth:`activate`).

    Invariants: the pieces of one layer are numbered in the order they are cut, and
    a group is a run of consecutive :class:`Chunk` s, so the pieces a group carries to
    the next layer are ``pieces[group[0].rows.start : group[-1].rows.stop]``;
    ``parents[layer]`` and ``patterns[layer]`` are appended in that same order, so their
    concatenation lines up with the layer's global piece numbering; the final regions
    are appended to ``finals`` depth-first, each run in the order of its pieces.
    """

    def __init__(
        self, network: Network, device, max_regions: int, memory_budget: int, progress, n_slices: int, backend
    ):
        self.network, self.device, self.max_regions, self.progress = network, device, max_regions, progress
        self.backend = backend
        self.cuts = [i for i, node in enumerate(network.nodes) if isinstance(node.stage, CUTTING_STAGES)]
        self.group_budget = memory_budget // max(len(self.cuts), 1)
        self.counts = [0] * len(self.cuts)
        self.slice_counts = [torch.zeros(n_slices, dtype=torch.int64, device=device) for _ in self.cuts]
        self.parents: list[list[torch.Tensor]] = [[] for _ in self.cuts]
        self.patterns: list[list[torch.Tensor]] = [[] for _ in self.cuts]
        self.owners: list[list[torch.Tensor]] = [[] for _ in self.cuts]
        self.finals: list[tuple] = []  # (regions, output maps, pattern ids) per run of final regions

    def run(self, planes: list[WorkingPlane]) -> Sweep:
        """Partition the domains of ``planes``: every region with its output map, pattern id and slice."""
        nodes = self.network.nodes
        regions = self.backend.domains(planes, self.device)
        values = self.network.run(
            {0: initial_maps(planes, self.device)}, 0, self.cuts[0] if self.cuts else len(nodes), apply_to_maps
        )
        owners = torch.arange(len(planes), device=self.device)
        ids = torch.zeros(len(planes), dtype=torch.int64, device=self.device)
        if not self.cuts:
            output = values[self.network.output].reshape(len(planes), 3, -1)
            return Sweep(regions, output, ids, [], owners, self.backend)
        first = nodes[self.cuts[0]]
        maps = values[first.inputs[0]].reshape(len(planes), 3, -1)
        candidates = self.backend.candidates(regions, slice(None), maps, first.stage)
        self.descend(0, regions, values, candidates, owners, owners, ids, True)
        records = [
            LayerRecord(nodes[index].stage.name, joined(self.parents[layer]), joined(self.patterns[layer]))
            for layer, index in enumerate(self.cuts)
        ]
        polys, maps, final_ids = zip(*self.finals)
        final_owners = joined(self.owners[-1])
        for record, layer_owners in zip(records, self.owners):
            record.owner = joined(layer_owners)
        regions = type(polys[0]).join(list(polys))
        return Sweep(regions, joined(maps), joined(final_ids), records, final_owners, self.backend)

    def descend(
        self, layer: int, regions: Polygons, values: dict, candidates, region_ids, owners, ids, whole: bool
    ) -> None:
        """Cut ``regions`` at cutting layer ``layer`` and carry every piece to the end of the network.

        ``region_ids`` are the regions' global indices at the previous layer, ``owners``
        their slices, ``ids`` their pattern hashes; ``whole`` says the regions cover
        every domain.
        """
        network, nodes = self.network, self.network.nodes
        index = self.cuts[layer]
        node, stage = nodes[index], nodes[index].stage
        stop = self.cuts[layer + 1] if layer + 1 < len(self.cuts) else len(nodes)
        upcoming = nodes[stop] if stop < len(nodes) else None
        source = values[node.inputs[0]]
        counts = self.slice_counts[layer]
        if len(counts) == 1:  # one slice (partition()): no need to count by owner
            counts += len(regions)
        else:
            counts.index_add_(0, owners, torch.ones_like(owners))  # each region is at least one piece
        most = int(counts.max())  # slices without regions here were checked when their pieces were counted
        if most > self.max_regions:
            raise RegionBudgetExceeded(self.max_regions, layer, most)
        budget = Budget(self.max_regions, owners, counts)
        pieces, parent, patterns = self.backend.cut(
            regions, source.reshape(len(regions), 3, -1), stage, candidates, layer, budget
        )
        self.counts[layer] += len(pieces)
        self.parents[layer].append(region_ids[parent])
        piece_owners = owners[parent]
        self.owners[layer].append(piece_owners)
        piece_ids = torch.arange(self.counts[layer] - len(pieces), self.counts[layer], device=self.device)
        held = max(region_bytes(values), 1)
        step = max(1, min(CACHE_CHUNK_BYTES // (4 * held), self.group_budget // held))
        group: list[Chunk] = []
        group_rows = None
        start = 0
        while start < len(parent):
            rows = slice(start, start + step)
            start += step
            local, pattern, hashes = self.activate(layer, pieces, rows, parent[rows], patterns, values, ids)
            network.run(local, index + 1, stop, apply_to_maps)
            for value in [v for v in local if network.last_use.get(v, -1) < stop]:
                del local[value]  # not read from the next cut on
            found = None
            if upcoming is not None:  # the next layer's candidates, while the chunk is in cache
                found = self.backend.candidates(
                    pieces, rows, local[upcoming.inputs[0]].reshape(len(pattern), 3, -1), upcoming.stage
                )
            self.patterns[layer].append(pattern)
            group.append(Chunk(rows, local, found, hashes))
            if group_rows is None:
                group_rows = self.rows_per_group(local, stage.name)
                step = max(1, min(step, group_rows))
            if sum(len(chunk.ids) for chunk in group) >= group_rows:
                self.flush(layer, pieces, piece_ids, piece_owners, group, whole and group_rows >= len(parent))
                group = []
        if group:
            self.flush(layer, pieces, piece_ids, piece_owners, group, whole and group_rows >= len(parent))

    def activate(self, layer: int, pieces, rows: slice, parent, patterns, values: dict, ids):
        """The maps of one chunk of pieces past the activation of cutting layer ``layer``.

        The chunk is the layer's ``pieces`` at ``rows``, ``parent`` their regions,
        ``patterns`` the layer's patterns (None: read them here), ``values`` and ``ids`` the
        regions' maps and pattern ids.  Returns the pieces' values (the activation's output,
        and the other values the network reads later), their pattern and their pattern ids.
        """
        index = self.cuts[layer]
        node = self.network.nodes[index]
        source, stage = values[node.inputs[0]], node.stage
        last_read_here = self.network.last_use.get(node.inputs[0], -1) <= index
        carry = self.backend.carry
        alone = len(values) == 1 and last_read_here  # nothing but the activation's output is read past it
        if carry is not None and patterns is not None and isinstance(stage, Elementwise) and alone:
            # the compiled backend gathers, activates and hashes in one pass
            pattern = patterns[rows]
            weights = unit_weights(layer, pattern.shape[1], self.device)
            maps, hashes = carry(source.reshape(len(source), 3, -1), parent, pattern, stage, weights, ids)
            return {node.output: maps.reshape(len(pattern), *source.shape[1:])}, pattern, hashes
        local = {value: maps.index_select(0, parent) for value, maps in values.items()}
        if patterns is None:  # read at each piece's interior point, while the chunk's maps are in cache
            pattern = stage.pieces(interior_values(local[node.inputs[0]], pieces.take(rows)))
        else:
            pattern = patterns[rows]
        # the gathered input is a fresh copy: the activation may overwrite it unless a later node reads it
        local[node.output] = stage.apply(local[node.inputs[0]], pattern, inplace=last_read_here)
        weights = unit_weights(layer, pattern.shape[1], self.device)  # per unit, or per window of a maximum
        return local, pattern, ids[parent] * hashing.LAYER_MULTIPLIER + (pattern.long() * weights).sum(dim=1)

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

    def flush(self, layer: int, pieces: Polygons, piece_ids, owners, group: list[Chunk], whole: bool) -> None:
        """Carry a group of consecutive chunks to the next layer (or record them as final regions)."""
        first, last = group[0].rows.start, group[-1].rows.stop
        members = pieces.take(slice(first, last))
        if len(group) == 1:  # the whole layer in one chunk (small partitions): nothing to join
            values, ids = group[0].values, group[0].ids
        else:
            values = {value: torch.cat([chunk.values[value] for chunk in group]) for value in group[0].values}
            ids = torch.cat([chunk.ids for chunk in group])
        if whole and self.progress is not None:
            self.progress(layer, members, ids)
        if layer + 1 == len(self.cuts):
            self.finals.append((members, values[self.network.output].reshape(len(ids), 3, -1), ids))
            return
        # the chunks' candidates, their piece indices shifted from chunk-local to group-local
        candidates = None
        if group[0].candidates is not None:  # (the compiled backend finds its own while it cuts)
            candidates = tuple(
                torch.cat(parts)
                for parts in zip(
                    *[(chunk.candidates[0] + chunk.rows.start - first, *chunk.candidates[1:]) for chunk in group]
                )
            )
        self.descend(layer + 1, members, values, candidates, piece_ids[first:last], owners[first:last], ids, whole)
