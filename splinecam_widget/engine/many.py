"""``partition_many()``: the partitions of many slices of one network."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..partition import Partition
from ..slice import Slice
from .compute import DEFAULT_MAX_REGIONS, DEFAULT_MEMORY_BUDGET, partition


def partition_many(
    model: torch.nn.Module,
    slices: Sequence[Slice],
    *,
    device=None,
    max_regions: int = DEFAULT_MAX_REGIONS,
    levels=None,
    boundary: bool = True,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    threads: int | None = None,
) -> list[Partition]:
    """The partition of each slice: the same as ``[partition(model, s, ...) for s in slices]``.

    Parameters
    ----------
    model : torch.nn.Module
    slices : sequence of Slice
        Slices of the model's input space (all of one input shape).
    device, max_regions, levels, memory_budget, threads
        As for :func:`~splinecam_widget.partition`; ``max_regions`` applies to each slice.
    boundary : bool
        Compute the decision boundary (default); ``False`` skips it when only the
        regions are needed (counting them, their areas, patterns and maps).

    Returns
    -------
    list of Partition
        One per slice, in order.
    """
    return [
        partition(
            model,
            s,
            device=device,
            max_regions=max_regions,
            levels=levels,
            memory_budget=memory_budget,
            threads=threads,
            boundary=boundary,
        )
        for s in slices
    ]
