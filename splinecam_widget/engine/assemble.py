"""From the layer loop's result to :class:`~splinecam_widget.Partition` objects, one per slice.

When several slices ran together (``Sweep.owners``), their regions, boundary segments and
layer records are interleaved; each slice's are picked out in their order, and the
records' parent indices renumbered to the slice's own pieces, so every partition is the
one its slice gets alone.
"""

from __future__ import annotations

import numpy as np
import torch

from ..partition import Partition
from ..slice import Slice
from .boundary import Boundary, empty_boundary
from .layers import LayerRecord, Sweep
from .true_boundary import real_boundary


def decision_boundary(result: Sweep, affine: torch.Tensor, levels, wanted: bool, vertices, offsets) -> Boundary:
    """The level sets (one output) or the argmax boundary (several) of every region.

    Only where the class really changes (:mod:`.true_boundary`); ``vertices`` and
    ``offsets`` are the regions' flat arrays.
    """
    if not wanted:
        return empty_boundary(affine)
    found = result.backend.boundary(result.regions, affine, levels)
    owners = None if len(result.frames) == 1 else result.owners.cpu().numpy()
    return real_boundary(found, vertices, offsets, affine, levels, owners)


def partitions(result: Sweep, planes: list[Slice], network, levels, boundary: bool) -> list[Partition]:
    """One :class:`Partition` per plane from the sweep of all of them."""
    affine = result.maps.transpose(1, 2).contiguous()
    vertices, offsets, tags = result.regions.flat()
    found = decision_boundary(result, affine, levels, boundary, vertices, offsets)
    arrays = {
        "affine": affine.cpu().numpy(),
        "pattern_ids": result.pattern_ids.cpu().numpy(),
        "segments": found.segments.cpu().numpy(),
        "classes": found.classes.cpu().numpy(),
        "levels": found.levels.cpu().numpy(),
        "segment_regions": found.regions.cpu().numpy(),
    }
    names = [record.name for record in result.layers]
    if len(planes) == 1:
        counts = [len(record.parent) for record in result.layers]
        frame = result.frames[0]
        return [
            _partition(planes[0], frame, vertices, offsets, tags, arrays, levels, names, counts, result.layers, network)
        ]

    owners = result.owners.cpu().numpy()
    n = len(planes)
    order, starts = _grouped(owners, n)
    sizes = np.diff(offsets)[order]
    sorted_offsets = np.concatenate([[0], np.cumsum(sizes)])  # of the regions in slice order
    # every region's vertices, in slice order
    picked = np.repeat(offsets[order] - sorted_offsets[:-1], sizes) + np.arange(sorted_offsets[-1])
    vertices, tags = vertices[picked], tags[picked]
    local_rank = np.empty(len(owners), np.int64)
    local_rank[order] = np.arange(len(owners)) - starts[owners[order]]
    segment_owner = owners[arrays["segment_regions"]]
    segment_order, segment_starts = _grouped(segment_owner, n)
    records = _split_records(result.layers, n)
    out = []
    for s, plane in enumerate(planes):
        rows = order[starts[s] : starts[s + 1]]
        base, end = sorted_offsets[starts[s]], sorted_offsets[starts[s + 1]]
        segments = segment_order[segment_starts[s] : segment_starts[s + 1]]
        local = {
            "affine": arrays["affine"][rows],
            "pattern_ids": arrays["pattern_ids"][rows],
            "segments": arrays["segments"][segments],
            "classes": arrays["classes"][segments],
            "levels": arrays["levels"][segments],
            "segment_regions": local_rank[arrays["segment_regions"][segments]],
        }
        slice_records = [record for record, _ in records[s]]
        counts = [count for _, count in records[s]]
        region_offsets = sorted_offsets[starts[s] : starts[s + 1] + 1] - base
        out.append(
            _partition(
                plane,
                result.frames[s],
                vertices[base:end],
                region_offsets,
                tags[base:end],
                local,
                levels,
                names,
                counts,
                slice_records,
                network,
            )
        )
    return out


def _grouped(owners: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A stable order of the items by owner, and where each owner's items start in it (``n + 1``)."""
    order = np.argsort(owners, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=n))])
    return order, starts


def _split_records(records: list[LayerRecord], n: int) -> list[list[tuple[LayerRecord, int]]]:
    """Each slice's layer records (parents renumbered to the slice's own pieces) and piece counts."""
    per_slice: list[list[tuple[LayerRecord, int]]] = [[] for _ in range(n)]
    previous_rank = np.zeros(n, np.int64)  # before the first layer, slice s is its own region 0
    for record in records:
        owner = record.owner.cpu().numpy()
        parent = record.parent.cpu().numpy()
        order, starts = _grouped(owner, n)
        rank = np.empty(len(owner), np.int64)
        rank[order] = np.arange(len(owner)) - starts[owner[order]]
        local_parent = torch.from_numpy(previous_rank[parent])
        pattern = record.pattern
        for s in range(n):
            rows = order[starts[s] : starts[s + 1]]
            index = torch.from_numpy(rows)
            per_slice[s].append(
                (LayerRecord(record.name, local_parent[index], pattern[index.to(pattern.device)]), len(rows))
            )
        previous_rank = rank
    return per_slice


def _partition(plane, frame, vertices, offsets, tags, arrays, levels, names, counts, records, network) -> Partition:
    """One slice's :class:`Partition`, its geometry moved from the engine's local coordinates to the plane's."""
    return Partition(
        slice=plane,
        frame=frame,
        local_vertices=vertices,
        offsets=offsets,
        edge_layer=tags,
        pattern_ids=arrays["pattern_ids"],
        local_affine=arrays["affine"],
        boundary=frame.to_plane(arrays["segments"]) if len(arrays["segments"]) else arrays["segments"],
        boundary_classes=arrays["classes"],
        boundary_levels=arrays["levels"],
        boundary_regions=arrays["segment_regions"],
        levels=levels,
        layer_names=names,
        layer_region_counts=counts,
        layer_records=records,
        network=network,
    )
