"""The decorator of every kernel: numba's ``njit`` without the GIL, cached on disk where it can be.

numba keeps a compiled kernel in the first folder of these it can write to: ``$NUMBA_CACHE_DIR``,
``__pycache__`` beside the kernel's source, the user's cache folder (``~/.cache/numba``).  Left
to itself, it turns every problem with that cache into an error of the kernel's first call,
although none of them stops the kernel from being compiled:

- no folder is writable (a read-only install and home): the kernels are compiled without the
  disk cache, in every process;
- a cache file cannot be loaded (garbage left by a crash or a disk error): that kernel's own
  files are removed and it is compiled and cached again;
- a cache file cannot be written (a full disk): the compiled kernel is kept for this process
  and nothing more is written there.

Each problem is reported once per process by a :class:`KernelCacheWarning` naming the folder
and what to do.  Nothing is remembered on disk, so a later process uses the cache again as
soon as the cause is gone.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
import threading
import warnings

import numba
from numba.core import caching, config
from numba.core.dispatcher import Dispatcher

COMPILE_TIME = "about 20 s on two cores"
"""What compiling every kernel costs, for the messages."""

folders: set[str] = set()
"""The cache folders of the kernels defined so far (normally one)."""

_unwritable: set[str] = set()  # folders a kernel could not be saved to: no further tries there
_warned: set[str] = set()  # the kinds of problem already reported by this process
_lock = threading.Lock()


class KernelCacheWarning(RuntimeWarning):
    """numba's disk cache of the compiled kernels could not be used as it was (the kernels still work)."""


def _warn_once(kind: str, message: str) -> None:
    with _lock:
        if kind in _warned:
            return
        _warned.add(kind)
    warnings.warn(message, KernelCacheWarning, stacklevel=2)


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _sources_digest() -> str:
    """A digest of every kernel module's source.

    numba stamps a cached kernel with its own file's time and size only, but kernels call
    (and inline) kernels of other modules here: after an edit of ``geometry.py``, the
    kernels of ``lines.py`` would load from the cache with the old ``line_values`` inside.
    Stamping every kernel with all the modules' sources makes any edit recompile them all.
    """
    folder = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".py")):
        with open(os.path.join(folder, name), "rb") as source:
            digest.update(name.encode() + b"\0" + source.read())
    return digest.hexdigest()


_DIGEST = _sources_digest()


class _KernelCache(caching.FunctionCache):
    """numba's disk cache of one kernel, which gives up on the disk rather than on the kernel.

    Its entries are stamped with the digest of every kernel module (:func:`_sources_digest`)
    beside numba's own stamp, so a cache may only trade speed, never correctness.
    """

    def __init__(self, function):
        super().__init__(function)
        self._cache_file._source_stamp = (self._cache_file._source_stamp, _DIGEST)

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception as exc:  # noqa: BLE001 - any file numba cannot load is replaced, or skipped
            self._discard(exc)
            return None  # numba compiles the kernel (and saves it, if the files could be removed)

    def save_overload(self, sig, data):
        if self.cache_path in _unwritable:
            return
        try:
            super().save_overload(sig, data)
        except Exception as exc:  # noqa: BLE001 - the kernel is compiled: only its copy on disk is lost
            _unwritable.add(self.cache_path)
            _warn_once(
                "unwritable",
                f"numba could not write splinecam-widget's compiled kernels to its disk cache in "
                f"{self.cache_path} ({_described(exc)}); they work in this process, but each new "
                f"process compiles them again ({COMPILE_TIME}) until it can write there. Free space "
                "there (or make it writable), or set NUMBA_CACHE_DIR to a writable folder.",
            )

    def own_files(self) -> list[str]:
        """Names of this kernel's files in the cache folder: its index and its data files."""
        base = re.escape(self._impl.filename_base)
        ours = re.compile(rf"{base}\.nbi|{base}\.\d+\.nbc")
        try:
            return sorted(name for name in os.listdir(self.cache_path) if ours.fullmatch(name))
        except OSError:
            return []

    def _discard(self, exc: Exception) -> None:
        """Remove this kernel's files, which numba could not load, or stop using the cache for it."""
        names = self.own_files()
        try:
            for name in names:
                os.remove(os.path.join(self.cache_path, name))
        except OSError as removal:
            self.disable()  # neither loaded nor saved any more in this process
            _warn_once(
                "stuck",
                f"numba's disk cache of splinecam-widget's compiled kernels in {self.cache_path} "
                f"could not be loaded ({_described(exc)}) nor removed ({_described(removal)}); "
                f"the kernels are compiled without it ({COMPILE_TIME}, in every process). Delete "
                "that folder, or set NUMBA_CACHE_DIR to another writable folder, to rebuild it.",
            )
            return
        _warn_once(
            "corrupt",
            f"numba's disk cache of splinecam-widget's compiled kernels in {self.cache_path} "
            f"could not be loaded ({_described(exc)}); its unreadable files ({', '.join(names)}, and "
            "those of any other kernel found unreadable) were removed, and the kernels are compiled "
            f"and cached again (up to {COMPILE_TIME}).",
        )


def _tried(function) -> str:
    """Where numba looked for a writable cache folder for ``function``, and why each failed."""
    source = inspect.getfile(function)
    locators = [caching.InTreeCacheLocator, caching.UserWideCacheLocator]
    if config.CACHE_DIR:
        locators.insert(0, caching.UserProvidedCacheLocator)
    tried = []
    for locator in locators:
        try:
            place = locator(function, source)
        except Exception:  # noqa: BLE001 - only describes the places
            continue
        try:
            place.ensure_cache_path()  # the test numba made
            why = "writable now"
        except OSError as exc:
            why = exc.strerror or _described(exc)
        label = "NUMBA_CACHE_DIR " if locator is caching.UserProvidedCacheLocator else ""
        tried.append(f"{label}{place.get_cache_path()}: {why}")
    return "; ".join(tried) or "no folder"


def jit(function):
    """``numba.njit(cache=True, nogil=True)``, whose disk cache never stops the kernel (module docstring)."""
    kernel = numba.njit(nogil=True)(function)
    if not isinstance(kernel, Dispatcher):  # NUMBA_DISABLE_JIT: the Python function itself
        return kernel
    try:
        kernel._cache = _KernelCache(function)  # what numba's enable_caching() does, with our cache
    except RuntimeError as exc:  # numba's "cannot cache function ...: no locator available"
        _warn_once(
            "nowhere",
            f"numba cannot cache splinecam-widget's compiled kernels on disk ({exc}); it tried "
            f"{_tried(function)}. The kernels are compiled without the cache, so each new process "
            f"compiles them again ({COMPILE_TIME}); set NUMBA_CACHE_DIR to a writable folder to "
            "keep them.",
        )
    else:
        folders.add(kernel._cache.cache_path)
    return kernel
