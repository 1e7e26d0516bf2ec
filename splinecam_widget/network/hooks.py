"""Refusing models whose forward is changed in ways conversion would silently ignore.

Conversion reads each module's own computation: a plain Sequential's layers directly, any
other model by recording its class's ``forward`` (:mod:`.trace`), which never runs hooks;
the layers and activations it knows (:data:`LEAF_MODULES`) are converted from their weights and
settings, without running ``forward`` at all.  A forward hook (``lambda mod, inputs,
output: -output``), a forward pre-hook, a global module hook, a ``forward`` set on the
instance, or a subclass of a known layer that overrides ``forward`` would therefore give
the partition of another function, so :func:`refuse_forward_changes` refuses them, naming
the module and the hook.

torch's own users of forward pre-hooks get their own advice: the old
``torch.nn.utils.weight_norm`` / ``spectral_norm`` (recompute ``weight`` before each call;
the parametrizations of ``torch.nn.utils.parametrizations`` are read correctly), pruning
(``torch.nn.utils.prune.remove`` makes the pruned weight permanent) and lazy modules (not
yet run once).  Backward and state-dict hooks do not change the forward and are left alone.
"""

from __future__ import annotations

import functools

from torch import nn
from torch.nn.modules import module as torch_module

from ..errors import UnsupportedModelError
from .modules import LEAF_MODULES
from .origins import user_class
from .piecewise import declared_piecewise_linear

REMEDY = "remove it (keep the handle its register_* call returned and call handle.remove()) before partitioning"


def hook_name(hook) -> str:
    """The name of a hook's function (a partial's function, a callable object's class)."""
    while isinstance(hook, functools.partial):
        hook = hook.func
    name = getattr(hook, "__qualname__", None) or getattr(hook, "__name__", None)
    return name if isinstance(name, str) else type(hook).__qualname__


def torch_pre_hook_advice(hook, label: str) -> str | None:
    """The advice for a forward pre-hook torch itself registers, or ``None`` for another hook."""
    kind = type(hook).__module__ + "." + type(hook).__qualname__
    if kind == "torch.nn.utils.weight_norm.WeightNorm":
        return (
            f"{label} uses the old torch.nn.utils.weight_norm, a forward pre-hook that recomputes "
            f"{hook.name!r} before each call, so its value between calls is stale; use "
            "torch.nn.utils.parametrizations.weight_norm instead (a parametrization, read correctly)"
        )
    if kind == "torch.nn.utils.spectral_norm.SpectralNorm":
        return (
            f"{label} uses the old torch.nn.utils.spectral_norm, a forward pre-hook that recomputes "
            f"{hook.name!r} before each call, so its value between calls is stale; use "
            "torch.nn.utils.parametrizations.spectral_norm instead (a parametrization, read correctly)"
        )
    if kind.startswith("torch.nn.utils.prune."):
        name = getattr(hook, "_tensor_name", "weight")
        return (
            f"{label} is pruned with torch.nn.utils.prune, a forward pre-hook that recomputes {name!r} "
            f"before each call; call torch.nn.utils.prune.remove(module, {name!r}) first to make the pruning "
            "permanent"
        )
    if getattr(hook, "__name__", None) == "_infer_parameters":
        return f"{label} is a lazy module whose shapes are not known yet; run the model once on an input first"
    return None


def overridden_forward(module: nn.Module) -> type | None:
    """The user's class whose ``forward`` replaces that of a layer in :data:`LEAF_MODULES`, else ``None``."""
    if not isinstance(module, LEAF_MODULES) or declared_piecewise_linear(module) is not None:
        return None
    for cls in type(module).__mro__:
        if "forward" in vars(cls):
            return cls if user_class(cls) else None
    return None


def refuse_forward_changes(model: nn.Module) -> None:
    """Refuse what changes a forward behind conversion's back (see the module docstring).

    Forward hooks, forward pre-hooks, global module hooks, instance ``forward`` attributes,
    and known layers whose subclass overrides ``forward``.

    Raises
    ------
    UnsupportedModelError
        Naming the module (qualified name and type) and the hook (its kind and function).
    """
    for kind, name, register in (
        ("forward hook", "_global_forward_hooks", "register_module_forward_hook"),
        ("forward pre-hook", "_global_forward_pre_hooks", "register_module_forward_pre_hook"),
    ):
        hooks = getattr(torch_module, name, {})
        if hooks:
            hook = next(iter(hooks.values()))
            raise UnsupportedModelError(
                f"a global {kind} {hook_name(hook)} (torch.nn.modules.module.{register}) runs on every module's "
                "call and may change what it returns; the engine converts the modules themselves, so the "
                f"partition would be of another function; {REMEDY}"
            )
    for name, module in model.named_modules():
        label = f"model.{name} ({type(module).__name__})" if name else f"the model ({type(module).__name__})"
        own = vars(module)
        if "forward" in own:
            raise UnsupportedModelError(
                f"{label} has a forward set on the instance ({hook_name(own['forward'])}); the engine converts "
                f"what its class computes, {type(module).__name__}.forward; define forward in a subclass instead"
            )
        override = overridden_forward(module)
        if override is not None:
            base = next(c for c in type(module).__mro__ if c in LEAF_MODULES)
            raise UnsupportedModelError(
                f"{label} is a {base.__name__} whose forward {override.__qualname__}.forward replaces "
                f"{base.__name__}'s; the engine converts a {base.__name__} from its weights and settings without "
                f"running forward, so the override would be ignored; keep the {base.__name__} as an attribute of "
                "your own module and call it in that module's forward instead of subclassing it (or declare an "
                "activation with splinecam_widget.declare_piecewise_linear)"
            )
        with_kwargs = getattr(module, "_forward_pre_hooks_with_kwargs", {})
        for key, hook in getattr(module, "_forward_pre_hooks", {}).items():
            advice = torch_pre_hook_advice(hook, label)
            kind = "forward pre-hook with kwargs" if key in with_kwargs else "forward pre-hook"
            raise UnsupportedModelError(
                advice
                or f"{label} has a {kind} {hook_name(hook)}, which may change its input; the engine converts the "
                f"module itself, so the partition would be of another function; {REMEDY}"
            )
        for hook in getattr(module, "_forward_hooks", {}).values():
            raise UnsupportedModelError(
                f"{label} has a forward hook {hook_name(hook)}, which may change its output; the engine converts "
                f"the module itself, so the partition would be of another function; {REMEDY}"
            )
