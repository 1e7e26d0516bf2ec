"""The widget's background computation: newest request wins, stale results are never drawn.

Every change that alters the partition (anchors, model, viewport, levels, ...)
files a *request* with a new generation number.  One worker thread computes the
newest request only; a request superseded while it runs is cancelled at the next
layer, and a result whose generation is no longer the newest is dropped, never
drawn.  Results are published under a lock, so the traits always describe one
computation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch
import traitlets

from .colors import region_colors
from .encoding import encode_geometry, encode_style
from .engine import partition as compute_partition
from .errors import RegionBudgetExceeded, SplineCamError
from .slice import Slice

SINGLE_THREAD_BELOW = 20_000  # regions in the last partition under which the next one runs single-threaded


class _Superseded(Exception):
    """Raised from the progress callback to abandon a computation nobody will draw."""


@dataclass(frozen=True)
class _Request:
    gen: int
    frame: int
    model: torch.nn.Module
    plane: Slice
    levels: object
    device: object
    max_regions: int


class PartitionWorker(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: the worker thread and publication of results."""

    stream_after = 0.2
    """Seconds after which a running computation streams its partial partitions."""

    def _init_worker(self) -> None:
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._gen = 0
        self._frame = 0
        self._seq = 0
        self._pending: _Request | None = None
        self._busy = False
        self._partition = None
        self._published_seq = -1
        self._worker: threading.Thread | None = None
        self._listeners: list = []

    def _request(self) -> None:
        with self._lock:
            self._gen += 1
            self._pending = _Request(self._gen, self._frame, self.model, self._computed_slice(), self.levels,
                                     self.device, self.max_regions)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="splinecam-widget", daemon=True)
                self._worker.start()
            self._wake.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None:
                    self._wake.wait()
                request, self._pending = self._pending, None
                self._busy = True
            try:
                self._run(request)
            except Exception as exc:  # noqa: BLE001 - the worker must survive, and the user must see it
                self._show_error(f"{type(exc).__name__}: {exc}", "error", request.gen)
            finally:
                with self._lock:
                    self._busy = False
                    self._wake.notify_all()

    def _run(self, request: _Request) -> None:
        start = time.perf_counter()

        def progress(event) -> None:
            if request.gen != self._gen:
                raise _Superseded
            if time.perf_counter() - start < self.stream_after:
                return
            status = {"state": "computing", "message": "", "layer": event.layer, "n_layers": event.n_layers,
                      "n_regions": event.n_regions}
            last = event.layer + 1 == event.n_layers
            self._publish(request, event.partial if not last else None, status, layer=event.layer, n_layers=event.n_layers)

        try:
            # Interactive-sized partitions run on one thread: with the browser busy on another core,
            # torch's spinning worker threads would make them several times slower.
            last = self._partition
            threads = 1 if last is not None and last.n_regions < SINGLE_THREAD_BELOW else None
            p = compute_partition(request.model, request.plane, device=request.device, max_regions=request.max_regions,
                                  levels=request.levels, progress=progress, threads=threads)
        except _Superseded:
            return
        except RegionBudgetExceeded as exc:
            self._show_error(str(exc), "budget", request.gen)
            return
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user, in the widget
            message = str(exc) if isinstance(exc, SplineCamError) else f"{type(exc).__name__}: {exc}"
            self._show_error(message, "error", request.gen)
            return
        status = {"state": "idle", "message": "", "layer": -1, "n_layers": 0, "n_regions": p.n_regions}
        if self._publish(request, p, status):
            for listener in list(self._listeners):  # outside the lock: listeners may touch other widgets
                listener(self, p)

    def _encode_coloring(self, p, seq: int, shift, n_layers: int | None = None) -> dict:
        """The ``coloring`` trait of partition ``p`` (computation ``seq``, geometry ``shift``) as set now."""
        coloring = region_colors(p, self.color_by, n_layers, value_range=self.color_range)
        return encode_style(coloring, seq=seq, mode=self.color_by, shift=shift)

    def _publish(self, request: _Request, p, status: dict, layer: int = -1, n_layers: int = 0) -> bool:
        """Send a (partial or final) partition, or only a status, if the request is still the newest."""
        with self._lock:
            if request.gen != self._gen:
                return False
            with self.hold_sync():
                if p is not None:
                    self._seq += 1
                    geometry = encode_geometry(p, seq=self._seq, frame=request.frame, layer=layer, n_layers=n_layers)
                    style = self._encode_coloring(p, self._seq, geometry["shift"], n_layers or None)
                    self.geometry, self.coloring = geometry, style
                    if not p.is_partial:
                        self._partition, self._published_seq = p, self._seq
                self.status = status
                self.error = None
            return True

    def _show_error(self, message: str, state: str, gen: int | None = None) -> None:
        with self._lock:
            if gen is not None and gen != self._gen:
                return
            with self.hold_sync():
                self.status = {"state": state, "message": message, "layer": -1, "n_layers": 0,
                               "n_regions": 0 if self._partition is None else self._partition.n_regions}
                self.error = message

    # --- public API ------------------------------------------------------------------
    @property
    def partition(self):
        """The partition currently drawn (the last complete one), or None."""
        return self._partition

    def on_partition(self, callback) -> None:
        """Call ``callback(widget, partition)`` (on the worker thread) after each complete partition is drawn."""
        self._listeners.append(callback)

    def wait(self, timeout: float | None = None):
        """Block until every requested computation has finished; return :attr:`partition`.

        Raises
        ------
        TimeoutError
            If the computations are still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._pending is not None or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"the partition is still being computed after {timeout} s")
                self._wake.wait(left)
        return self._partition
