"""Thread counts: torch's setting less the cores other programs keep busy, for one computation's thread only.

torch's own thread count (``torch.set_num_threads``) is one setting for the whole process: a
partition never changes it, and other threads never see a computation's count.
"""

import subprocess
import sys
import threading
import time

import pytest
import torch

import splinecam_widget.engine.threads as threads
from splinecam_widget import SplineCamError


def test_busy_cores_are_left_to_the_programs_using_them(monkeypatch):
    monkeypatch.setattr(threads, "BUSY_READ_SECONDS", 0.0)  # read /proc (here: the stand-in) every time
    monkeypatch.setattr(threads, "_cpu_count", lambda: 4)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)
    for busy, expected in [(0, 4), (1, 3), (3, 1), (9, 1)]:
        monkeypatch.setattr(threads, "busy_elsewhere", lambda busy=busy: busy)
        assert threads.auto_threads() == expected
    monkeypatch.setattr(threads, "busy_elsewhere", lambda: None)
    assert threads.auto_threads() == 4


def test_a_cpu_hog_is_seen_and_this_process_is_not_counted():
    quiet = threads.busy_elsewhere()
    assert quiet is not None and quiet >= 0
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        assert max(threads.busy_elsewhere() for _ in range(5)) >= 1
    finally:
        hog.kill()


def test_one_reading_serves_for_half_a_second(monkeypatch):
    readings = []
    monkeypatch.setattr(threads, "busy_elsewhere", lambda: readings.append(1) or 0)
    monkeypatch.setattr(threads, "_last_reading", [])
    for _ in range(5):
        threads.auto_threads()
    assert len(readings) == 1
    monkeypatch.setattr(threads, "_last_reading", [(time.monotonic() - 1.0, 3)])  # an old reading
    threads.auto_threads()
    assert len(readings) == 2


def test_a_computation_s_threads_are_its_own_thread_s_and_checked():
    before = torch.get_num_threads()
    elsewhere = []

    def other_thread():
        elsewhere.append((threads.current_kernel_threads(), torch.get_num_threads()))

    reference = threading.Thread(target=other_thread)
    reference.start()
    reference.join()
    with threads.kernel_threads(1):
        assert threads.current_kernel_threads() == 1
        if threads.openmp() is not None:  # torch's operations in this thread run on one thread too
            assert torch.get_num_threads() == 1
        during = threading.Thread(target=other_thread)  # a training loop started meanwhile
        during.start()
        during.join()
    assert elsewhere[1] == elsewhere[0]  # another thread does not see it
    assert threads.current_kernel_threads() == torch.get_num_threads() == before  # restored here
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(SplineCamError, match="threads must be a positive integer"):
            with threads.kernel_threads(bad):
                pass


def test_partitions_never_change_torch_s_thread_count_seen_by_other_threads():
    from engine_checks import mlp

    from splinecam_widget import Slice, partition, square_domain

    before = torch.get_num_threads()
    seen, stop, ready = set(), threading.Event(), threading.Event()

    def watch():
        seen.add(torch.get_num_threads())  # this thread's own reading before any partition
        ready.set()
        while not stop.is_set():
            seen.add(torch.get_num_threads())

    watcher = threading.Thread(target=watch)
    watcher.start()
    ready.wait()
    try:
        model, plane = mlp((2, 16, 16, 1), seed=0), Slice([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], square_domain(1.0))
        for threads_asked in (1, None, 1):
            for _ in range(20):
                partition(model, plane, threads=threads_asked)
    finally:
        stop.set()
        watcher.join()
    assert len(seen) == 1 and torch.get_num_threads() == before
