"""Side-by-side benchmark: splinecam-widget's engine against regioncam, in one process.

Run:  .venv/bin/python benchmarks/run.py [--repeats N] [--only NAME] [--device cpu|cuda] [--busy] [--cnn] [--first-call]

Every workload uses default torch initialisation with seed 0.  For each it prints both
region counts, the median wall time of both engines, the ratio ours/peer and the peak
resident memory added while our engine ran:

- MLPs, as regioncam runs them;
- small jobs: about a hundred regions, a drag's worth on 2 and 784 inputs;
- the interactive case: a 2-64-64-64-1 MLP on its anchors' square, run on one thread as
  the widget runs partitions under 20,000 regions;
- many small slices: ``partition_many`` over 120 disks of radius 0.5 (about 35 regions
  each) on a 784-200x4-10 MLP, against regioncam on each disk's bounding square (it has
  no other domains), and ours on the same squares;
- convolutional nets, ours on the CNN, regioncam on its unrolled dense twin (the same
  function written with Linear layers; regioncam has no convolutions).

The compiled kernels are made ready before the clocks start; ``--first-call`` measures,
in fresh processes, how long the first partition takes and when the kernels are ready,
with an empty kernel cache and with the cache the first process wrote.  ``--busy`` also
reports, for one CNN, the time with one CPU hog per core divided by the time on the quiet
machine, ours and regioncam's, measured in the same run.  ``--cnn`` runs larger conv nets
(ours only; minutes on a CPU).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import regioncam
import torch
from common import PeakMemory, cpu_hogs, dense_twin, timed

from splinecam_widget import Slice, partition, square_domain
from splinecam_widget.engine.backends import warm_up


def mlp(*widths: int) -> torch.nn.Sequential:
    """Linear layers of the given widths with ReLU between them."""
    layers: list[torch.nn.Module] = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()


def plane_for(input_dim: int, half_width: float, seed: int = 0) -> Slice:
    """The (x, y) plane for 2 inputs, else a plane through three random inputs (a square around them)."""
    if input_dim == 2:
        return Slice(np.zeros(2), np.eye(2), square_domain(half_width))
    anchors = torch.randn(3, input_dim, generator=torch.Generator().manual_seed(seed))
    return Slice.from_anchors(anchors).with_domain(square_domain(half_width))


def small_cnn(channels: int, size: int) -> torch.nn.Sequential:
    """Two 3x3 convolutions (the second with stride 2) and a Linear head, on 1 x size x size inputs."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, channels, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(channels, channels, 3, stride=2, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(channels * (size // 2) ** 2, 10),
    ).eval()


# name: (model builder, input shape, half-width, threads for our engine: None = its default)
WORKLOADS = {
    "small 2-16x2-1 [-1,1]": (lambda: mlp(2, 16, 16, 1), (2,), 1.0, None),
    "drag 2-48x4-2 [-1.5,1.5]": (lambda: mlp(2, 48, 48, 48, 48, 2), (2,), 1.5, None),
    "plane 784-128x3-10 hw3": (lambda: mlp(784, 128, 128, 128, 10), (784,), 3.0, None),
    "mlp-2-64x3-1 [-1,1]": (lambda: mlp(2, 64, 64, 64, 1), (2,), 1.0, None),
    "mlp-2-64x3-1 [-10,10]": (lambda: mlp(2, 64, 64, 64, 1), (2,), 10.0, None),
    "mlp-2-128x3-1 [-1,1]": (lambda: mlp(2, 128, 128, 128, 1), (2,), 1.0, None),
    "mlp-784-256x3-10 hw5": (lambda: mlp(784, 256, 256, 256, 10), (784,), 5.0, None),
    "mlp-784-256x3-10 hw20": (lambda: mlp(784, 256, 256, 256, 10), (784,), 20.0, None),
    "interactive 2-64x3-1, 1 thread": (lambda: mlp(2, 64, 64, 64, 1), (2,), 1.0, 1),
    "cnn 1x16x16 8ch hw0.6": (lambda: small_cnn(8, 16), (1, 16, 16), 0.6, None),
    "cnn 1x16x16 16ch hw0.3": (lambda: small_cnn(16, 16), (1, 16, 16), 0.3, None),
    "cnn 1x24x24 8ch hw0.3": (lambda: small_cnn(8, 24), (1, 24, 24), 0.3, None),
}
BUSY_WORKLOAD = "cnn 1x16x16 16ch hw0.3"
MANY_SLICES = 120


def workload(name: str):
    """``(model, twin for regioncam, plane, threads)`` of a workload, seed 0."""
    build, shape, half_width, threads = WORKLOADS[name]
    torch.manual_seed(0)
    model = build()
    twin = model if len(shape) == 1 else dense_twin(model, shape).float()
    return model, twin, plane_for(int(np.prod(shape)), half_width), threads, shape


def run_peer(twin, plane: Slice) -> int:
    """Regioncam on the same square of the same plane (the plane as a first linear layer)."""
    half_width = float(np.abs(plane.domain).max())
    cam = regioncam.Regioncam(half_width)
    if plane.dim != 2 or not np.allclose(plane.basis, np.eye(2)):
        cam.linear(plane.basis.T.astype(np.float32), plane.origin.astype(np.float32))
    cam.add(twin)
    return cam.num_faces


def ours(model, plane, shape, threads, device):
    """Our engine on the model itself (conv nets as conv nets, on the plane reshaped for them)."""
    if plane.input_shape != tuple(shape):
        plane = Slice(plane.origin.reshape(shape), plane.basis, plane.domain)
    return partition(model, plane, device=device, threads=threads)


def compare(args) -> None:
    header = f"{'workload':32} {'regions':>8} {'peer':>8} {'ours ms':>9} {'peer ms':>9} {'ratio':>6} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for name in WORKLOADS:
        if args.only and args.only not in name:
            continue
        model, twin, plane, threads, shape = workload(name)
        repeats = args.repeats if "784" not in name else max(1, args.repeats // 2)
        if name.startswith("small"):
            repeats *= 40  # a fraction of a millisecond: more runs for a steady median
        job = (model, plane, shape, threads, args.device)
        ours_time, result = timed(lambda job=job: ours(*job), repeats)
        with PeakMemory() as memory:
            ours(model, plane, shape, threads, args.device)
        peer_time, peer_count = timed(lambda twin=twin, plane=plane: run_peer(twin, plane), repeats)
        print(
            f"{name:32} {result.n_regions:8d} {peer_count:8d} {1e3 * ours_time:9.2f} {1e3 * peer_time:9.2f} "
            f"{ours_time / peer_time:6.2f} {memory.peak / 2**20:8.0f}",
            flush=True,
        )


def many_small(args) -> None:
    """Per-slice time of partition_many on small disks and squares, and regioncam's on the squares."""
    from splinecam_widget import partition_many
    from splinecam_widget.local.density import density_planes, disk

    torch.manual_seed(0)
    model = mlp(784, 200, 200, 200, 200, 10)
    points = np.random.default_rng(0).uniform(size=(MANY_SLICES, 784))
    bases = [density_planes(0, i, 784, 1)[0] for i in range(MANY_SLICES)]
    disks = [Slice(p, b, disk(0.5)) for p, b in zip(points, bases)]
    squares = [Slice(p, b, square_domain(0.5)) for p, b in zip(points, bases)]
    twin = model.float()

    def peer():
        return [run_peer(twin, plane) for plane in squares]

    def ours_on(planes):
        return lambda: [p.n_regions for p in partition_many(model, planes, boundary=False)]

    disk_time, disk_counts = timed(ours_on(disks), args.repeats)
    square_time, square_counts = timed(ours_on(squares), args.repeats)
    peer_time, peer_counts = timed(peer, args.repeats)
    n = MANY_SLICES
    print(f"\nmany small slices: partition_many over {n} slices of 784-200x4-10, ms per slice")
    print(f"  disks r=0.5     ours {1e3 * disk_time / n:7.3f}   ({np.mean(disk_counts):.0f} regions each)")
    print(
        f"  squares hw=0.5  ours {1e3 * square_time / n:7.3f}   regioncam {1e3 * peer_time / n:7.3f}   "
        f"ratio {square_time / peer_time:5.2f}   ({np.mean(square_counts):.0f} regions each, peer "
        f"{np.mean(peer_counts):.0f})"
    )
    print(f"  disks (ours) / squares (regioncam): {disk_time / peer_time:5.2f}")


def first_call() -> None:
    """Fresh processes, the first with an empty kernel cache: the first partition, and the kernels' readiness."""
    import subprocess
    import sys
    import tempfile

    code = (
        "import time, numpy as np, torch\n"
        "start = time.perf_counter()\n"
        "from splinecam_widget import Slice, partition, square_domain\n"
        "from splinecam_widget.engine.backends import warm_up\n"
        "model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)).eval()\n"
        "plane = Slice(np.zeros(2), np.eye(2), square_domain(1.0))\n"
        "partition(model, plane); first = time.perf_counter() - start\n"
        "warm_up(); ready = time.perf_counter() - start\n"
        "print(first, ready)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)]
        runs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True))
    (first, compiled), (later_first, loaded) = ([float(x) for x in run.stdout.split()] for run in runs)
    print("\nfirst calls, seconds from the import (torch runs until the kernels are ready)")
    print(f"  empty kernel cache: first partition {first:6.2f}   kernels compiled {compiled:6.2f}")
    print(f"  a later process:    first partition {later_first:6.2f}   kernels loaded   {loaded:6.2f}")


def busy(args) -> None:
    """Time beside one CPU hog per core over time on the quiet machine, ours and regioncam's."""
    model, twin, plane, threads, shape = workload(BUSY_WORKLOAD)
    ours_quiet, _ = timed(lambda: ours(model, plane, shape, threads, args.device), args.repeats)
    peer_quiet, _ = timed(lambda: run_peer(twin, plane), args.repeats)
    with cpu_hogs():
        ours_busy, _ = timed(lambda: ours(model, plane, shape, threads, args.device), args.repeats)
        peer_busy, _ = timed(lambda: run_peer(twin, plane), args.repeats)
    print(f"\nbusy machine ({BUSY_WORKLOAD}, one CPU hog per core): time busy / time quiet")
    print(f"  ours      {ours_busy:7.3f} s / {ours_quiet:7.3f} s = {ours_busy / ours_quiet:5.2f}")
    print(f"  regioncam {peer_busy:7.3f} s / {peer_quiet:7.3f} s = {peer_busy / peer_quiet:5.2f}")


def vgg_like(widths, input_size: int, hidden: int) -> torch.nn.Sequential:
    """3x3 convolutions (pairs per stage, average-pooling between stages), then two Linear layers."""
    layers: list[torch.nn.Module] = []
    channels, size = 3, input_size
    for stage, width in enumerate(widths):
        if stage:
            layers.append(torch.nn.AvgPool2d(2))
            size //= 2
        for _ in range(2):
            layers += [torch.nn.Conv2d(channels, width, 3, padding=1), torch.nn.ReLU()]
            channels = width
    layers += [
        torch.nn.Flatten(),
        torch.nn.Linear(channels * size * size, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10),
    ]
    return torch.nn.Sequential(*layers).eval()


# (network builder, input shape, half-width of the square around the anchors' centroid).
# A full-size slice through three random images is out of reach for any exact engine: at the
# first CIFAR-style layer about 40,000 of the 65,536 unit lines cross it (over 10^8 regions).
CNN_WORKLOADS = {
    "cifar-cnn 64-64-128-128-256-256 hw0.01": (lambda: vgg_like((64, 128, 256), 32, 256), (3, 32, 32), 0.01),
    "vgg-cnn 32..128 on 3x64x64 hw0.005": (lambda: vgg_like((32, 64, 128), 64, 256), (3, 64, 64), 0.005),
}


def run_cnn(device: str) -> None:
    """Our engine alone on larger conv nets: regions, time and peak memory."""
    print(f"{'workload':40} {'regions':>8} {'ours s':>8} {'peak MB':>8}")
    for name, (build, shape, half_width) in CNN_WORKLOADS.items():
        torch.manual_seed(0)
        model = build()
        plane = Slice.from_anchors(torch.rand(3, *shape)).with_domain(square_domain(half_width))
        with PeakMemory() as memory:
            start = time.perf_counter()
            result = partition(model, plane, device=device)
            elapsed = time.perf_counter() - start
        print(f"{name:40} {result.n_regions:8d} {elapsed:8.1f} {memory.peak / 2**20:8.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run the workloads whose name contains this text")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--busy", action="store_true", help="also measure beside one CPU hog per core")
    parser.add_argument("--cnn", action="store_true", help="run the larger convolutional workloads instead")
    parser.add_argument("--first-call", action="store_true", help="also time the first call with no kernel cache")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    warm_up()  # the compiled kernels, before any clock starts
    if args.cnn:
        run_cnn(args.device)
        return
    compare(args)
    if not args.only:
        many_small(args)
    if args.first_call:
        first_call()
    if args.busy:
        busy(args)


if __name__ == "__main__":
    main()
