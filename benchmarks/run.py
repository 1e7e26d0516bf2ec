"""Side-by-side benchmark: splinecam-widget's engine against regioncam, in one process.

Run:  .venv/bin/python benchmarks/run.py [--repeats N] [--only NAME] [--device cpu|cuda] [--cnn]

Every workload uses default torch initialisation with seed 0.  For each it prints
both region counts, the median wall time of both engines, the ratio ours/peer
and the peak resident memory added while our engine ran.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np
import regioncam
import torch

from splinecam_widget import Slice, partition, square_domain

PAGE = os.sysconf("SC_PAGE_SIZE")


def mlp(*widths: int) -> torch.nn.Sequential:
    """Linear layers of the given widths with ReLU between them."""
    layers: list[torch.nn.Module] = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()


def workload(widths, half_width):
    """(model, slice) for an MLP; 2-input nets use the (x, y) plane, others a plane through 3 random inputs."""
    torch.manual_seed(0)
    model = mlp(*widths)
    if widths[0] == 2:
        plane = Slice(np.zeros(2), np.eye(2), square_domain(half_width))
    else:
        anchors = torch.randn(3, widths[0])
        plane = Slice.from_anchors(anchors).with_domain(square_domain(half_width))
    return model, plane


WORKLOADS = {
    "mlp-2-64x3-1 [-1,1]": ((2, 64, 64, 64, 1), 1.0),
    "mlp-2-64x3-1 [-10,10]": ((2, 64, 64, 64, 1), 10.0),
    "mlp-2-128x3-1 [-1,1]": ((2, 128, 128, 128, 1), 1.0),
    "mlp-784-256x3-10 hw5": ((784, 256, 256, 256, 10), 5.0),
    "mlp-784-256x3-10 hw20": ((784, 256, 256, 256, 10), 20.0),
}


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
    """Our engine alone (regioncam has no convolutions): regions, time and peak memory."""
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


def run_peer(model, plane: Slice) -> int:
    """Regioncam on the same square of the same plane (the plane as a first linear layer)."""
    half_width = float(np.abs(plane.domain).max())
    cam = regioncam.Regioncam(half_width)
    if plane.dim != 2 or not np.allclose(plane.basis, np.eye(2)):
        cam.linear(plane.basis.T.astype(np.float32), plane.origin.astype(np.float32))
    cam.add(model)
    return cam.num_faces


class PeakMemory:
    """Samples this process's resident memory in a thread; ``peak`` is the rise above the start."""

    def __enter__(self):
        self.start = self.peak_rss = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = self.peak_rss - self.start

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def _sample(self):
        while not self._stop.wait(0.002):
            self.peak_rss = max(self.peak_rss, self._rss())


def timed(fn, repeats: int):
    """Median wall time of ``repeats`` calls (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run the workloads whose name contains this text")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cnn", action="store_true", help="run the convolutional workloads instead (minutes on a CPU)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    if args.cnn:
        run_cnn(args.device)
        return
    header = f"{'workload':24} {'regions':>8} {'peer':>8} {'ours s':>8} {'peer s':>8} {'ratio':>6} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for name, (widths, half_width) in WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        model, plane = workload(widths, half_width)
        repeats = args.repeats if widths[1] <= 128 else max(1, args.repeats // 2)
        ours_time, ours = timed(lambda model=model, plane=plane: partition(model, plane, device=args.device), repeats)
        with PeakMemory() as memory:
            partition(model, plane, device=args.device)
        peer_time, peer_count = timed(lambda model=model, plane=plane: run_peer(model, plane), repeats)
        print(
            f"{name:24} {ours.n_regions:8d} {peer_count:8d} {ours_time:8.3f} {peer_time:8.3f} "
            f"{ours_time / peer_time:6.2f} {memory.peak / 2**20:8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
