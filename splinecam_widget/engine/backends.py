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
Where the kernels cannot be made ready, ``"auto"`` says why once and stays on torch in this
process (nothing is remembered: a new process tries again), and ``"compiled"`` raises a
:class:`~..errors.SplineCamError` saying how to recover.
"""

from __future__ import annotations

import sys
import threading
import warnings

import torch

from ..errors import SplineCamError

_ready = threading.Event()  # set once the kernels are compiled or loaded
_warming: threading.Thread | None = None  # the thread making them ready, once started
_lock = threading.Lock()
_failure: list[BaseException] = []  # why the kernels could not be made ready, if they could not


def _unavailable(exc: BaseException) -> str:
    """Why the kernels could not be made ready, and what to do about it (for the messages)."""
    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ImportError):
        return (
            f"numba could not be imported ({what}); install a numba release that supports this "
            "Python and NumPy (pip install --upgrade numba)"
        )
    jit = sys.modules.get(f"{__package__}.compiled.jit")  # the cache folders, if numba got that far
    folders = ", ".join(sorted(jit.folders)) if jit is not None and jit.folders else "numba's cache folder"
    return (
        f"compiling or loading them failed ({what}); delete their numba cache ({folders}) or set "
        "NUMBA_CACHE_DIR to an empty writable folder, and report the error if it happens again"
    )


def _warm() -> None:
    try:
        from .compiled.warm import warm  # imports numba: in the background thread too

        warm()
    except Exception as exc:  # noqa: BLE001 - reported once; "auto" keeps using torch
        _failure.append(exc)
        warnings.warn(
            f"splinecam-widget's compiled kernels are unavailable: {_unavailable(exc)}. Partitions "
            "run on the torch backend, which gives the same results more slowly; a new Python "
            "process tries the kernels again",
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

    Raises
    ------
    SplineCamError
        With ``wait``, when they cannot be made ready: what went wrong and how to recover.
        Problems with numba's disk cache are not failures (see :mod:`.compiled.jit`).
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
            raise SplineCamError(
                f"the compiled kernels are unavailable: {_unavailable(_failure[0])}; then restart "
                "Python. backend='torch' gives the same partitions meanwhile"
            ) from _failure[0]
    return _ready.is_set()


BACKENDS = ("auto", "compiled", "torch")
"""Accepted values of ``partition(..., backend=)``."""


def pick(name, device: torch.device):
    """The backend module for ``name`` (one of :data:`BACKENDS`) on ``device``.

    ``"auto"`` is the compiled backend on the CPU once its kernels are ready (see
    :func:`warm_up`, started here without waiting) and torch otherwise; ``"compiled"``
    waits for them, and is refused on a CUDA device (the kernels read host memory).
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
    warm_up()  # every kernel compiled or loaded here, so that a failure is a SplineCamError, not a kernel's
    from .compiled import cutter

    return cutter
