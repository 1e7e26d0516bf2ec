"""Whose code is it, the user's or a library's, and what may a user's code read.

The fingerprint (:mod:`.fingerprint`) looks into the user's classes and functions only:
torch's, numpy's, the standard library's, installed packages' and this package's code is
taken as constant.  For a user's class it needs the methods conversion may run
(:func:`called_methods`: ``forward`` and what it names, transitively) and, for each, the
global and attribute names its code reads (:func:`code_names`).
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
import types

CALLED_FIRST = ("forward", "__call__", "__getattr__", "__getattribute__")
"""Methods of a user's class that conversion calls; those their code names are followed from there."""


LIBRARY_ROOTS = tuple(
    os.path.normcase(os.path.realpath(p))
    for p in {
        *(sysconfig.get_paths().get(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")),
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # this package
    }
    if p
)


@functools.lru_cache(maxsize=4096)
def library_file(filename: str | None) -> bool:
    """True for code of the standard library, an installed package, or this package (not the user's)."""
    if not filename or filename.startswith("<frozen"):
        return bool(filename)
    if filename.startswith("<"):  # <stdin>, <string>, a notebook cell: the user's
        return False
    path = os.path.normcase(os.path.realpath(filename))
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return any(path == root or path.startswith(root + os.sep) for root in LIBRARY_ROOTS)


@functools.lru_cache(maxsize=4096)
def library_module(name: str) -> bool:
    """True for a Python module (by name) of the standard library, an installed package or this package."""
    module = sys.modules.get(name)
    if module is None:
        return False
    filename = getattr(module, "__file__", None)
    if filename is None:  # builtin modules are library; a notebook's __main__ is the user's
        return name in sys.builtin_module_names
    return library_file(filename)


def user_class(cls: type) -> bool:
    """True for a class the user wrote (its class attributes and methods are fingerprinted)."""
    return cls is not object and not library_module(getattr(cls, "__module__", None) or "builtins")


_USER_MRO: dict[type, tuple] = {}


def user_mro(cls: type) -> tuple[type, ...]:
    """The user's classes in ``cls``'s MRO (memoised while the MRO is the same tuple)."""
    found = _USER_MRO.get(cls)
    if found is not None and found[0] is cls.__mro__:
        return found[1]
    classes = tuple(c for c in cls.__mro__ if user_class(c))
    if len(_USER_MRO) > 1024:
        _USER_MRO.clear()
    _USER_MRO[cls] = (cls.__mro__, classes)
    return classes


_CODE_NAMES: dict[types.CodeType, tuple[str, ...]] = {}


def code_names(code: types.CodeType) -> tuple[str, ...]:
    """Global and attribute names ``code`` reads, nested functions and comprehensions included."""
    names = _CODE_NAMES.get(code)
    if names is None:
        found = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                found.update(code_names(const))
        names = tuple(sorted(found))
        if len(_CODE_NAMES) > 4096:
            _CODE_NAMES.clear()
        _CODE_NAMES[code] = names
    return names


def as_function(value):
    """The Python function behind a class attribute (a staticmethod's, a classmethod's), else ``None``."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    return value if isinstance(value, types.FunctionType) else None


def called_methods(classes: tuple[type, ...]) -> set[str]:
    """Names of the user's methods and properties conversion may run: :data:`CALLED_FIRST`, then what they name."""
    called, looked, todo = set(), set(), list(CALLED_FIRST)
    while todo:
        name = todo.pop()
        if name in looked:
            continue
        looked.add(name)
        for cls in classes:
            attribute = vars(cls).get(name)
            if attribute is None:
                continue
            called.add(name)
            getters = (attribute.fget, attribute.fset) if isinstance(attribute, property) else (attribute,)
            for getter in getters:
                function = as_function(getter)
                if function is not None:
                    todo.extend(n for n in code_names(function.__code__) if n not in looked)
    return called
