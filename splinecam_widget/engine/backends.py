"""Which backend cuts the regions: the compiled kernels on the CPU, torch elsewhere.

Both give the same partition (the same pieces, vertices, patterns and maps; tested in
``tests/test_backends.py``).  The compiled kernels (:mod:`.compiled`, numba) cut each
region by its lines one after another, on all cores, without torch's per-operation cost,
which dominates small partitions; the torch backend (:mod:`.cuts`) cuts all pieces
together in rounds and runs on CUDA.
"""

from __future__ import annotations

import torch

from ..errors import SplineCamError

BACKENDS = ("auto", "compiled", "torch")
"""Accepted values of ``partition(..., backend=)``."""


def pick(name, device: torch.device):
    """The backend module for ``name`` (one of :data:`BACKENDS`) on ``device``.

    ``"auto"`` is the compiled backend on the CPU and torch on CUDA; ``"compiled"`` on a
    CUDA device is refused (the kernels read host memory).
    """
    if name not in BACKENDS:
        raise SplineCamError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    if name == "auto":
        name = "compiled" if device.type == "cpu" else "torch"
    if name == "torch":
        from . import cuts

        return cuts
    if device.type != "cpu":
        raise SplineCamError(f"backend='compiled' runs on the CPU; use backend='torch' on {device}")
    from .compiled import cutter  # numba is imported (and the kernels loaded) on first use only

    return cutter
