"""Side-by-side benchmark: splinecam-widget's engine against regioncam, in one process.

Run:  .venv/bin/python benchmarks/run.py [--repeats N] [--only NAME] [--device cpu|cuda]

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
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    header = f"{'workload':24} {'regions':>8} {'peer':>8} {'ours s':>8} {'peer s':>8} {'ratio':>6} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for name, (widths, half_width) in WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        model, plane = workload(widths, half_width)
        repeats = args.repeats if widths[1] <= 128 else max(1, args.repeats // 2)
        ours_time, ours = timed(lambda: partition(model, plane, device=args.device), repeats)
        with PeakMemory() as memory:
            partition(model, plane, device=args.device)
        peer_time, peer_count = timed(lambda: run_peer(model, plane), repeats)
        print(f"{name:24} {ours.n_regions:8d} {peer_count:8d} {ours_time:8.3f} {peer_time:8.3f} "
              f"{ours_time / peer_time:6.2f} {memory.peak / 2**20:8.0f}", flush=True)


if __name__ == "__main__":
    main()
