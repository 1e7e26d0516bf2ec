"""The widget's side of its worker: the jobs it files, and what it shows of their results.

Every job is filed, and every result, restyle and error shown, under the worker's
publication lock (:meth:`~._worker.PartitionWorker.publication`), from the traits'
values at that moment: whichever thread changed them, the newest job is the job of
the current values, and only its result is shown (see ``docs/design.md``, "Threading").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import traitlets

from ..colors import region_colors
from ..errors import SplineCamError
from ..slice import Slice
from ._wire import encode_geometry, encode_style, partition_shift
from ._worker import Job

SINGLE_THREAD_BELOW = 20_000
"""Regions in the last partition under which the next one runs on one thread: with the browser
busy on another core, torch's spinning worker threads would make small partitions several times slower."""


@dataclass(frozen=True)
class Shown:
    """The one record of what the front end shows.

    The partition (partial or final), the id of its computation, and the float64 point
    its float32 wire coordinates are relative to: the geometry and every colouring of it
    are encoded with this one ``shift``.
    """

    partition: object
    seq: int
    shift: np.ndarray
    n_layers: int | None


class WorkerOwner(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: files jobs and shows their results.

    Implements the worker's :class:`~._worker.Owner` callbacks.  Reads the widget's
    traits, ``_worker``, ``_plane``, ``_frame``, ``_ready``, ``_closed``,
    ``_replanning`` and ``_partition_listeners``; owns ``_seq``, ``_shown`` and ``_final``.
    """

    @traitlets.observe("model", "levels", "device", "max_regions", "view")
    def _recompute(self, change):
        with self._worker.publication():  # reads the current traits, after any other thread's change
            if self._ready and self._plane is not None and not self._replanning:
                self._request()

    @traitlets.observe("color_by", "color_range")
    def _restyle(self, change):
        with self._worker.publication():
            shown = self._shown
            if shown is not None and not self._closed:
                self.coloring = self._coloring(shown)

    def _computed_slice(self) -> Slice:
        """The plane, with the visible window as domain when the user has zoomed or panned."""
        plane = self._plane
        if self.view is None:
            return plane
        u0, v0, u1, v1 = self.view
        return plane.with_domain([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])

    def _request(self) -> None:
        """File a job for the current state; a failure to build it is shown, never raised into a setter."""
        with self._worker.publication():  # the newest job is the job of the traits' current values
            if self._closed:
                return
            last = self._final
            threads = 1 if last is not None and last.n_regions < SINGLE_THREAD_BELOW else None
            try:
                plane = self._computed_slice()
            except Exception as exc:  # noqa: BLE001 - the user sees it in the widget and in `error`
                self._worker.cancel()  # what runs now computes a state that is not the current one
                message = str(exc) if isinstance(exc, SplineCamError) else f"{type(exc).__name__}: {exc}"
                self.publish_error(None, message, "error")
                return
            job = Job(self._frame, self.model, plane, self.levels, self.device, self.max_regions, threads)
            self._worker.request(job)

    def _coloring(self, shown: Shown) -> dict:
        """The ``coloring`` trait of what is shown, in the current mode and colour range."""
        coloring = region_colors(shown.partition, self.color_by, shown.n_layers, value_range=self.color_range)
        return encode_style(coloring, seq=shown.seq, mode=self.color_by, shift=shown.shift)

    def publish(self, job: Job, partition, status: dict, layer: int = -1, n_layers: int = 0) -> None:
        """Worker callback (under its publication lock): show a partition and a status."""
        with self.hold_sync():
            if partition is not None:
                self._seq += 1
                shown = Shown(partition, self._seq, partition_shift(partition), n_layers or None)
                self.geometry = encode_geometry(
                    partition, seq=shown.seq, frame=job.frame, shift=shown.shift, layer=layer, n_layers=n_layers
                )
                self.coloring = self._coloring(shown)
                self._shown = shown
                if not partition.is_partial:
                    self._final = partition
            self.status = status
            self.error = None

    def publish_error(self, job: Job | None, message: str, state: str) -> None:
        """Worker callback (and drag errors): show ``message`` in the widget and in ``error``."""
        with self._worker.publication(), self.hold_sync():
            self.status = {
                "state": state,
                "message": message,
                "layer": -1,
                "n_layers": 0,
                "n_regions": 0 if self._final is None else self._final.n_regions,
            }
            self.error = message

    def published(self, partition) -> None:
        """Worker callback after a final partition was published: tell the listeners."""
        for listener in list(self._partition_listeners):
            listener(self, partition)
