"""Which backend cuts the regions: the compiled kernels on the CPU, torch elsewhere.

Both give the same partition (the same pieces, vertices, patterns and maps; tested in
``tests/test_backends.py``).  The compiled kernels (:mod:`.compiled`, numba) cut each
region by its lines one after another, on all cores, without torch's per-operation cost,
which dominates small partitions; the torch backend (:mod:`.cuts`) cuts all pieces
together in rounds and runs on CUDA.

The kernels are compiled once per machine (tens of seconds on a small one) and loaded
from numba's disk cache by later processes (under a second).  So that no call waits for
that, ``backend="auto"`` starts it in a background thread on first use and runs torch
until the kernels are ready: a notebook's first picture comes at once, and is the same.
"""

from __future__ import annotations

import threading
import warnings

import torch

from ..errors import SplineCamError

_ready = threading.Event()  # set once the kernels are compiled or loaded
_warming: threading.Thread | None = None  # the thread making them ready, once started
_lock = threading.Lock()
_failure: list[BaseException] = []  # why the kernels could not be made ready, if they could not


def _warm() -> None:
    try:
        from .compiled.warm import warm  # imports numba: in the background thread too

        warm()
    except Exception as exc:  # noqa: BLE001 - reported once; "auto" keeps using torch
        _failure.append(exc)
        warnings.warn(
            f"splinecam-widget's compiled kernels are unavailable ({type(exc).__name__}: {exc}); "
            "partitions run on the torch backend, which gives the same results more slowly",
            RuntimeWarning,
            stacklevel=1,
        )
        return
    _ready.set()


def warm_up(wait: bool = True) -> bool:
    """Compile (or load from the disk cache) the compiled backend's kernels.

    Parameters
    ----------
    wait : bool
        Block until they are ready (default); ``False`` starts the work in a background
        thread, once, and returns at once.

    Returns
    -------
    bool
        Whether the kernels are ready.
    """
    global _warming
    if _ready.is_set():
        return True
    with _lock:
        if _warming is None:
            _warming = threading.Thread(target=_warm, name="splinecam-compile", daemon=True)
            _warming.start()
    if wait:
        _warming.join()
        if _failure:
            raise SplineCamError(f"the compiled kernels are unavailable: {_failure[0]}") from _failure[0]
    return _ready.is_set()


BACKENDS = ("auto", "compiled", "torch")
"""Accepted values of ``partition(..., backend=)``."""


def pick(name, device: torch.device):
    """The backend module for ``name`` (one of :data:`BACKENDS`) on ``device``.

    ``"auto"`` is the compiled backend on the CPU once its kernels are ready (see
    :func:`warm_up`, started here without waiting) and torch otherwise; ``"compiled"`` on
    a CUDA device is refused (the kernels read host memory).
    """
    if name not in BACKENDS:
        raise SplineCamError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    if name == "auto":
        name = "compiled" if device.type == "cpu" and warm_up(wait=False) else "torch"
    if name == "torch":
        from . import cuts

        return cuts
    if device.type != "cpu":
        raise SplineCamError(f"backend='compiled' runs on the CPU; use backend='torch' on {device}")
    from .compiled import cutter  # numba is imported (and the kernels loaded) on first use only

    return cutter
