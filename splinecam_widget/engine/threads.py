"""How many CPU threads one computation may use: the compiled kernels' and torch's, in this thread only.

Threads that wait for each other lose time when other programs keep cores busy (a browser
beside the notebook, other jobs on a shared node): a thread that loses its core stalls the
others, and torch's intra-op threads wait by spinning.  So, unless the caller says
otherwise, a computation runs on torch's thread count less the cores other programs are
using when it starts (read from ``/proc``: runnable threads system-wide, minus this
process's own; at most every half second), and at least one.

The choice belongs to the computation and to the thread running it, never to the process:

- the compiled kernels read it from a :class:`contextvars.ContextVar`;
- torch's operations read the calling thread's OpenMP thread count (``omp_get_max_threads``,
  one value per thread in the OpenMP runtime torch's CPU wheels ship), set around the
  computation with that runtime's ``omp_set_num_threads`` and restored after.

``torch.set_num_threads`` is never called: it sets a count every thread of the process
starts with, so a user's training loop in another thread ran on one thread while a widget
computed beside it, and two computations at once could restore each other's setting in
the wrong order (changing it around every partition did both).  Where torch does not run
on OpenMP, its operations keep the process's setting.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
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
    """Let the kernels and torch's operations use ``threads`` CPU threads in this block (None: :func:`auto_threads`).

    Only this thread sees it (see the module docstring); other threads keep their counts.
    """
    if threads is None:
        threads = auto_threads()
    elif not (is_whole(threads) and threads >= 1):
        raise SplineCamError(f"threads must be a positive integer or None, got {threads!r}")
    token = _kernel_threads.set(int(threads))
    runtime = openmp()
    before = runtime.omp_get_max_threads() if runtime is not None else int(threads)
    if before != threads:
        runtime.omp_set_num_threads(int(threads))  # this thread's count only (see the module docstring)
    try:
        yield
    finally:
        if before != threads:
            runtime.omp_set_num_threads(before)
        _kernel_threads.reset(token)


def current_kernel_threads() -> int:
    """The kernel threads of the computation running in this thread (torch's count outside one)."""
    threads = _kernel_threads.get()
    return torch.get_num_threads() if threads is None else threads


_runtime: list = []  # [the OpenMP runtime, or None], found on first use


def openmp():
    """The OpenMP runtime torch's operations run on, as a :class:`ctypes.CDLL`, or None (another backend).

    The library torch loaded (``torch/lib/libgomp*`` in its wheels): opening it again gives the
    same loaded copy, so its per-thread counts are the ones torch reads.
    """
    if not _runtime:
        found = None
        if "OpenMP" in torch.__config__.parallel_info():
            folder = Path(torch.__file__).parent / "lib"
            candidates = [*sorted(folder.glob("libgomp*.so*")), *sorted(folder.glob("libiomp5*")), None]
            for candidate in candidates:
                with contextlib.suppress(OSError, AttributeError):
                    library = ctypes.CDLL(str(candidate) if candidate else None)  # None: already loaded globally
                    library.omp_get_max_threads.restype = ctypes.c_int
                    library.omp_set_num_threads.argtypes = [ctypes.c_int]
                    found = library
                    break
        _runtime.append(found)
    return _runtime[0]
