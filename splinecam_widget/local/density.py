"""Local region density: how many linear regions a network has near each data point.

For each point and each of ``n_slices`` random planes through it, the exact partition of
a disk around the point (:func:`~splinecam_widget.partition_many`, every slice of a block
of points at once) gives a region count.  The work is cut into tasks of (checkpoint, block
of points) run here or on a Dask cluster (:mod:`splinecam_widget.local.tasks`,
:mod:`splinecam_widget.local.cluster`).  The sign-change measure of the grokking literature is
:func:`~splinecam_widget.local_complexity` (``complexity.py``).
"""

from __future__ import annotations

import numpy as np

from ..engine.many import partition_many
from ..errors import SplineCamError
from ..numbers import is_whole
from ..slice import Slice
from .tasks import (
    Networks,
    as_points,
    engine_options,
    point_rng,
    positive_int,
    positive_number,
    random_frame,
    run_measure,
    seed_entropy,
    table_columns,
)

MAX_SIDES = 4096
"""Most vertices of a disk's polygon: a 4096-gon is within 3e-7 of its circle (64 sides: 0.12%)."""


def check_sides(value, name: str = "sides") -> int:
    """``value`` as the number of vertices of a disk's polygon, an integer in ``3 .. MAX_SIDES``.

    Parameters
    ----------
    value : int
        Vertices of the polygon; numpy integers are accepted, floats and bools are not.
    name : str
        How the error names the value (``"sides"``, ``"--sides"``).

    Returns
    -------
    int

    Raises
    ------
    SplineCamError
        If ``value`` is not an integer from 3 to :data:`MAX_SIDES`.
    """
    if not (is_whole(value) and 3 <= value <= MAX_SIDES):
        raise SplineCamError(
            f"{name} must be a whole number of polygon vertices from 3 to {MAX_SIDES:,}, got {value!r}"
        )
    return int(value)


def disk(radius: float, sides: int = 64) -> np.ndarray:
    """A regular polygon with ``sides`` vertices (see :func:`check_sides`) inscribed in the circle of ``radius``."""
    angles = np.linspace(0, 2 * np.pi, check_sides(sides), endpoint=False)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def density_planes(entropy: int, index: int, dimension: int, n_slices: int) -> list[np.ndarray]:
    """The orthonormal bases ``(D, 2)`` of the random planes through point ``index``.

    Plane ``j`` depends only on ``(entropy, index, j)``: the same for any block, task order or worker.
    """
    return [random_frame(point_rng(entropy, index, j), dimension, 2) for j in range(n_slices)]


def count_regions(
    model,
    points: np.ndarray,
    first: int,
    *,
    input_shape: tuple[int, ...],
    radius: float,
    n_slices: int,
    sides: int,
    entropy: int,
    options: dict,
) -> np.ndarray:
    """Region counts ``(B, n_slices)`` in the disk around each point of a block (a task of the run)."""
    domain = disk(radius, sides)
    slices = [
        Slice(point, basis, domain, input_shape=input_shape)
        for i, point in enumerate(points)
        for basis in density_planes(entropy, first + i, points.shape[1], n_slices)
    ]
    partitions = partition_many(model, slices, boundary=False, **options)
    return np.array([p.n_regions for p in partitions], dtype=np.int64).reshape(len(points), n_slices)


def local_density(
    model,
    points,
    radius: float,
    n_slices: int = 1,
    seed=None,
    sides: int = 64,
    *,
    checkpoints=None,
    checkpoint_labels=None,
    client=None,
    batch_size: int | None = None,
    progress=False,
    as_frame: bool = False,
    labels=None,
    split=None,
    **partition_options,
):
    """Regions meeting a disk of ``radius`` around each point, averaged over random planes through it.

    The neighbourhood complexity of a network at its data points, computed exactly: slice
    ``j`` of point ``i`` is the plane through the point spanned by two random orthonormal
    directions drawn from ``(seed, i, j)``; its domain is a regular ``sides``-gon of
    circumradius ``radius`` centred on the point; the count is the number of linear
    regions of the network that meet it.  Counts are averaged over the ``n_slices`` planes.

    Every checkpoint sees the same planes, so values compare along training.  Results
    depend only on the seed: the same for any ``batch_size``, in this process or on a Dask
    cluster.

    Parameters
    ----------
    model : torch.nn.Module or None
        The network (eval mode); with state-dict ``checkpoints``, their architecture
        (``None`` when every checkpoint is a module).
    points : array-like or torch.Tensor, shape (M, *input_shape)
    radius : float
        Circumradius of the disk, in input units (the planes are orthonormal).
    n_slices : int
        Random planes per point.
    seed : int, numpy.random.Generator or None
        ``None`` draws fresh planes.
    sides : int
        Vertices of the polygon approximating the disk, 3 to :data:`MAX_SIDES` (4096).
    checkpoints : sequence of modules, state dicts or files, or a Checkpoints, optional
        One row of results per checkpoint (files are read without running code from them;
        a widget's :class:`~splinecam_widget.checkpoints.Checkpoints` brings its labels).
    checkpoint_labels : sequence of str, optional
        Names of the checkpoints in the table (default ``"checkpoint 0"``, ...).
    client : dask.distributed.Client, optional
        Run the tasks on this Dask cluster (:func:`~splinecam_widget.local_cluster`, or a
        client of any scheduler); ``None`` runs them here.
    batch_size : int, optional
        Points per task (default: up to 64, and at least four tasks per worker thread).
    progress : bool or callable
        ``True`` draws a bar of tasks done on stderr; a callable gets ``(done, total)``.
    as_frame : bool
        Return a tidy :class:`pandas.DataFrame` (see :func:`~splinecam_widget.local.tables.measure_table`)
        instead of an array.
    labels, split : array-like (M,), optional
        Columns ``label`` and ``split`` of the table (``split``: booleans, True for
        ``"train"``, or names).
    **partition_options
        ``device``, ``max_regions`` (per slice), ``memory_budget`` and ``threads``, as for
        :func:`~splinecam_widget.partition_many`.  ``threads`` defaults to the engine's
        choice here, and to one per task on a Dask worker.

    Returns
    -------
    ndarray (M,), ndarray (C, M) with checkpoints, or DataFrame
        Mean region count per point (and checkpoint).
    """
    flat, input_shape = as_points(points)
    if flat.shape[1] < 2:
        raise SplineCamError(f"points have {flat.shape[1]} feature; a plane through a point needs at least 2")
    options, threads = engine_options(partition_options)
    params = {
        "input_shape": input_shape,
        "radius": positive_number(radius, "radius"),
        "n_slices": positive_int(n_slices, "n_slices"),
        "sides": check_sides(sides),
        "entropy": seed_entropy(seed),
        "options": options,
    }
    networks = Networks(model, checkpoints, checkpoint_labels)  # after the numbers: it may read files
    table_columns(len(flat), labels, split, as_frame)
    counts = run_measure(
        count_regions,
        params,
        networks,
        flat,
        batch_size=batch_size,
        client=client,
        progress=progress,
        threads=threads,
        label="local density",
    )
    values = counts.mean(axis=2)
    if as_frame:
        from .tables import measure_table

        return measure_table(values, "local_density", checkpoint_labels=networks.labels, labels=labels, split=split)
    return values if checkpoints is not None else values[0]
