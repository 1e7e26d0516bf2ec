"""What the commands of ``splinecam-widget`` share: the model they read, and the output they write."""

from __future__ import annotations

import importlib
import os
import sys

from torch import nn

from ..errors import SplineCamError
from ..files import load_model_file


def load_model(spec: str, trust: bool = False) -> nn.Module:
    """A model from a file, or from ``package.module:attr`` (a module, or a callable returning one).

    Files are read without running code from them (see :mod:`splinecam_widget.files`):
    ``torch.save(model, path)`` of ``torch.nn`` layers works as is; other pickled classes
    and TorchScript files need ``trust``.  Like ``python -m``, the current directory is on
    the import path, so ``mymodule:net`` finds ``./mymodule.py``.
    """
    if os.path.exists(spec):
        return load_model_file(spec, "--model", trust)
    if ":" not in spec:
        raise SplineCamError(f"--model {spec!r}: no such file, and not of the form package.module:attribute")
    module_name, _, attribute = spec.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target = importlib.import_module(module_name)
    except ImportError as exc:
        raise SplineCamError(f"--model {spec!r}: cannot import {module_name!r} ({exc})") from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise SplineCamError(f"--model {spec!r}: {module_name} has no attribute {attribute!r}")
        target = getattr(target, part)
    model = target if isinstance(target, nn.Module) else target() if callable(target) else target
    if not isinstance(model, nn.Module):
        raise SplineCamError(f"--model {spec!r} is a {type(model).__name__}, not a torch.nn.Module")
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
