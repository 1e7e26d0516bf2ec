"""Converted networks, kept while the model they came from is unchanged.

Converting a model costs far more than a small partition: validating every weight, building
the stages, and for anything but a plain Sequential a ``torch.fx`` trace (about 12 ms).  A
widget converts the same model on every drag, so the last few conversions are kept and
reused while the model is the same object with the same *structure* (modules, their
types, training flags and plain attributes such as strides or slopes; its tensors' names,
shapes, dtypes and devices) and the same *weights*.  The weights are compared with a
copy taken at conversion, value by value, on every call: torch's version counters miss
writes through ``.data``, so nothing cheaper is safe.  A training checkpoint loaded into
the model, a slider step or an optimizer step therefore always gets a fresh conversion.
Models with more than :data:`MAX_CACHED_BYTES` of weights are not kept (their copy would
cost memory, and converting them costs little next to partitioning them).
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

from .program import Network

MAX_ENTRIES = 8
"""Conversions kept (model, input shape and device each), least recently used dropped first."""
MAX_CACHED_BYTES = 64 * 2**20
"""Models with more weight bytes than this are converted on every call."""
PLAIN = (bool, int, float, str, type(None), torch.Size, torch.dtype)


@dataclass
class Entry:
    """One kept conversion: the model (weakly), what it looked like, and the network made from it."""

    model: weakref.ref
    structure: tuple
    weights: list  # kept_copy() of each tensor
    network: Network


_entries: OrderedDict[tuple, Entry] = OrderedDict()
_lock = threading.Lock()


def plain(value) -> bool:
    """True for attribute values that take part in the structure (numbers, strings, tuples of them)."""
    if isinstance(value, (tuple, list)):
        return all(plain(v) for v in value)
    return isinstance(value, PLAIN)


def attributes(module: nn.Module) -> tuple:
    """The plain attributes of ``module`` the conversion may read (torch's own layers declare theirs)."""
    names = getattr(type(module), "__constants__", None)
    if names is not None and type(module).__module__.startswith("torch.nn"):
        return tuple(getattr(module, name, None) for name in names)
    return tuple(
        (key, tuple(value) if isinstance(value, list) else value)
        for key, value in vars(module).items()
        if not key.startswith("_") and plain(value)
    )


def inspect_model(model: nn.Module) -> tuple[tuple, list[torch.Tensor]]:
    """What the conversion reads of ``model``: its structure, and every tensor (shared ones once).

    One walk over the modules (see the module docstring for what the structure holds).
    """
    parts, tensors, seen = [], [], set()
    for name, module in model.named_modules():
        own = [(key, t) for key, t in (*module._parameters.items(), *module._buffers.items()) if t is not None]
        parts.append(
            (
                name,
                type(module),
                type(module).forward,
                module.training,
                attributes(module),
                tuple((key, t.shape, t.dtype, t.device, type(t)) for key, t in own),
            )
        )
        for _, t in own:
            if id(t) not in seen:
                seen.add(id(t))
                tensors.append(t)
    return tuple(parts), tensors


def unchanged(entry: Entry, model: nn.Module, shape: tuple, tensors: list[torch.Tensor]) -> bool:
    """True when ``entry`` was made from ``model`` as it is now."""
    if entry.model() is not model or entry.structure != shape or len(entry.weights) != len(tensors):
        return False
    return all(same_values(kept, now.detach()) for kept, now in zip(entry.weights, tensors))


def on_host(tensor: torch.Tensor) -> bool:
    """True for CPU tensors numpy can read (not bfloat16): compared with numpy, several times faster here."""
    return tensor.device.type == "cpu" and tensor.dtype != torch.bfloat16


def kept_copy(tensor: torch.Tensor):
    """A copy of ``tensor``'s values to compare with later (numpy where :func:`on_host`)."""
    tensor = tensor.detach()
    return tensor.numpy().copy() if on_host(tensor) else tensor.clone()


def same_values(kept, now: torch.Tensor) -> bool:
    """True when ``now`` holds the values of ``kept`` (a :func:`kept_copy`); NaN never equals."""
    if isinstance(kept, np.ndarray):
        return bool(np.array_equal(kept, now.numpy()))
    return torch.equal(kept, now)


def converted(model: nn.Module, input_shape: tuple, device, convert: Callable[[], Network]) -> Network:
    """``convert()``'s network for ``model``, reused while the model is unchanged (see module docstring)."""
    key = (id(model), tuple(input_shape), str(device))
    shape, tensors = inspect_model(model)
    with _lock:
        entry = _entries.get(key)
        if entry is not None and unchanged(entry, model, shape, tensors):
            _entries.move_to_end(key)
            return entry.network
    network = convert()
    if sum(t.numel() * t.element_size() for t in tensors) <= MAX_CACHED_BYTES:
        kept = Entry(
            weakref.ref(model, lambda _, key=key: forget(key)), shape, [kept_copy(t) for t in tensors], network
        )
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
