"""The widget's background computation: the newest request wins, stale results are never published.

Every change that alters the partition (anchors, model, viewport, levels, ...) files a
:class:`Job`.  One thread computes the newest job only: a job superseded while it runs
is abandoned at its next layer, and a result whose job is no longer the newest is
dropped, never published.  The worker knows nothing about widgets; it reports to its
owner through the :class:`Owner` interface, inside :meth:`PartitionWorker.publication`,
so a result is published only while its job is still the newest, and nothing else
publishes at the same time.

The thread holds its owner through a weak reference: a widget that is closed, or simply
forgotten, stops its thread and can be garbage-collected (see ``docs/design.md``,
"Threading").
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Protocol

import torch

from ..engine.compute import partition as compute_partition
from ..errors import RegionBudgetExceeded, SplineCamError
from ..slice import Slice


@dataclass(frozen=True)
class Job:
    """Everything one computation reads, frozen when it is requested.

    ``frame`` is the plane frame the result belongs to (the front end refits its camera
    when it changes); ``threads`` the CPU threads torch may use (None: torch's setting).
    """

    frame: int
    model: torch.nn.Module
    plane: Slice
    levels: object
    device: object
    max_regions: int
    threads: int | None = None
    generation: int = 0


class Owner(Protocol):
    """What the worker calls back, always inside :meth:`PartitionWorker.publication`."""

    def publish(self, job: Job, partition, status: dict, layer: int, n_layers: int) -> None:
        """Show ``status`` and ``partition`` (partial while ``layer >= 0``, else final; None: status only)."""

    def publish_error(self, job: Job | None, message: str, state: str) -> None:
        """Show an error (``state`` "error") or an exceeded region budget (``state`` "budget")."""

    def published(self, partition) -> None:
        """Called after a final partition was published, outside the lock (listeners run here)."""


class _Superseded(Exception):
    """Raised from the progress callback to abandon a computation nobody will see."""


class PartitionWorker:
    """One background thread computing the newest :class:`Job` of its owner.

    Parameters
    ----------
    owner : Owner
        Held through a weak reference; when it is garbage-collected the thread stops.
    name : str
        Name of the thread.
    """

    stream_after = 0.2
    """Seconds after which a running computation publishes its partial partitions."""

    def __init__(self, owner: Owner, name: str = "splinecam-widget"):
        self._owner = weakref.ref(owner)
        self._name = name
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._generation = 0
        self._pending: Job | None = None
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        weakref.finalize(owner, self.close, wait=False)

    # --- the interface -------------------------------------------------------------------
    def request(self, job: Job) -> None:
        """Compute ``job`` after (or instead of) whatever runs now; nothing after close."""
        with self._lock:
            if self._closed:
                return
            self._generation += 1
            self._pending = dataclasses.replace(job, generation=self._generation)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def cancel(self) -> None:
        """Drop the pending job and abandon the running one at its next layer; nothing older is published."""
        with self._lock:
            self._generation += 1
            self._pending = None
            self._wake.notify_all()

    def close(self, wait: bool = True, timeout: float = 10.0) -> None:
        """Stop for good: cancel, end the thread and (``wait``) join it."""
        with self._lock:
            self._closed = True
            self.cancel()
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def busy(self) -> bool:
        """True while a job runs or waits to run."""
        with self._lock:
            return self._busy or self._pending is not None

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @contextlib.contextmanager
    def publication(self, job: Job | None = None):
        """Hold off every other publication; yield whether ``job`` (if given) is still the newest.

        The owner changes what it shows only inside this block, so a result and a
        restyle (or an error) never interleave.
        """
        with self._lock:
            yield job is None or (job.generation == self._generation and not self._closed)

    settle = 1.0
    """Seconds :meth:`wait` gives ``until`` to hold once no job is left (a change filing its job)."""

    def wait(self, timeout: float | None = None, until=None) -> None:
        """Block until every requested job has finished and ``until()`` (checked under the lock) holds.

        ``until`` says that the owner's state has its job filed: a trait set on another
        thread files it a moment later, from its reaction.  It gets :attr:`settle`
        seconds once no job is left, so a reaction that failed cannot block forever.

        Raises
        ------
        TimeoutError
            If jobs are still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        idle_since = None
        with self._lock:
            while not self._closed:
                now = time.monotonic()
                step = None  # until a job finishes or is filed
                if self._pending is None and not self._busy:
                    idle_since = now if idle_since is None else idle_since
                    if until is None or until() or now - idle_since >= self.settle:
                        return
                    step = 0.01
                else:
                    idle_since = None
                left = None if deadline is None else deadline - now
                if left is not None and left <= 0:
                    raise TimeoutError(f"the partition is still being computed after {timeout} s")
                self._wake.wait(step if left is None else left if step is None else min(left, step))

    # --- the thread ----------------------------------------------------------------------
    def _loop(self) -> None:
        while self._run_next():
            pass

    def _run_next(self) -> bool:
        """Wait for a job and run it; False once closed.

        The job is dropped on return, so an idle thread holds no model or plane.
        """
        with self._lock:
            while self._pending is None and not self._closed:
                self._wake.wait()
            if self._closed:
                self._wake.notify_all()
                return False
            job, self._pending = self._pending, None
            self._busy = True
        try:
            self._run(job)
        except Exception as exc:  # noqa: BLE001 - the worker must survive, and the user must see it
            self._report_error(job, f"{type(exc).__name__}: {exc}", "error")
        finally:
            with self._lock:
                self._busy = False
                self._wake.notify_all()
        return True

    def _run(self, job: Job) -> None:
        start = time.perf_counter()

        def progress(event) -> None:
            if job.generation != self._generation:
                raise _Superseded
            if time.perf_counter() - start < self.stream_after:
                return
            status = {
                "state": "computing",
                "message": "",
                "layer": event.layer,
                "n_layers": event.n_layers,
                "n_regions": event.n_regions,
                "seconds": time.perf_counter() - start,
            }
            last = event.layer + 1 == event.n_layers  # the boundary is next: show the status only
            self._report(job, None if last else event.partial, status, event.layer, event.n_layers)

        try:
            p = compute_partition(
                job.model,
                job.plane,
                device=job.device,
                max_regions=job.max_regions,
                levels=job.levels,
                progress=progress,
                threads=job.threads,
            )
        except _Superseded:
            return
        except RegionBudgetExceeded as exc:
            self._report_error(job, str(exc), "budget")
            return
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user, in the widget
            message = str(exc) if isinstance(exc, SplineCamError) else f"{type(exc).__name__}: {exc}"
            self._report_error(job, message, "error")
            return
        seconds = time.perf_counter() - start
        status = {"state": "idle", "message": "", "layer": -1, "n_layers": 0, "n_regions": p.n_regions}
        status["seconds"] = seconds
        if self._report(job, p, status, -1, 0):
            owner = self._owner()
            if owner is not None:
                owner.published(p)  # outside the lock: listeners may touch other widgets

    def _report(self, job: Job, partition, status: dict, layer: int, n_layers: int) -> bool:
        owner = self._owner()
        if owner is None:
            return False
        with self.publication(job) as current:
            if current:
                owner.publish(job, partition, status, layer, n_layers)
            return current

    def _report_error(self, job: Job, message: str, state: str) -> None:
        owner = self._owner()
        if owner is None:
            return
        with self.publication(job) as current:
            if current:
                owner.publish_error(job, message, state)
