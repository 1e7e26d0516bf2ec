"""How many CPU threads torch may use for one computation.

torch's intra-op threads wait for each other by spinning.  When other programs keep
cores busy (a browser beside the notebook, other jobs on a shared node), a thread that
loses its core stalls the others at every parallel operation, and a computation took
4.4 times longer beside one CPU hog per core where a single-threaded peer took 1.8 times
longer.  So, unless the caller says otherwise, a computation uses torch's thread count
less the cores other programs are using when it starts (read from ``/proc``: runnable
threads system-wide, minus this process's own; at most every half second), and at least one.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import torch

from ..errors import SplineCamError
from ..numbers import is_whole


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def busy_elsewhere() -> int | None:
    """Threads of other processes running or ready to run now, or None where ``/proc`` does not tell."""
    try:
        runnable = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        if runnable <= 1:  # only the thread reading this (the common quiet case: no need to count our own)
            return 0
        own = 0
        for task in Path("/proc/self/task").iterdir():
            with contextlib.suppress(OSError):
                # the state follows the command name, which is in parentheses and may hold spaces
                own += (task / "stat").read_text().rpartition(")")[2].split()[0] == "R"
    except (OSError, ValueError, IndexError):
        return None
    return max(runnable - own, 0)


BUSY_READ_SECONDS = 0.5
"""How long one reading of the busy cores serves: counting this process's own runnable
threads means reading every ``/proc/self/task/*/stat`` (hundreds of microseconds while
torch's threads still spin after a parallel operation), too much for every small partition
of a drag or a sweep, and the load of a machine does not change that fast."""
_last_reading: list = []  # [(time.monotonic(), busy_elsewhere())]


def busy_lately() -> int | None:
    """:func:`busy_elsewhere`, read again only when the last reading is older than :data:`BUSY_READ_SECONDS`."""
    now = time.monotonic()
    if _last_reading and now - _last_reading[0][0] < BUSY_READ_SECONDS:
        return _last_reading[0][1]
    reading = (now, busy_elsewhere())
    _last_reading[:] = [reading]
    return reading[1]


def auto_threads() -> int:
    """Torch's thread count, less the cores other programs keep busy now (at least 1)."""
    others = busy_lately()
    wanted = torch.get_num_threads()
    if others is None:
        return wanted
    return max(1, min(wanted, _cpu_count() - others))


@contextlib.contextmanager
def cpu_threads(threads: int | None):
    """Let torch use ``threads`` CPU threads inside the block (None: :func:`auto_threads`); restore after."""
    if threads is None:
        threads = auto_threads()
    elif not (is_whole(threads) and threads >= 1):
        raise SplineCamError(f"threads must be a positive integer or None, got {threads!r}")
    before = torch.get_num_threads()
    if threads == before:
        yield
        return
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)
