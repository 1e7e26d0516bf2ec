"""Everything converting a model may read of it, as one value that is equal only while nothing changed.

A converted network may be reused (:mod:`.cache`) only while every value its conversion read
is the same.  Conversion reads far more than the weights: hyperparameters of torch's layers
(``negative_slope``, ``eps``, tensor-valued ones too), and, when ``torch.fx`` traces a user's
``forward``, whatever that forward reads: private attributes (``self._slope``), settings in
dicts and lists, plain tensors, class attributes, module-level globals, closures.  A
:class:`Fingerprint` records all of it:

- *tokens*, a flat list of plain values and markers, compared with ``==``: for every module
  (registered or reached through an attribute), its type and its instance ``__dict__``
  walked recursively through tuples, lists, dicts, sets, functions (identity, code,
  defaults, closure cells), partials, bound methods and plain objects' ``__dict__``; the
  names, shapes, dtypes and devices of its parameters and buffers; the number of its
  forward hooks (any hook is refused at conversion: :mod:`.hooks`); for the user's classes
  in its MRO (not torch's, numpy's, the standard library's or this package's), every class
  attribute (functions by identity) and, for ``forward`` and the methods and properties it
  names, the module-level globals their code names (functions there are followed in turn;
  library modules count by identity, a user's module by the attributes the code names);
  the global forward hooks and the declared piecewise-linear activations;
- *items*, every tensor and numpy array met on the way (once per place it is met), compared by
  value by the cache.

A value of a type the walk cannot see into (a lock, a generator, a C object) makes
:func:`fingerprint` return ``None`` when it sits in a module's ``__dict__``: the cache then
converts the model afresh on every call.  Met through a class attribute, a closure or a
global, where it is usually a logger or a library object the forward does not read, it
counts by identity instead.
"""

from __future__ import annotations

import collections
import enum
import functools
import types
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as torch_module

from . import piecewise
from .origins import as_function, called_methods, code_names, library_file, library_module, user_class, user_mro
from .tokens import (
    ARRAY,
    BUILTIN,
    BUILTINS,
    CLASS,
    CLASS_SKIPPED,
    COUNTED,
    EMPTY,
    END,
    FUNCTION,
    GLOBAL_HOOKS,
    GLOBALS,
    MAPPING,
    METHOD,
    MODULE,
    MODULES,
    OBJECT,
    PARTIAL,
    PLAIN,
    PROPERTY,
    REF,
    ROLES,
    SEQUENCE,
    SET,
    SLICE,
    TENSOR,
    TENSOR_TYPES,
    TENSORS,
    Same,
    Unsure,
)

MAX_STEPS = 200_000
"""Values walked at most; a model holding more (a dataset in a list) is converted on every call."""


@dataclass
class Fingerprint:
    """What :func:`fingerprint` found.

    Attributes
    ----------
    tokens : list
        Plain values and markers, equal (``==``) for two walks of an unchanged model.
    items : list
        The tensors and numpy arrays met, in walk order, to compare by value.
    """

    tokens: list
    items: list


def fingerprint(model: nn.Module) -> Fingerprint | None:
    """The fingerprint of everything converting ``model`` may read, or ``None`` where it cannot be sure."""
    walk = Walk()
    try:
        walk.preamble()
        walk.module(model)
    except Exception:  # noqa: BLE001 - Unsure, RecursionError, or an object whose attributes raise
        return None
    return Fingerprint(walk.tokens, walk.items)


class Walk:
    """One walk over a model, appending to ``tokens`` and ``items`` (see the module docstring)."""

    __slots__ = ("tokens", "items", "seen", "alive", "steps")

    def __init__(self):
        self.tokens: list = []
        self.items: list = []
        self.seen: dict[int, int] = {}  # id of a walked object -> its number, for REF tokens
        self.alive: list = []  # the walked objects, so no id is reused during the walk
        self.steps = MAX_STEPS

    def first_time(self, obj) -> bool:
        """Number ``obj`` the first time it is met; after that, emit a reference to it."""
        number = self.seen.get(id(obj))
        if number is not None:
            self.tokens += (REF, number)
            return False
        self.seen[id(obj)] = len(self.alive)
        self.alive.append(obj)
        return True

    def preamble(self) -> None:
        """What every module's call may run: global forward hooks, declared activations."""
        for name in GLOBAL_HOOKS:
            self.tokens.append(len(getattr(torch_module, name, ())))
        declared = piecewise._DECLARED
        self.tokens.append(len(declared))
        for cls, function in list(declared.items()):
            self.tokens += (CLASS, cls)
            self.value(function, strict=False)

    def module(self, module: nn.Module) -> None:
        """A module: its type, its instance ``__dict__``, then its user classes.

        The hot path of a cache hit, hence written out: plain values and tensors inline.
        """
        if not self.first_time(module):
            return
        tokens = self.tokens
        cls = type(module)
        tokens += (MODULE, cls, cls.forward)  # torch's classes too: fx runs a Sequential's forward
        for key, value in module.__dict__.items():
            role = ROLES.get(key)
            if role is None:
                kind = type(value)
                if kind is str or kind in PLAIN:
                    tokens += (key, kind, value)
                else:
                    tokens.append(key)
                    self.value(value, strict=True)
            elif role == COUNTED:
                tokens += (key, len(value))
            elif role == TENSORS:
                tokens += (key, len(value))
                for name, tensor in value.items():
                    if type(tensor) in TENSOR_TYPES:
                        tokens += (name, TENSOR, tensor.dtype, tensor.shape, tensor.device, tensor.layout)
                        self.items.append(tensor)
                    else:
                        tokens.append(name)
                        self.value(tensor, strict=True)
            elif role == MODULES:
                tokens += (key, len(value))
                for name, child in value.items():
                    tokens.append(name)
                    if child is None:
                        tokens.append(None)
                    else:
                        self.module(child)
        tokens.append(END)
        classes = user_mro(cls)
        if classes:
            called = called_methods(classes)
            for c in classes:
                self.user_class(c, called)

    def user_class(self, cls: type, called=frozenset()) -> None:
        """A user's class: every class attribute; the globals of the methods in ``called``."""
        if not self.first_time(cls):
            return
        self.tokens += (CLASS, cls)
        for key, value in list(vars(cls).items()):
            if key in CLASS_SKIPPED:
                continue
            self.tokens.append(key)
            if isinstance(value, property):
                self.tokens.append(PROPERTY)
                for accessor in (value.fget, value.fset):
                    self.value(accessor, strict=False, follow=key in called)
            else:
                function = as_function(value)
                if function is not None and type(value) is not types.FunctionType:
                    self.tokens.append(type(value))  # staticmethod, classmethod
                self.value(value if function is None else function, strict=False, follow=key in called)
        self.tokens.append(END)

    def tensor(self, tensor, strict: bool) -> None:
        """A tensor: dtype, shape, device and layout as tokens; its values among the items.

        A tensor met twice is compared twice (cheaper than numbering every tensor).
        """
        if type(tensor) not in TENSOR_TYPES:
            self.unknown(tensor, strict)
            return
        self.tokens += (TENSOR, tensor.dtype, tensor.shape, tensor.device, tensor.layout)
        self.items.append(tensor)

    def unknown(self, value, strict: bool) -> None:
        """A value the walk cannot see into: unsure where conversion reads it, else counted by identity."""
        if strict:
            raise Unsure(type(value).__name__)
        self.tokens.append(Same(value))

    def value(self, value, strict: bool, follow: bool = True) -> None:
        """Any attribute value; ``strict`` (a module's own attributes) makes unknown types :class:`Unsure`.

        ``follow``: a user's function's globals are walked too (it may run during conversion).
        """
        self.steps -= 1
        if self.steps < 0:
            raise Unsure("too many values")
        tokens = self.tokens
        kind = type(value)
        if kind is str:
            tokens.append(value)
        elif kind in PLAIN:
            tokens += (kind, value)
        elif isinstance(value, torch.Tensor):
            self.tensor(value, strict)
        elif isinstance(value, nn.Module):
            self.module(value)
        elif isinstance(value, (tuple, list)):
            if isinstance(value, tuple) or self.first_time(value):
                tokens += (SEQUENCE, kind, len(value))
                for item in value:
                    self.value(item, strict, follow)
                self.extra(value, strict, follow)
        elif isinstance(value, dict):
            if self.first_time(value):
                tokens += (MAPPING, kind, len(value))
                for key, item in list(value.items()):
                    self.value(key, strict, follow)
                    self.value(item, strict, follow)
                self.extra(value, strict, follow)
        elif isinstance(value, (set, frozenset)):
            if all(type(item) is str or type(item) in PLAIN for item in value):
                tokens += (SET, kind, frozenset(value))
                self.extra(value, strict, follow)
            else:
                self.unknown(value, strict)
        elif isinstance(value, (np.generic, enum.Enum, str, int, float, complex, bytes)):
            tokens += (kind, value)  # numpy scalars, enums, and subclasses of str and numbers: equal by value
            self.extra(value, strict, follow)
        elif isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                self.unknown(value, strict)
            elif self.first_time(value):
                tokens += (ARRAY, value.dtype, value.shape)
                self.items.append(value)
        elif isinstance(value, type):
            if user_class(value):
                self.user_class(value)
            else:
                tokens += (CLASS, value)
        elif kind is types.FunctionType:
            self.function(value, follow)
        elif kind is types.MethodType:
            tokens.append(METHOD)
            self.value(value.__self__, strict, follow)
            self.value(value.__func__, strict, follow)
        elif kind is types.BuiltinFunctionType:
            owner = value.__self__
            tokens += (BUILTIN, Same(value))
            if not (owner is None or isinstance(owner, (types.ModuleType, type))):
                self.value(owner, strict, follow)
        elif kind is functools.partial:
            tokens.append(PARTIAL)
            self.value(value.func, strict, follow)
            self.value(value.args, strict, follow)
            self.value(value.keywords, strict, follow)
        elif kind is slice:
            tokens.append(SLICE)
            for part in (value.start, value.stop, value.step):
                self.value(part, strict, follow)
        elif kind is types.ModuleType and library_module(value.__name__):
            tokens.append(Same(value))
        elif kind is not types.ModuleType and hasattr(value, "__dict__") and not hasattr(type(value), "__slots__"):
            self.instance(value, strict, follow)
        else:
            self.unknown(value, strict)

    def extra(self, value, strict: bool, follow: bool) -> None:
        """What an instance of a subclass of a builtin (an enum, a dict subclass) holds beside its value."""
        if type(value) in BUILTINS:
            return
        if isinstance(value, collections.defaultdict):
            self.value(value.default_factory, strict, follow)
        own = getattr(value, "__dict__", None)
        if own:
            self.tokens.append(OBJECT)
            for key, item in list(own.items()):
                self.tokens.append(key)
                self.value(item, strict, follow)
            self.tokens.append(END)

    def instance(self, value, strict: bool, follow: bool) -> None:
        """An object of an ordinary class (a config object, a namespace): its ``__dict__`` and user classes."""
        if not self.first_time(value):
            return
        self.tokens += (OBJECT, type(value))
        for key, item in list(vars(value).items()):
            self.tokens.append(key)
            self.value(item, strict, follow)
        self.tokens.append(END)
        classes = user_mro(type(value))
        if classes:
            called = called_methods(classes)
            for cls in classes:
                self.user_class(cls, called)

    def function(self, function: types.FunctionType, follow: bool) -> None:
        """A function: identity and code; for the user's, its defaults, closure and (``follow``) globals."""
        if not self.first_time(function):
            return
        code = function.__code__
        self.tokens += (FUNCTION, Same(function), code)
        if library_file(code.co_filename):
            return
        self.value(function.__defaults__, strict=False)
        self.value(function.__kwdefaults__, strict=False)
        for cell in function.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # a cell not yet filled
                self.tokens.append(EMPTY)
            else:
                self.value(contents, strict=False)
        if follow:
            self.globals_of(function)
        self.tokens.append(END)

    def globals_of(self, function: types.FunctionType) -> None:
        """The module-level globals ``function``'s code names, and the attributes it names of a user's module."""
        names = code_names(function.__code__)
        namespace = function.__globals__
        self.tokens.append(GLOBALS)
        for name in names:
            if name not in namespace:
                continue
            value = namespace[name]
            self.tokens.append(name)
            if type(value) is types.ModuleType:
                self.tokens.append(Same(value))
                if not library_module(value.__name__):
                    attributes = vars(value)
                    for attribute in names:
                        if attribute in attributes:
                            self.tokens.append(attribute)
                            self.value(attributes[attribute], strict=False)
            else:
                self.value(value, strict=False)
        self.tokens.append(END)
