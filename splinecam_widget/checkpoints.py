"""A sequence of network checkpoints: the widget's checkpoint slider and the analyses over training.

Checkpoints are modules, state dicts loaded into a private copy of one model, or files
holding either (read without running code from them, see :mod:`splinecam_widget.files`):
the user's model and state dicts are never modified.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence

import torch

from .errors import SplineCamError
from .files import first_line, load_checkpoint_file


class Checkpoints:
    """Validated checkpoints with their labels.

    Parameters
    ----------
    checkpoints : sequence of torch.nn.Module, state dicts or file paths
        The networks in order (e.g. one per epoch).  State dicts need ``model``; files
        saved with ``torch.save`` hold a module or a state dict.
    model : torch.nn.Module, optional
        The architecture the state dicts are loaded into (a private copy of it).
    labels : sequence of str, optional
        One label per checkpoint (default ``"checkpoint 0"``, ...).
    """

    def __init__(self, checkpoints, model=None, labels=None):
        if isinstance(checkpoints, (torch.nn.Module, Mapping, str, bytes)) or not isinstance(checkpoints, Sequence):
            raise SplineCamError("checkpoints must be a list of modules or state dicts (one per checkpoint)")
        if len(checkpoints) == 0:
            raise SplineCamError("checkpoints is empty: pass at least one module or state dict")
        self._items = [
            load_checkpoint_file(item, f"checkpoint {i}") if isinstance(item, (str, os.PathLike)) else item
            for i, item in enumerate(checkpoints)
        ]
        self._template = model
        self._given = None if labels is None else [str(label) for label in labels]  # to name a checkpoint
        for i, item in enumerate(self._items):
            if isinstance(item, Mapping):
                if not isinstance(model, torch.nn.Module):
                    raise SplineCamError(
                        f"checkpoint {i} is a state dict: pass the model whose architecture it belongs to"
                    )
                self._load(i)  # refuse missing or unexpected keys and wrong shapes now
            elif not isinstance(item, torch.nn.Module):
                raise SplineCamError(
                    f"checkpoint {i} must be a torch.nn.Module or a state dict, got {type(item).__name__}"
                )
        labels = [f"checkpoint {i}" for i in range(len(self._items))] if self._given is None else self._given
        if len(labels) != len(self._items):
            raise SplineCamError(f"checkpoint_labels has {len(labels)} labels for {len(self._items)} checkpoints")
        self.labels = labels
        self._cached: tuple[int, torch.nn.Module] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def index(self, i) -> int:
        """``i`` as a checkpoint index in ``0 .. len - 1`` (negative counts from the end)."""
        n = len(self._items)
        if not isinstance(i, int) or not -n <= i < n:
            raise SplineCamError(f"checkpoint must be an integer index in 0..{n - 1}, got {i!r}")
        return i % n

    def model(self, i: int) -> torch.nn.Module:
        """The network of checkpoint ``i`` (a module; the same object while ``i`` stays current)."""
        i = self.index(i)
        item = self._items[i]
        if isinstance(item, torch.nn.Module):
            return item
        if self._cached is None or self._cached[0] != i:
            self._cached = (i, self._load(i))
        return self._cached[1]

    def _load(self, i: int) -> torch.nn.Module:
        copied = copy.deepcopy(self._template)
        state = self._items[i]
        try:
            copied.load_state_dict(state, strict=True)
        except (RuntimeError, KeyError, TypeError) as exc:
            named = self._given is not None and len(self._given) == len(self._items)
            name = f"checkpoint {i}" + (f" ({self._given[i]!r})" if named else "")
            reason = state_dict_mismatch(copied.state_dict(), state) or first_line(exc)
            raise SplineCamError(
                f"{name} does not fit the model: {reason}; a state dict must come from the model's architecture"
            ) from None
        return copied


def state_dict_mismatch(expected: Mapping, given: Mapping) -> str:
    """How ``given`` differs from the state dict ``expected`` (keys, then shapes), in one line; ``""`` if it fits."""

    def some(keys: list) -> str:
        return ", ".join(map(repr, keys[:3])) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

    missing = [key for key in expected if key not in given]
    unexpected = [key for key in given if key not in expected]
    reshaped = [
        key
        for key in expected
        if key in given and tuple(getattr(given[key], "shape", ())) != tuple(expected[key].shape)
    ]
    parts = []
    if reshaped:
        key = reshaped[0]
        more = f" ({len(reshaped) - 1} more tensors differ in shape)" if len(reshaped) > 1 else ""
        parts.append(
            f"{key!r} has shape {tuple(getattr(given[key], 'shape', ()))} in the checkpoint but "
            f"{tuple(expected[key].shape)} in the model{more}"
        )
    if missing:
        parts.append(f"it lacks {some(missing)}")
    if unexpected:
        parts.append(f"it has {some(unexpected)}, which the model does not")
    return "; ".join(parts)
