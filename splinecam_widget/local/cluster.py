"""Measures on a Dask cluster: the tasks of a run on a ``dask.distributed`` client, and ``local_cluster()``.

Dask is an optional extra (``pip install "splinecam-widget[dask]"``), imported only here
and only when a client is used.  Each model (or checkpoint) and the points are sent to
every worker once (``scatter(..., broadcast=True)``); each task names them and a block of
points, so a task's message stays small and a task that a lost worker was running is
simply run again elsewhere, with the same result.
"""

from __future__ import annotations

import contextlib
import os
import uuid

from ..engine.threads import kernel_threads
from ..errors import SplineCamError

INSTALL_HINT = 'pip install "splinecam-widget[dask]"'


def _client_class():
    try:
        from distributed import Client
    except ImportError:
        raise SplineCamError(f"running on a cluster needs Dask: {INSTALL_HINT}") from None
    return Client


def available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def local_cluster(n_workers: int | None = None, **options):
    """A Dask client of a new cluster on this machine: one single-threaded worker process per core.

    Workers start without Dask's ``MALLOC_TRIM_THRESHOLD_`` setting, which slows the
    engine's many medium-sized tensors down (see the user guide's page on local density).

    Pass it as ``client=`` to :func:`~splinecam_widget.local_density` or
    :func:`~splinecam_widget.local_complexity`; ``client.close()`` (or a ``with`` block)
    stops the cluster.  In a script, create it under ``if __name__ == "__main__":``
    (worker processes import the main module).

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default: the cores this process may use).
    **options
        Passed to :class:`distributed.LocalCluster` (e.g. ``dashboard_address=":8787"``
        for the dashboard, ``memory_limit="4GiB"``).

    Returns
    -------
    distributed.Client
    """
    client_class = _client_class()
    if n_workers is None:
        n_workers = available_cores()
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise SplineCamError(f"n_workers must be a positive integer or None, got {n_workers!r}")
    settings = {"threads_per_worker": 1, "processes": True, "dashboard_address": None, **options}
    with _without_malloc_trim():
        return client_class(n_workers=n_workers, **settings)


@contextlib.contextmanager
def _without_malloc_trim():
    """Spawn workers without Dask's ``MALLOC_TRIM_THRESHOLD_``.

    Setting it turns off glibc's adaptive mmap threshold, so each of the engine's many
    medium-sized tensors costs fresh pages: tasks ran 1.7 times slower.  A value equal to
    Dask's default in this process's environment was left by an earlier nanny, and goes too.
    """
    import dask

    key = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
    default = dask.config.get(key, None)
    if default is not None and os.environ.get("MALLOC_TRIM_THRESHOLD_") == str(default):
        del os.environ["MALLOC_TRIM_THRESHOLD_"]
    with dask.config.set({key: None}):
        yield


def check_client(client) -> None:
    """Refuse anything but a running synchronous ``distributed.Client``."""
    client_class = _client_class()
    if not isinstance(client, client_class):
        raise SplineCamError(
            f"client must be a dask.distributed.Client (or None to compute here), got {type(client).__name__}"
        )
    if client.asynchronous:
        raise SplineCamError("client is asynchronous; pass a synchronous dask.distributed.Client")
    if client.status not in ("running", "connecting", "newly-created"):
        raise SplineCamError(f"the Dask client is {client.status}; connect a new one")


def total_threads(client) -> int:
    """Worker threads of the cluster now (at least 1: workers may still be arriving)."""
    return max(1, sum(client.nthreads().values()))


def run_task(measure, model, points, start: int, stop: int, params: dict, threads: int | None):
    """One task on a worker: the measure on points ``start:stop`` on ``threads`` CPU threads (default 1).

    The count is the task's thread's own (``engine/threads.py``): ``torch.set_num_threads``,
    one setting for the whole process, is never called, since a worker may run inside the
    user's process (``LocalCluster(processes=False)``).
    """
    with kernel_threads(threads or 1):
        return measure(model, points[start:stop], start, **params)


def run_on_client(client, measure, params: dict, networks, points, tasks, bar, threads) -> list:
    """Run ``tasks`` on the client's workers; the blocks in the order of ``tasks``.

    The first task that raises stops the run and its error is raised here, as in process.
    """
    from distributed import as_completed

    models = [client.scatter([networks.model(i)], broadcast=True, hash=False)[0] for i in range(len(networks))]
    data = client.scatter([points], broadcast=True, hash=False)[0]
    run = f"splinecam-{measure.__name__}-{uuid.uuid4().hex[:8]}"
    futures = [
        client.submit(
            run_task,
            measure,
            models[task.checkpoint],
            data,
            task.start,
            task.stop,
            params,
            threads,
            key=f"{run}-{n}",
        )
        for n, task in enumerate(tasks)
    ]
    try:
        for future in as_completed(futures):
            if future.status != "finished":
                future.result()  # raises the task's own error (or its cancellation)
            bar.advance()
        return client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        client.cancel([*models, data])
