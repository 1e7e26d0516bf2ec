"""``partition()``: the public entry point of the exact engine."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from ..errors import SplineCamError, VerificationError
from ..frame import Frame
from ..network.convert import from_torch
from ..numbers import is_whole
from ..partition import Partition
from ..slice import Slice, as_float64_array
from . import backends
from .assemble import partitions
from .layers import sweep
from .polygons import Polygons
from .threads import kernel_threads

DEFAULT_MAX_REGIONS = 2_000_000
DEFAULT_MEMORY_BUDGET = 2 * 2**30
VERIFY_TOLERANCE = 1e-9
"""Largest difference between the model and a region's map, relative to the magnitude of the outputs and of
the terms ``|a u| + |b v| + |c|`` that make them up (so tiny outputs are checked as strictly as large ones)."""


@dataclass
class LayerProgress:
    """Passed to the ``progress`` callback after each activation layer.

    Attributes
    ----------
    layer : int
        Index of the activation layer just finished (0-based).
    n_layers : int
        Number of activation layers.
    n_regions : int
        Regions so far.
    """

    layer: int
    n_layers: int
    n_regions: int
    _plane: Slice
    _regions: Polygons  # or FlatPolygons, in the local coordinates of ``_frame``
    _pattern_ids: torch.Tensor
    _frame: Frame

    @cached_property
    def partial(self) -> Partition:
        """The regions so far as a partial :class:`Partition` (geometry and pattern ids, no outputs)."""
        vertices, offsets, tags = self._regions.flat()
        return Partition(
            slice=self._plane,
            frame=self._frame,
            local_vertices=vertices,
            offsets=offsets,
            edge_layer=tags,
            pattern_ids=self._pattern_ids.cpu().numpy(),
        )


def resolve_device(device) -> torch.device:
    """``None`` picks CUDA when available; anything else must name an available device."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise SplineCamError(f"device must be None, 'cpu', 'cuda' or 'cuda:N', got {device!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SplineCamError("device='cuda' was requested but torch sees no CUDA GPU; use device='cpu'")
    if device.type not in ("cpu", "cuda"):
        raise SplineCamError(f"device must be a CPU or CUDA device, got {device}")
    return device


def check_levels(levels, n_outputs: int) -> tuple[float, ...]:
    """Level values for one-output networks (default: the level set at 0)."""
    if levels is None:
        return (0.0,) if n_outputs == 1 else ()
    if n_outputs != 1:
        raise SplineCamError(f"levels apply to one-output networks; this model has {n_outputs} outputs")
    values = as_float64_array(levels, "levels").reshape(-1)
    if values.size == 0:
        raise SplineCamError("levels must hold at least one value")
    return tuple(float(v) for v in values)


def check_budgets(max_regions, memory_budget) -> None:
    """Refuse a region or memory budget that is not a positive integer."""
    if not (is_whole(max_regions) and max_regions >= 1):
        raise SplineCamError(f"max_regions must be a positive integer, got {max_regions!r}")
    if not (is_whole(memory_budget) and memory_budget >= 1):
        raise SplineCamError(f"memory_budget must be a positive number of bytes (an integer), got {memory_budget!r}")


def partition(
    model: torch.nn.Module,
    slice: Slice,
    device=None,
    max_regions: int = DEFAULT_MAX_REGIONS,
    levels=None,
    verify: bool = False,
    progress: Callable[[LayerProgress], None] | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    threads: int | None = None,
    boundary: bool = True,
    backend: str = "auto",
) -> Partition:
    """Compute every linear region of ``model`` inside the domain of ``slice``, exactly.

    Parameters
    ----------
    model : torch.nn.Module
        A piecewise-linear network in eval mode (see ``splinecam_widget.network.SUPPORTED_MODULES``).
        It is never modified.
    slice : Slice
        The plane and domain (see :meth:`Slice.from_anchors`).
    device : None, str or torch.device
        Where to compute; ``None`` uses CUDA when available, else the CPU.
    max_regions : int
        Stop with :class:`~splinecam_widget.errors.RegionBudgetExceeded` past this many regions.
    levels : sequence of float, optional
        For one-output networks: the level values whose exact level sets form
        ``boundary`` (default ``[0]``).  Not allowed for several outputs, whose
        boundary is the argmax boundary between classes.
    verify : bool
        Evaluate the original model at an interior point of every region and raise
        :class:`~splinecam_widget.errors.VerificationError` if its output differs
        from the region's affine map by more than 1e-9 (relative to the output scale).
    progress : callable, optional
        Called with a :class:`LayerProgress` after each activation layer.
    memory_budget : int
        Bytes of per-region affine maps held at once (default 2 GiB), shared evenly by the
        cutting layers.  Layers whose maps do not fit are processed depth-first in groups;
        a :class:`~splinecam_widget.errors.SplineCamError` says so when even one region's
        maps exceed the share.
    threads : int, optional
        CPU threads this call uses, for its compiled kernels and torch's operations alike.
        ``1`` is fastest for small partitions while other processes (a browser) compete
        for the cores; the default is torch's setting less the cores other programs keep
        busy when the call starts.  Only the calling thread's count changes, for the call
        (see ``engine/threads.py``): ``torch.set_num_threads``, one setting for the whole
        process, is never called.
    boundary : bool
        Compute the decision boundary (default); ``False`` leaves ``boundary`` empty, for
        callers that need only the regions.
    backend : {"auto", "compiled", "torch"}
        What cuts the regions: ``"compiled"`` kernels on the CPU (numba, all cores),
        ``"torch"`` operations on any device.  Both give the same partition.  ``"auto"``
        (default) uses the compiled kernels on the CPU once they are ready: the first call
        of a process starts compiling them in the background (tens of seconds the first
        time on a machine, then loaded from the disk cache in about a second) and runs
        torch meanwhile; ``splinecam_widget.engine.backends.warm_up()`` waits for them.

    Returns
    -------
    Partition
    """
    if not isinstance(slice, Slice):
        raise SplineCamError(f"slice must be a Slice (see Slice.from_anchors), got {type(slice).__name__}")
    check_budgets(max_regions, memory_budget)
    if progress is not None and not callable(progress):
        raise SplineCamError(
            f"progress must be a function taking a LayerProgress (or None), got {type(progress).__name__}"
        )
    device = resolve_device(device)
    cutter = backends.pick(backend, device)
    network = from_torch(model, slice.input_shape, device)
    levels = check_levels(levels, network.n_outputs)
    n_layers = len(network.activations)

    def report(layer: int, regions: Polygons, pattern_ids: torch.Tensor) -> None:
        if progress is not None:  # the sweep's own frame (a function of the domain)
            progress(
                LayerProgress(layer, n_layers, len(regions), slice, regions, pattern_ids, Frame.around(slice.domain))
            )

    with torch.inference_mode(), kernel_threads(threads):
        result = sweep(network, [slice], device, max_regions, memory_budget, cutter, report)
        (out,) = partitions(result, [slice], network, levels, boundary)
    if verify:
        verify_partition(model, out, device)
    return out


def verify_partition(model: torch.nn.Module, result: Partition, device, chunk: int = 4096) -> None:
    """Compare the original model with each region's affine map at the region's centroid.

    The tolerance is :data:`VERIFY_TOLERANCE` relative to the largest output and term
    magnitude over the slice (see there), with no absolute floor.  Any non-finite output
    of the model or of a map fails.
    """
    reference = float64_reference(model, device)
    worst, worst_region, scale = 0.0, -1, 0.0
    with torch.no_grad():
        for start in range(0, result.n_regions, chunk):
            regions = np.arange(start, min(start + chunk, result.n_regions))
            points = result.centroids[regions]
            inputs = torch.from_numpy(result.slice.to_input(points)).to(device)
            expected = reference(inputs).reshape(len(regions), -1).cpu().numpy()
            found = result.outputs_at(points, regions)
            for name, values in (("the model's output", expected), ("the region's affine map", found)):
                bad = ~np.isfinite(values).all(axis=1)
                if bad.any():
                    raise VerificationError(
                        f"region {int(regions[bad.argmax()])}: {name} is not finite (NaN or infinite) at its "
                        "centroid; the model overflows or divides by zero there"
                    )
            error = np.abs(expected - found).max(axis=1)
            maps, local = result.affine[regions], result.local_affine[regions]
            uv, uv_local = points, result.frame.to_local(points)
            terms = max(
                float((np.abs(m[..., 0] * p[:, :1]) + np.abs(m[..., 1] * p[:, 1:]) + np.abs(m[..., 2])).max())
                for m, p in ((maps, uv), (local, uv_local))
            )
            scale = max(scale, float(np.abs(expected).max()), terms)
            if error.max() > worst:
                worst, worst_region = float(error.max()), int(regions[error.argmax()])
    if worst > VERIFY_TOLERANCE * scale:
        raise VerificationError(
            f"region {worst_region}: the model's output differs from the region's affine map by {worst:.3g} "
            f"(output scale {scale:.3g}); the model may use an operation the engine reads differently"
        )


def float64_reference(model: torch.nn.Module, device) -> torch.nn.Module:
    """The model in float64 on ``device`` for :func:`verify_partition`: itself when it already is, else a copy.

    The user's model is never cast or moved; a model that cannot be copied is refused clearly.
    """
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.device == device and (t.dtype == torch.float64 or not t.is_floating_point()) for t in tensors):
        return model
    try:
        return copy.deepcopy(model).to(device=device, dtype=torch.float64)
    except Exception as exc:  # noqa: BLE001 - deepcopy raises many kinds for uncopyable attributes
        raise SplineCamError(
            f"verify=True evaluates the model in float64 on {device}, which needs a copy of it, and "
            f"copy.deepcopy(model) failed ({type(exc).__name__}: {exc}); convert the model with "
            "model.double() yourself, or leave verify off"
        ) from None
