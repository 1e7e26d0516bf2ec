"""The vocabulary of a fingerprint's tokens (:mod:`.fingerprint`).

What counts as a plain value, how a module's own attributes are walked, the markers that
open each kind of value in the flat token list, and :class:`Same`, the token of an object
that can only be compared by identity.
"""

from __future__ import annotations

import weakref

import torch
from torch import nn

PLAIN = frozenset({bool, int, float, complex, bytes, type(None), type(Ellipsis)}) | frozenset(
    {torch.dtype, torch.device, torch.Size, torch.layout, torch.memory_format}
)
"""Immutable types compared by value (``str`` is handled first, as the commonest)."""

TENSOR_TYPES = frozenset({torch.Tensor, nn.Parameter})
"""Tensor types compared by value; a subclass may compute anything, so it is not trusted."""

IGNORED, COUNTED, TENSORS, MODULES = range(4)
ROLES = {
    **dict.fromkeys(
        "_backward_hooks _backward_pre_hooks _is_full_backward_hook _state_dict_hooks _state_dict_pre_hooks "
        "_load_state_dict_pre_hooks _load_state_dict_post_hooks _non_persistent_buffers_set".split(),
        IGNORED,
    ),
    **dict.fromkeys(
        "_forward_hooks _forward_hooks_with_kwargs _forward_hooks_always_called _forward_pre_hooks "
        "_forward_pre_hooks_with_kwargs".split(),
        COUNTED,
    ),
    "_parameters": TENSORS,
    "_buffers": TENSORS,
    "_modules": MODULES,
}
"""Module attributes walked in their own way: ``IGNORED``, those that cannot change the forward
(backward and state-dict hooks); ``COUNTED``, the forward hook dicts (conversion refuses any
hook, so a count going up is enough); ``TENSORS`` and ``MODULES``, the registered ones."""

GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_hooks_with_kwargs",
    "_global_forward_hooks_always_called",
    "_global_forward_pre_hooks",
)

BUILTINS = frozenset({tuple, list, dict, set, frozenset})
"""Containers whose instances hold nothing beside their items."""

CLASS_SKIPPED = frozenset(
    {"__dict__", "__weakref__", "__doc__", "__module__", "__qualname__", "__annotations__", "__slotnames__"}
)
"""Class attributes that are bookkeeping, not values a forward reads."""


class Unsure(Exception):
    """A value of a type the walk cannot fingerprint, in a place conversion reads."""


class Marker:
    """A token that opens a kind of value in the flat token list."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


MODULE, CLASS, FUNCTION, METHOD, BUILTIN, PARTIAL, TENSOR, ARRAY = map(
    Marker, ("MODULE", "CLASS", "FUNCTION", "METHOD", "BUILTIN", "PARTIAL", "TENSOR", "ARRAY")
)
SEQUENCE, MAPPING, SET, SLICE, OBJECT, GLOBALS, PROPERTY, EMPTY, REF, END = map(
    Marker, ("SEQUENCE", "MAPPING", "SET", "SLICE", "OBJECT", "GLOBALS", "PROPERTY", "EMPTY", "REF", "END")
)


class Same:
    """A token equal to another :class:`Same` of the very same object (held weakly where possible)."""

    __slots__ = ("ref", "strong")

    def __init__(self, obj):
        try:
            self.ref, self.strong = weakref.ref(obj), None
        except TypeError:
            self.ref, self.strong = None, obj

    def get(self):
        """The object, or ``None`` once it was collected."""
        return self.strong if self.ref is None else self.ref()

    def __eq__(self, other) -> bool:
        if type(other) is not Same:
            return NotImplemented
        obj = self.get()
        return obj is not None and obj is other.get()

    __hash__ = None

    def __repr__(self) -> str:
        return f"Same({self.get()!r})"
