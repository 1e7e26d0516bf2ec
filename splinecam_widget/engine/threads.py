"""How many CPU threads the compiled kernels may use for one computation.

Threads that wait for each other lose time when other programs keep cores busy (a browser
beside the notebook, other jobs on a shared node): a thread that loses its core stalls the
others.  So, unless the caller says otherwise, a computation cuts its regions on torch's
thread count less the cores other programs are using when it starts (read from ``/proc``:
runnable threads system-wide, minus this process's own; at most every half second), and
at least one.

The choice is local to the computation (a :class:`contextvars.ContextVar`, so each thread
has its own): torch's own thread count, which is one setting for the whole process, is
never changed.  The user's training loop in another thread keeps its threads, and two
computations at once cannot restore each other's setting in the wrong order (changing it
around every partition did both).
"""

from __future__ import annotations

import contextlib
import contextvars
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


_kernel_threads: contextvars.ContextVar[int | None] = contextvars.ContextVar("splinecam_kernel_threads", default=None)


@contextlib.contextmanager
def kernel_threads(threads: int | None):
    """Let the compiled kernels use ``threads`` CPU threads inside the block (None: :func:`auto_threads`).

    Only this thread's computations see it (see the module docstring); torch's setting is untouched.
    """
    if threads is None:
        threads = auto_threads()
    elif not (is_whole(threads) and threads >= 1):
        raise SplineCamError(f"threads must be a positive integer or None, got {threads!r}")
    token = _kernel_threads.set(int(threads))
    try:
        yield
    finally:
        _kernel_threads.reset(token)


def current_kernel_threads() -> int:
    """The kernel threads of the computation running in this thread (torch's count outside one)."""
    threads = _kernel_threads.get()
    return torch.get_num_threads() if threads is None else threads
