"""Measures over many points and checkpoints, cut into tasks of (checkpoint, block of points).

A *measure* is a module-level function ``measure(model, points, first, **params)`` that
returns one value (or one row of values) per point of a block of flattened points;
``first`` is the index of the block's first point.  Every random choice a measure makes
for point ``i`` derives from ``(seed, i, ...)`` (:func:`point_rng`), never from the block
it sits in or the order tasks run in, so a run gives the same numbers for any block size,
here or on a Dask cluster (:mod:`splinecam_widget.local.cluster`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..checkpoints import Checkpoints
from ..errors import SplineCamError
from ..numbers import is_real, is_whole
from ..slice import as_float64_array
from .cluster import check_client, run_on_client, total_threads

ENGINE_OPTIONS = ("device", "max_regions", "memory_budget", "threads")
"""Engine options a measure passes on (the rest of ``partition()``'s options make no sense here)."""
MAX_BATCH = 64
"""Largest default block of points per task."""


@dataclass(frozen=True)
class Task:
    """One unit of work: the points ``start:stop`` on checkpoint ``checkpoint``."""

    checkpoint: int
    start: int
    stop: int


class Networks:
    """The model alone, or each of its checkpoints: ``len``, ``model(i)`` and ``labels``.

    Parameters
    ----------
    model : torch.nn.Module or None
        The network; with ``checkpoints``, the architecture state dicts are loaded into
        (``None`` when every checkpoint is a module).
    checkpoints : sequence, optional
        Modules, state dicts or files, as for :class:`~splinecam_widget.SplineCamWidget`.
    labels : sequence of str, optional
        One per checkpoint (default ``"checkpoint 0"``, ...).
    """

    def __init__(self, model, checkpoints=None, labels=None):
        if checkpoints is None:
            if not isinstance(model, torch.nn.Module):
                raise SplineCamError(f"model must be a torch.nn.Module, got {type(model).__name__}")
            if labels is not None:
                raise SplineCamError("checkpoint_labels label checkpoints: pass checkpoints too")
            self._model, self._checkpoints, self.labels = model, None, ["model"]
        else:
            if model is not None and not isinstance(model, torch.nn.Module):
                raise SplineCamError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
            if isinstance(checkpoints, Checkpoints):  # the widget's, with its labels unless others are given
                self._checkpoints = checkpoints
                labels = checkpoints.labels if labels is None else [str(label) for label in labels]
                if len(labels) != len(checkpoints):
                    n = len(checkpoints)
                    raise SplineCamError(f"checkpoint_labels has {len(labels)} labels for {n} checkpoints")
            else:
                self._checkpoints = Checkpoints(checkpoints, model, labels)
                labels = self._checkpoints.labels
            self._model, self.labels = None, list(labels)

    def __len__(self) -> int:
        return 1 if self._checkpoints is None else len(self._checkpoints)

    def model(self, i: int) -> torch.nn.Module:
        """The network of checkpoint ``i`` (the model itself without checkpoints)."""
        return self._model if self._checkpoints is None else self._checkpoints.model(i)


def table_columns(n_points: int, labels, split, as_frame: bool) -> None:
    """Check ``labels`` and ``split`` (columns of the table) before any work."""
    if labels is None and split is None:
        return
    if not as_frame:
        raise SplineCamError("labels and split are columns of the table: pass as_frame=True, or leave them out")
    from .tables import point_labels, split_names

    if labels is not None:
        point_labels(labels, n_points)
    if split is not None:
        split_names(split, n_points)


def as_points(points, name: str = "points") -> tuple[np.ndarray, tuple[int, ...]]:
    """``(M, *input_shape)`` inputs as flat float64 rows ``(M, D)`` and the input shape."""
    data = as_float64_array(points, name)
    if data.ndim < 2 or len(data) == 0:
        raise SplineCamError(f"{name} must have shape (M, *input_shape) with M >= 1, got {data.shape}")
    return data.reshape(len(data), -1), tuple(data.shape[1:])


def positive_number(value, name: str) -> float:
    """``value`` as a positive finite float, or a :class:`SplineCamError` naming ``name``."""
    if not (is_real(value) and np.isfinite(value) and value > 0):
        raise SplineCamError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def positive_int(value, name: str) -> int:
    """``value`` as a positive int, or a :class:`SplineCamError` naming ``name``."""
    if not (is_whole(value) and value >= 1):
        raise SplineCamError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def engine_options(options: dict) -> tuple[dict, int | None]:
    """The engine options a measure accepts, checked, and the torch threads they ask for."""
    unknown = sorted(set(options) - set(ENGINE_OPTIONS))
    if unknown:
        raise SplineCamError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"the engine options accepted here are {', '.join(ENGINE_OPTIONS)}"
        )
    threads = options.get("threads")
    if threads is not None:
        threads = positive_int(threads, "threads")
    return dict(options), threads


def seed_entropy(seed) -> int:
    """One integer that, with a point's index, determines every random choice of a run.

    ``None`` draws fresh entropy (once per run, so all tasks of the run agree); an
    ``int >= 0`` is used as is; a ``numpy.random.Generator`` gives one draw.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if not (is_whole(seed) and seed >= 0):
        raise SplineCamError(f"seed must be None, a non-negative integer or a numpy Generator, got {seed!r}")
    return int(seed)


def point_rng(entropy: int, *key: int) -> np.random.Generator:
    """The random generator of one point (and slice): a function of the run's entropy and ``key`` only."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=tuple(int(k) for k in key)))


def random_frame(rng: np.random.Generator, dimension: int, n: int) -> np.ndarray:
    """``n`` random orthonormal directions in ``R^dimension``, as the columns of a ``(dimension, n)`` array."""
    q, r = np.linalg.qr(rng.standard_normal((dimension, n)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)  # Haar-distributed: fix the signs QR leaves arbitrary


def default_batch_size(n_points: int, n_checkpoints: int, parallelism: int) -> int:
    """Points per task: at most :data:`MAX_BATCH`, and small enough for four tasks per worker thread."""
    per_task = math.ceil(n_points * n_checkpoints / (4 * max(1, parallelism)))
    return max(1, min(MAX_BATCH, per_task, n_points))


def plan(n_checkpoints: int, n_points: int, batch_size: int) -> list[Task]:
    """Every task, checkpoint by checkpoint, blocks of ``batch_size`` points in order."""
    return [
        Task(c, start, min(start + batch_size, n_points))
        for c in range(n_checkpoints)
        for start in range(0, n_points, batch_size)
    ]


class ProgressBar:
    """Tasks done, as a one-line text bar on stderr (terminal and notebook), or a callback.

    Parameters
    ----------
    total : int
        Number of tasks.
    label : str
        Shown before the bar.
    progress : bool or callable
        ``True``: draw the bar; ``False``: nothing; a callable: called as
        ``progress(done, total)`` after each task.
    """

    WIDTH = 30

    def __init__(self, total: int, label: str, progress: bool | Callable[[int, int], None]):
        if not (isinstance(progress, bool) or callable(progress)):
            raise SplineCamError(f"progress must be True, False or a callable(done, total), got {progress!r}")
        self.total, self.label, self.done = total, label, 0
        self._callback = progress if callable(progress) else None
        self._draw = progress is True
        self._start = self._last = time.perf_counter()
        self._shown = -1
        if self._draw:
            self._show()

    def advance(self) -> None:
        """One more task done."""
        self.done += 1
        if self._callback is not None:
            self._callback(self.done, self.total)
        now = time.perf_counter()
        if self._draw and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            self._show()

    def close(self) -> None:
        """End the bar's line."""
        if self._draw:
            if self._shown != self.done:
                self._show()
            print(file=sys.stderr, flush=True)
            self._draw = False

    def _show(self) -> None:
        filled = self.WIDTH * self.done // max(1, self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self._shown = self.done
        elapsed = time.perf_counter() - self._start
        print(f"\r{self.label} [{bar}] {self.done}/{self.total} tasks, {elapsed:.1f} s", end="", file=sys.stderr)
        sys.stderr.flush()


def run_measure(
    measure: Callable,
    params: dict,
    networks: Networks,
    points: np.ndarray,
    *,
    batch_size,
    client,
    progress,
    threads: int | None,
    label: str,
) -> np.ndarray:
    """Run ``measure`` on every checkpoint and block of points: ``(len(networks), M, ...)``.

    In this process when ``client`` is None, else on the Dask client's workers; the
    result is the same either way, and for any ``batch_size``.  On a worker, torch runs
    ``threads`` CPU threads per task (one by default, since the worker's tasks already run
    side by side); in this process torch keeps its own setting, which is the user's and
    is never changed (the engine's kernels take ``threads`` from the measure's options).
    """
    if client is not None:
        check_client(client)
    n_points = len(points)
    if batch_size is None:
        batch_size = default_batch_size(n_points, len(networks), 1 if client is None else total_threads(client))
    tasks = plan(len(networks), n_points, positive_int(batch_size, "batch_size"))
    bar = ProgressBar(len(tasks), label, progress)
    try:
        if client is None:  # torch's thread count, one setting for the whole process, is left alone here
            blocks = []
            for task in tasks:
                model = networks.model(task.checkpoint)
                blocks.append(measure(model, points[task.start : task.stop], task.start, **params))
                bar.advance()
        else:
            blocks = run_on_client(client, measure, params, networks, points, tasks, bar, threads)
    finally:
        bar.close()
    per_checkpoint = [[] for _ in range(len(networks))]
    for task, block in zip(tasks, blocks):
        per_checkpoint[task.checkpoint].append(block)
    return np.stack([np.concatenate(blocks) for blocks in per_checkpoint])
