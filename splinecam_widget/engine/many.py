"""``partition_many()``: the partitions of many slices of one network, computed together.

The model is converted once and the regions of every slice go through each layer side by
side (each carries its own plane's affine maps), so the per-layer work of a small slice,
which costs far more than its arithmetic, is shared by all (docs/design.md, fact 7 for
the memory bound, which holds for the whole batch).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..errors import SplineCamError
from ..network.convert import from_torch
from ..partition import Partition
from ..slice import Slice
from . import backends
from .assemble import partitions
from .compute import (
    DEFAULT_MAX_REGIONS,
    DEFAULT_MEMORY_BUDGET,
    check_budgets,
    check_levels,
    resolve_device,
)
from .layers import sweep
from .threads import kernel_threads


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
    backend: str = "auto",
) -> list[Partition]:
    """The partition of each slice: the same as ``[partition(model, s, ...) for s in slices]``.

    The same regions with the same areas, pattern ids and affine maps; the regions of a
    slice may come in another order (sort by pattern id to compare).

    Parameters
    ----------
    model : torch.nn.Module
    slices : sequence of Slice
        Slices of the model's input space, all of one input shape.
    device, max_regions, levels, memory_budget, threads, backend
        As for :func:`~splinecam_widget.partition`; ``max_regions`` applies to each
        slice, ``memory_budget`` to the whole batch.
    boundary : bool
        Compute the decision boundary (default); ``False`` skips it when only the
        regions are needed (counting them, their areas, patterns and maps).

    Returns
    -------
    list of Partition
        One per slice, in order.

    Examples
    --------
    >>> planes = [Slice(x, random_basis(), disk) for x in points]
    >>> counts = [p.n_regions for p in partition_many(model, planes, boundary=False)]
    """
    slices = list(slices)
    for i, plane in enumerate(slices):
        if not isinstance(plane, Slice):
            raise SplineCamError(f"slices[{i}] must be a Slice, got {type(plane).__name__}")
    if not slices:
        return []
    shapes = {plane.input_shape for plane in slices}
    if len(shapes) > 1:
        raise SplineCamError(f"all slices must have one input shape, got {sorted(shapes)}")
    check_budgets(max_regions, memory_budget)
    device = resolve_device(device)
    cutter = backends.pick(backend, device)
    network = from_torch(model, slices[0].input_shape, device)
    levels = check_levels(levels, network.n_outputs)
    with torch.inference_mode(), kernel_threads(threads):
        result = sweep(network, slices, device, max_regions, memory_budget, cutter)
        return partitions(result, slices, network, levels, boundary)
