"""What the commands of ``splinecam-widget`` share: the model they read, and the output they write."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys

from torch import nn

from ..errors import SplineCamError
from ..files import first_line, load_model_file

MODEL_FORMS = "a torch.save(model, path) file or package.module:attribute (a module, or a function returning one)"
"""What ``--model`` accepts, as error messages name it."""


def help_text(doc: str) -> str:
    """A module docstring as ``--help`` shows it: ``literal`` markup becomes plain text."""
    return re.sub(r"``(.+?)``", r"\1", doc)


def load_model(spec: str, trust: bool = False) -> nn.Module:
    """A model from a file, or from ``package.module:attr`` (a module, or a callable returning one).

    Files are read without running code from them (see :mod:`splinecam_widget.files`):
    ``torch.save(model, path)`` of ``torch.nn`` layers works as is; other pickled classes
    and TorchScript files need ``trust``.  Like ``python -m``, the current directory is on
    the import path, so ``mymodule:net`` finds ``./mymodule.py``.
    """
    if os.path.isdir(spec):
        raise SplineCamError(f"--model {spec!r} is a folder; --model takes {MODEL_FORMS}")
    if os.path.exists(spec):
        return load_model_file(spec, "--model", trust)
    module_name, colon, attribute = spec.partition(":")
    if not (colon and module_name and attribute):
        raise SplineCamError(f"--model {spec!r}: no such file, and not of the form package.module:attribute")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - ImportError, or whatever the module raises while it runs
        raise SplineCamError(f"--model {spec!r}: cannot import {module_name!r} ({first_line(exc)})") from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise SplineCamError(f"--model {spec!r}: {module_name} has no attribute {attribute!r}")
        target = getattr(target, part)
    model = target
    if callable(target) and not isinstance(target, nn.Module):
        try:
            inspect.signature(target).bind()
        except TypeError:
            raise SplineCamError(
                f"--model {spec!r}: {attribute} cannot be called without arguments; --model takes {MODEL_FORMS}"
            ) from None
        except ValueError:  # no signature to read (some built-ins): calling it tells
            pass
        try:
            model = target()
        except Exception as exc:  # noqa: BLE001 - the user's function failed: say how, in one line
            raise SplineCamError(f"--model {spec!r}: calling {attribute}() failed ({first_line(exc)})") from None
    if not isinstance(model, nn.Module):
        what = f"{attribute}() returned" if model is not target else "is"
        raise SplineCamError(f"--model {spec!r}: {what} a {type(model).__name__}, not a torch.nn.Module")
    return model


def check_output(path: str, formats: tuple[str, ...]) -> str:
    """The output's suffix, after checking it and that its folder exists and is writable (before any work)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in formats:
        raise SplineCamError(f"--output {path!r}: the suffix must be one of {', '.join(formats)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SplineCamError(f"--output {path!r}: the folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise SplineCamError(f"--output {path!r}: the folder {folder!r} is not writable")
    return suffix
