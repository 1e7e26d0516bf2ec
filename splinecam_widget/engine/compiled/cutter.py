"""The compiled backend of the layer loop on the CPU (the torch twin and what a backend offers: :mod:`..cuts`).

Regions are :class:`~..flat.FlatPolygons`; a cutting layer runs :func:`.lines.cut_by_lines`
or :func:`.maxima.cut_by_windows` on runs of consecutive regions, on several threads
when the work is large enough to pay for them (the kernels run without the GIL), and
returns the pieces with their activation pattern, so the layer loop needs no candidate
lists and no interior points.  Pieces come out in region order whatever the number of
threads, so the partition never depends on it.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from ... import hashing
from ...errors import RegionBudgetExceeded
from ...network.stages import Maximum
from ..boundary import Boundary
from ..flat import FlatPolygons
from ..threads import current_kernel_threads
from .boundary import argmax_segments, level_segments
from .carry import carry as carry_kernel
from .lines import OK, cut_by_lines
from .maxima import cut_by_windows

PARALLEL_WORK = 200_000
"""Line (or window) tests per layer above which the regions are cut on several threads."""
MULTIPLIER = np.int64(hashing.LAYER_MULTIPLIER)  # the pattern hash's, typed for the kernel
CHUNKS_PER_THREAD = 4  # runs of regions per thread: evens out regions that take longer than others

_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """The process's threads for the kernels (made on first use)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="splinecam-cut")
    return _pool


def domains(planes, device) -> FlatPolygons:
    """The domains of ``planes`` as flat polygons whose edges are tagged -1."""
    verts = np.concatenate([np.asarray(p.domain, np.float64) for p in planes])
    counts = np.array([len(p.domain) for p in planes], np.int64)
    return FlatPolygons.from_counts(verts, counts, np.full(len(verts), -1, np.int16))


def candidates(pieces, rows, maps, stage) -> None:
    """The compiled cuts find their own candidates while they cut."""
    return None


def cut(regions: FlatPolygons, maps: torch.Tensor, stage, candidates, tag: int, budget):
    """Pieces of ``regions`` on which ``stage`` is affine, the region each came from and their pattern.

    ``maps (R, 3, D)`` are the regions' maps entering the stage; ``budget`` a
    :class:`~..split.Budget` (its counts are updated).
    """
    verts, offsets, tags = regions.flat()
    maps = np.ascontiguousarray(maps.numpy())
    if isinstance(stage, Maximum):
        kernel, parameter = cut_by_windows, np.ascontiguousarray(stage.windows.numpy(), np.int64)
        work = len(regions) * stage.windows.numel()
    else:
        kernel, parameter = cut_by_lines, stage.host_arrays[0]
        work = len(regions) * maps.shape[2] * len(parameter)
    owners, base = budget.owners.numpy(), budget.counts.numpy()
    args = (verts, offsets, tags, maps, parameter, tag)
    tail = (owners, base.copy(), budget.limit)
    threads = current_kernel_threads()
    if work < PARALLEL_WORK or threads == 1 or len(regions) < 2:
        parts = [kernel(*args, 0, len(regions), *tail)]
    else:
        bounds = np.linspace(0, len(regions), min(threads * CHUNKS_PER_THREAD, len(regions)) + 1).astype(np.int64)
        futures = [pool().submit(kernel, *args, int(a), int(b), *tail) for a, b in zip(bounds[:-1], bounds[1:])]
        parts = [future.result() for future in futures]
    base += sum(part[5] for part in parts)  # the budget's counts (shared memory)
    if any(part[6] != OK for part in parts) or base.max(initial=0) > budget.limit:
        # A kernel that went over stops before counting the pieces of the region it was cutting: that slice
        # had more than limit pieces then, whatever the counts of the finished regions say.
        raise RegionBudgetExceeded(budget.limit, tag, max(int(base.max()), budget.limit + 1))
    if len(parts) == 1:
        out_verts, out_tags, counts, parent, pattern = parts[0][:5]
    else:
        columns = zip(*[part[:5] for part in parts])  # the last two are the counts and the status
        out_verts, out_tags, counts, parent, pattern = (np.concatenate(column) for column in columns)
    pieces = FlatPolygons.from_counts(out_verts, counts, out_tags)
    return pieces, torch.from_numpy(parent), torch.from_numpy(pattern)


def boundary(regions: FlatPolygons, affine: torch.Tensor, levels) -> Boundary:
    """The level sets (one output) or the argmax boundary (several) in every region (``affine (R, K, 3)``)."""
    verts, offsets, tags = regions.flat()
    maps = np.ascontiguousarray(affine.numpy())
    if affine.shape[1] == 1:
        segments, level, region, on_edge = level_segments(verts, offsets, tags, maps, np.asarray(levels, np.float64))
        classes = np.zeros((len(segments), 2), np.int64)
        classes[:, 1] = 1
    else:
        segments, classes, region, on_edge = argmax_segments(verts, offsets, maps)
        level = np.full(len(segments), -1, np.int64)
    return Boundary(*(torch.from_numpy(a) for a in (segments, classes, level, region, on_edge)))


def carry(maps: torch.Tensor, parent: torch.Tensor, pattern: torch.Tensor, stage, weights: torch.Tensor, ids):
    """Pieces' maps past the activation ``stage`` and their pattern ids, in one compiled pass.

    ``maps (R, 3, D)`` and ``ids (R,)`` are the regions'; ``parent``, ``pattern`` the pieces'
    (from :func:`cut`); ``weights (D,)`` the layer's hash weights.  See :mod:`.carry`.
    """
    _, slopes, intercepts = stage.host_arrays
    out, piece_ids = carry_kernel(
        np.ascontiguousarray(maps.numpy()),
        parent.numpy(),
        pattern.numpy(),
        slopes,
        intercepts,
        stage.has_intercepts,
        weights.numpy(),
        ids.numpy(),
        MULTIPLIER,
    )
    return torch.from_numpy(out), torch.from_numpy(piece_ids)
