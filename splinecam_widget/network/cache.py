"""Converted networks, kept while nothing their conversion read of the model has changed.

Converting a model costs far more than a small partition: validating every weight, building
the stages, and for anything but a plain Sequential a ``torch.fx`` trace (about 12 ms).  A
widget converts the same model on every drag, so the last few conversions are kept and
reused while the model is the same object and its :func:`~.fingerprint.fingerprint` is
the same: every module's type and instance attributes (walked through containers, objects,
functions and their closures; hyperparameters of torch's layers, tensor-valued ones
included), the class attributes of the user's classes, the module-level globals their
``forward`` names, hook counts, and every tensor and numpy array met on the way, compared
by value.  Values are compared with a copy on every call: torch's version counters miss
writes through ``.data`` and ``fill_`` on a plain tensor, so nothing cheaper is safe.  A
checkpoint loaded into the model, a slider step, an optimizer step, a changed
``self._slope``, ``self.cfg["slope"]`` or class attribute therefore always gets a fresh
conversion.

Correct before fast:

- a model holding a value the fingerprint cannot see into (a lock, a C object) in a
  module's attributes is converted on every call, and so is one with more than
  :data:`MAX_CACHED_BYTES` of tensors (their copy would cost memory, and converting them
  costs little next to partitioning them);
- the fingerprint and the copy are taken *before* converting, and the model is
  fingerprinted again after: a conversion during which anything changed (a training
  thread's step) is used for that call only and never kept, so a write made while
  converting can never become the state later calls are compared with.

To compare fast, each kept tensor also keeps a numpy view of the model's tensor; the view is
used while the tensor still has the same data pointer and strides (the view keeps that
memory alive, so equal pointers mean the same memory), and its bytes are compared with the
copy's.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .fingerprint import Fingerprint, fingerprint
from .program import Network

MAX_ENTRIES = 8
"""Conversions kept (model, input shape and device each), least recently used dropped first."""
MAX_CACHED_BYTES = 64 * 2**20
"""Models with more bytes of tensors and arrays than this are converted on every call."""
BITS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
"""Integer dtypes of each size: a CPU tensor numpy cannot read (bfloat16, float8) is compared bit for bit."""


def host_view(item) -> np.ndarray | None:
    """A numpy array sharing ``item``'s memory (a CPU tensor, or an array itself); ``None`` off the CPU."""
    if isinstance(item, np.ndarray):
        return item
    if item.device.type != "cpu":
        return None
    item = item.detach()
    try:
        return item.numpy()
    except TypeError:  # a dtype numpy lacks: the same bits as integers
        return item.view(BITS[item.element_size()]).numpy()


class Values:
    """A copy of the values of a fingerprint's items, to compare them with later.

    Host items are kept as bytes, each with ``(data pointer, strides, view)`` of the live
    tensor to read it again without building a new view; device tensors as clones.
    """

    def __init__(self, items: list):
        self.kept: list = []
        self.views: list = []
        for item in items:
            view = host_view(item)
            if view is None:
                self.kept.append(item.detach().clone())
                self.views.append(None)
            else:
                self.kept.append(view.tobytes())
                self.views.append(self.located(item, view))

    @staticmethod
    def located(item, view: np.ndarray) -> tuple:
        """Where ``view`` reads ``item``: the key :meth:`same` checks before reusing it."""
        if isinstance(item, np.ndarray):
            return (None, None, view)
        return (item.data_ptr(), item.stride(), view)

    def same(self, items: list) -> bool:
        """True when ``items`` (tokens already equal, so the same kinds and shapes) hold the kept values."""
        if len(items) != len(self.kept):
            return False
        views = self.views
        for index, (item, kept) in enumerate(zip(items, self.kept)):
            located = views[index]
            if located is None:
                if not torch.equal(kept, item.detach()):
                    return False
                continue
            pointer, strides, view = located
            if pointer is None:
                view = item  # a numpy array is its own view
            elif item.data_ptr() != pointer or item.stride() != strides:
                view = host_view(item)  # the tensor moved to other memory (.data =, set_)
                views[index] = self.located(item, view)
            if view.tobytes() != kept:
                return False
        return True


def nbytes(items: list) -> int:
    """Bytes of values the cache would copy."""
    return sum(i.nbytes if isinstance(i, np.ndarray) else i.numel() * i.element_size() for i in items)


@dataclass
class Entry:
    """One kept conversion: the model (weakly), its fingerprint's tokens and values, the network."""

    model: weakref.ref
    tokens: list
    values: Values
    network: Network


_entries: OrderedDict[tuple, Entry] = OrderedDict()
_lock = threading.Lock()


def reusable(entry: Entry | None, model: nn.Module, now: Fingerprint) -> bool:
    """True when ``entry`` was made from ``model`` as it is now (call with the lock held)."""
    return entry is not None and entry.model() is model and entry.tokens == now.tokens and entry.values.same(now.items)


def converted(model: nn.Module, input_shape: tuple, device, convert: Callable[[], Network]) -> Network:
    """``convert()``'s network for ``model``, reused while the model is unchanged (see module docstring)."""
    key = (id(model), tuple(input_shape), str(device))
    before = fingerprint(model)
    if before is None:  # something conversion reads cannot be compared: convert every time
        return convert()
    with _lock:
        entry = _entries.get(key)
        if reusable(entry, model, before):
            _entries.move_to_end(key)
            return entry.network
    if nbytes(before.items) > MAX_CACHED_BYTES:
        return convert()
    try:
        values = Values(before.items)  # before converting: what the network is compared with later
    except Exception:  # noqa: BLE001 - values that cannot be read (meta tensors): conversion says why
        return convert()
    network = convert()
    after = fingerprint(model)
    if after is None or after.tokens != before.tokens or not values.same(after.items):
        return network  # the model changed while it was converted: use this network once, keep nothing
    kept = Entry(weakref.ref(model, lambda _, key=key: forget(key)), before.tokens, values, network)
    with _lock:
        _entries[key] = kept
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return network


def forget(key: tuple) -> None:
    """Drop the conversion kept under ``key`` (its model was collected)."""
    with _lock:
        _entries.pop(key, None)


def clear() -> None:
    """Drop every kept conversion."""
    with _lock:
        _entries.clear()
