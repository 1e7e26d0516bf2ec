"""What every benchmark here needs: timing, peak memory, a busy machine, dense twins of conv nets."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import torch

PAGE = os.sysconf("SC_PAGE_SIZE")


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


@contextlib.contextmanager
def cpu_hogs(count: int | None = None):
    """One busy-looping process per core (or ``count``) while the block runs: a busy machine."""
    count = count or os.cpu_count() or 1
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.5)  # let them reach the scheduler
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def dense_twin(model: torch.nn.Module, input_shape) -> torch.nn.Sequential:
    """The same function on flat inputs, as a Sequential of Linear layers and the same activations.

    For regioncam, which takes flat inputs and no convolutions.  ``model`` must be a
    Sequential of affine modules and ReLU / LeakyReLU.
    """
    layers: list[torch.nn.Module] = []
    shape = tuple(input_shape)
    for module in model:
        if isinstance(module, (torch.nn.ReLU, torch.nn.LeakyReLU)):
            layers.append(module)
            continue
        reference = module.double()
        with torch.no_grad():
            n_in = int(np.prod(shape))
            at_zero = reference(torch.zeros(1, *shape, dtype=torch.float64))
            columns = reference(torch.eye(n_in, dtype=torch.float64).reshape(n_in, *shape)) - at_zero
        linear = torch.nn.Linear(n_in, at_zero.numel()).double()
        with torch.no_grad():
            linear.weight.copy_(columns.reshape(n_in, -1).T)
            linear.bias.copy_(at_zero.reshape(-1))
        layers.append(linear)
        shape = tuple(at_zero.shape[1:])
    return torch.nn.Sequential(*layers).eval()
