"""TorchScript modules of ``torch.nn`` layers rebuilt as those layers (for files saved with torch.jit)."""

from __future__ import annotations

import inspect

from torch import nn

from ..errors import SplineCamError


def unscript(scripted) -> nn.Module:
    """Rebuild ``torch.nn`` layers from a TorchScript module (their constructor arguments are attributes)."""
    name = scripted.original_name
    if name == "Sequential":
        return nn.Sequential(*[unscript(child) for child in scripted.children()]).train(scripted.training)
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise SplineCamError(
            f"the TorchScript file holds a {name}, which is not a torch.nn layer; save the module with "
            "torch.save(model, path) or pass --model package.module:attribute"
        )
    arguments = {}
    for parameter in list(inspect.signature(cls.__init__).parameters)[1:]:
        if parameter == "bias" and hasattr(scripted, "bias"):
            arguments["bias"] = scripted.bias is not None
        elif parameter in ("device", "dtype"):
            continue
        elif hasattr(scripted, parameter):
            arguments[parameter] = getattr(scripted, parameter)
    layer = cls(**arguments)
    layer.load_state_dict(scripted.state_dict())
    return layer.train(scripted.training)
