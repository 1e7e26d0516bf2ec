"""The one table of piecewise-linear activations, read by both conversion paths.

Each :class:`Activation` names a function the way torch spells it (``F.leaky_relu``,
``torch.relu``, ``x.clamp(...)``), the ``nn`` module classes that compute it, and its
arguments, whose names are both the function's keywords and the module's attributes
(``negative_slope``, ``min_val``, ``lambd``, ...).  :func:`module_parameters` reads them
from a module (``modules.py``), :func:`call_parameters` from a traced call (``trace.py``),
and both hand them to the same ``parameters`` function, so a module and its functional
form cannot drift apart.  ``parameters`` returns ``(breakpoints, slopes, intercept)`` with
the meaning of :class:`~splinecam_widget.PiecewiseLinear`; a slope may be a per-channel tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import UnsupportedModelError

REQUIRED = object()
"""Default of an argument the call must give (PReLU's weight)."""


def _number(value, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise UnsupportedModelError(f"{what} must be a constant number, got {type(value).__name__}")
    return float(value)


def _clamp(min=None, max=None):  # noqa: A002 - torch's own keyword names
    low = None if min is None else _number(min, "the lower bound of clamp")
    high = None if max is None else _number(max, "the upper bound of clamp")
    if low is None and high is None:
        raise UnsupportedModelError("clamp needs min or max")
    if low is None:
        return [high], [1.0, 0.0], 0.0
    if high is None:
        return [low], [0.0, 1.0], low
    return [low, high], [0.0, 1.0, 0.0], low


def _rrelu(lower, upper, training):
    if training:
        raise UnsupportedModelError("rrelu with training=True draws a random slope at every call; use training=False")
    return [0.0], [(_number(lower, "rrelu's lower") + _number(upper, "rrelu's upper")) / 2, 1.0], 0.0


def _prelu(weight):
    if isinstance(weight, torch.Tensor):
        slope = weight.detach().to("cpu", torch.float64)
        return [0.0], [slope if slope.numel() > 1 else float(slope.reshape(())), 1.0], 0.0
    return [0.0], [_number(weight, "prelu's weight"), 1.0], 0.0


def _hardtanh(min_val, max_val):
    low, high = _number(min_val, "hardtanh's min_val"), _number(max_val, "hardtanh's max_val")
    return [low, high], [0.0, 1.0, 0.0], low


def _softshrink(lambd):
    lambd = _number(lambd, "softshrink's lambd")
    return [-lambd, lambd], [1.0, 0.0, 1.0], lambd


@dataclass(frozen=True)
class Activation:
    """A continuous piecewise-linear activation.

    Attributes
    ----------
    name : str
        Its function name in ``torch``, ``torch.nn.functional`` and as a tensor method
        (the in-place ``name_`` too).
    modules : tuple of type
        ``nn`` classes computing it (subclasses included: ``nn.ReLU6`` is a ``Hardtanh``).
    arguments : tuple of (str, default)
        The arguments after the input, in positional order.
    parameters : callable
        ``parameters(**arguments) -> (breakpoints, slopes, intercept)``.
    aliases : tuple of str
        Other names of the same function (``clip`` for ``clamp``).
    """

    name: str
    modules: tuple[type, ...]
    arguments: tuple[tuple[str, object], ...]
    parameters: Callable[..., tuple]
    aliases: tuple[str, ...] = ()


ACTIVATIONS = (
    Activation("relu", (nn.ReLU,), (), lambda: ([0.0], [0.0, 1.0], 0.0)),
    Activation(
        "leaky_relu",
        (nn.LeakyReLU,),
        (("negative_slope", 0.01),),
        lambda negative_slope: ([0.0], [_number(negative_slope, "leaky_relu's negative_slope"), 1.0], 0.0),
    ),
    Activation("rrelu", (nn.RReLU,), (("lower", 1 / 8), ("upper", 1 / 3), ("training", False)), _rrelu),
    Activation("prelu", (nn.PReLU,), (("weight", REQUIRED),), _prelu),
    Activation("hardtanh", (nn.Hardtanh,), (("min_val", -1.0), ("max_val", 1.0)), _hardtanh),
    Activation("relu6", (), (), lambda: ([0.0, 6.0], [0.0, 1.0, 0.0], 0.0)),
    Activation("hardsigmoid", (nn.Hardsigmoid,), (), lambda: ([-3.0, 3.0], [0.0, 1 / 6, 0.0], 0.0)),
    Activation("softshrink", (nn.Softshrink,), (("lambd", 0.5),), _softshrink),
    Activation("abs", (), (), lambda: ([0.0], [-1.0, 1.0], 0.0), aliases=("absolute",)),
    Activation("clamp", (), (("min", None), ("max", None)), _clamp, aliases=("clip",)),
)
ACTIVATION_MODULES = tuple(cls for activation in ACTIVATIONS for cls in activation.modules)
_BY_NAME = {name: a for a in ACTIVATIONS for name in (a.name, *a.aliases)}
SUPPORTED_ACTIVATIONS = ", ".join(
    [cls.__name__ for cls in ACTIVATION_MODULES] + ["ReLU6"] + [f"{a.name}()" for a in ACTIVATIONS]
)
"""The activations, as the error messages and the README list them."""


def module_parameters(module: nn.Module):
    """``(breakpoints, slopes, intercept)`` of an activation module of the table, else None."""
    for activation in ACTIVATIONS:
        if activation.modules and isinstance(module, activation.modules):
            return activation.parameters(**{name: getattr(module, name) for name, _ in activation.arguments})
    return None


def function_name(target) -> str:
    """The table name of a call target: a function, a builtin or a method name (``relu_`` -> ``relu``)."""
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    return name.rstrip("_")


def is_activation_call(target) -> bool:
    """True when ``target`` (a traced call's target) is an activation of the table."""
    return function_name(target) in _BY_NAME


def call_parameters(target, args: tuple, kwargs: dict, label: str):
    """``(breakpoints, slopes, intercept)`` of a traced call ``target(input, *args, **kwargs)``.

    Arguments must already be constants (numbers, or tensors read from the model).

    Raises
    ------
    UnsupportedModelError
        For a call with unknown or missing arguments, or non-constant ones.
    """
    activation = _BY_NAME[function_name(target)]
    names = [name for name, _ in activation.arguments]
    kwargs = {k: v for k, v in kwargs.items() if k != "inplace"}
    positional = list(args)
    if len(positional) > len(names):  # a trailing positional ``inplace``
        positional = positional[: len(names)]
    values = dict(zip(names, positional))
    unknown = set(kwargs) - set(names)
    if unknown:
        raise UnsupportedModelError(f"{label}: unknown arguments {sorted(unknown)} for {activation.name}")
    values.update(kwargs)
    for name, default in activation.arguments:
        values.setdefault(name, default)
        if values[name] is REQUIRED:
            raise UnsupportedModelError(f"{label}: {activation.name} needs its {name!r} argument")
    try:
        return activation.parameters(**values)
    except UnsupportedModelError as exc:
        raise UnsupportedModelError(f"{label}: {exc}") from None
