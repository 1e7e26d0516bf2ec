"""Local density at scale: the engine's many-slice entry point, and the same job on a local Dask cluster.

Run:  .venv/bin/python benchmarks/density.py [--slices 200] [--points 384] [--checkpoints 2] [--workers 2]

Both parts use the 784-200-200-200-200-10 MLP (default torch initialisation, seed 0) and
disks of radius 0.5 (64-gons) on random planes through random inputs in [0, 1]^784, the
way ``local_density`` cuts them.  Everything runs torch on one thread per task.

1. Per-slice time of a loop of ``partition()`` against one ``partition_many()`` call over
   the same ``--slices`` slices (region counts checked equal), and their ratio.
2. ``local_density`` on ``--points`` points x 2 planes x ``--checkpoints`` checkpoints:
   in this process, on a LocalCluster of 1 single-threaded worker and on one of
   ``--workers`` workers (clusters started and warmed up before the clock starts), with
   the speedup of the larger cluster over the single worker.  Results are checked equal.

Other programs share the cores, so the script also prints how much more work ``--workers``
busy processes do than one, before and after: the ceiling of the speedup at that moment.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from splinecam_widget import Slice, local_cluster, local_density, partition, partition_many
from splinecam_widget.engine.backends import warm_up
from splinecam_widget.local.density import density_planes, disk

WIDTHS = (784, 200, 200, 200, 200, 10)
RADIUS = 0.5


def mlp(seed: int) -> torch.nn.Sequential:
    """The benchmark MLP, default initialisation from ``seed``."""
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    for fan_in, fan_out in zip(WIDTHS[:-1], WIDTHS[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()


def disks(n: int, seed: int = 0) -> list[Slice]:
    """``n`` disks of radius :data:`RADIUS`, each on a random plane through a random input."""
    points = np.random.default_rng(seed).uniform(size=(n, WIDTHS[0]))
    return [Slice(p, density_planes(seed, i, WIDTHS[0], 1)[0], disk(RADIUS)) for i, p in enumerate(points)]


def engine(n_slices: int) -> None:
    model, slices = mlp(0), disks(n_slices)
    partition(model, slices[0], boundary=False, threads=1)  # warm-up: conversion caches, allocator
    start = time.perf_counter()
    looped = [partition(model, s, boundary=False, threads=1).n_regions for s in slices]
    loop = (time.perf_counter() - start) / n_slices
    start = time.perf_counter()
    many = [p.n_regions for p in partition_many(model, slices, boundary=False, threads=1)]
    batched = (time.perf_counter() - start) / n_slices
    assert many == looped, "partition_many must give the partitions of partition()"
    print(f"engine: {n_slices} disks of radius {RADIUS}, {np.mean(looped):.0f} regions on average")
    print(f"  loop of partition():  {loop * 1e3:7.1f} ms per slice")
    print(f"  partition_many():     {batched * 1e3:7.1f} ms per slice   ratio many/loop {batched / loop:.2f}")


def timed_density(points, checkpoints, client=None) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    values = local_density(None, points, RADIUS, n_slices=2, seed=0, checkpoints=checkpoints, client=client)
    return time.perf_counter() - start, values


def cluster(points, checkpoints, n_workers: int) -> tuple[float, np.ndarray]:
    with local_cluster(n_workers) as client:
        local_density(None, points[:2], RADIUS, seed=1, checkpoints=checkpoints[:1], client=client)  # warm up
        return timed_density(points, checkpoints, client)


def scale_out(n_points: int, n_checkpoints: int, n_workers: int) -> None:
    points = np.random.default_rng(1).uniform(size=(n_points, WIDTHS[0]))
    checkpoints = [mlp(seed) for seed in range(n_checkpoints)]
    slices = n_points * 2 * n_checkpoints
    print(f"local_density: {n_points} points x 2 planes x {n_checkpoints} checkpoints = {slices} slices")
    here, expected = timed_density(points, checkpoints)
    print(f"  in process:                      {here:6.1f} s  ({here / slices * 1e3:.0f} ms per slice)")
    one, values = cluster(points, checkpoints, 1)
    assert np.array_equal(values, expected)
    print(f"  LocalCluster, 1 worker:          {one:6.1f} s")
    many, values = cluster(points, checkpoints, n_workers)
    assert np.array_equal(values, expected)
    print(f"  LocalCluster, {n_workers} workers:         {many:6.1f} s   speedup over 1 worker {one / many:.2f}x")


def _spin(n: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start


def parallelism_now(n_processes: int, n: int = 10_000_000) -> float:
    """How many times more work ``n_processes`` processes do than one, on this machine now (other load counts)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(n_processes) as pool:
        list(pool.map(_spin, [1000] * n_processes))  # start the processes
        alone = next(iter(pool.map(_spin, [n])))
        start = time.perf_counter()
        list(pool.map(_spin, [n] * n_processes))
        together = time.perf_counter() - start
    return n_processes * alone / together


def main() -> None:
    warm_up()  # the compiled kernels, before any clock starts
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=200, help="slices of the engine comparison")
    parser.add_argument("--points", type=int, default=384, help="points of the local_density job")
    parser.add_argument("--checkpoints", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    ceiling = parallelism_now(args.workers)
    print(f"parallelism available now: {args.workers} busy processes do {ceiling:.2f}x the work of one")
    engine(args.slices)
    scale_out(args.points, args.checkpoints, args.workers)
    print(f"parallelism available after: {parallelism_now(args.workers):.2f}x")


if __name__ == "__main__":
    main()
