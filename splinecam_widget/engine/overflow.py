"""Refuse a partition whose maps are not finite, naming the layer where float64 ran out.

A network whose values overflow float64 on the slice (weights of 1e160 multiply to 1e320),
or divide by zero, has no finite affine maps: its regions and boundary would be nonsense.
The layer loop checks the output maps once at the end (non-finite values propagate through
every later stage) and, if any is not finite, evaluates the network at the window's corners
and centre to name the first stage whose output is not finite.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import SplineCamError
from ..frame import WorkingPlane
from ..network.program import Network


def check_finite(maps: torch.Tensor, network: Network, planes: list[WorkingPlane]) -> None:
    """Raise :class:`SplineCamError` when ``maps`` hold NaN or infinite values (see module docstring)."""
    values = maps.numpy() if maps.device.type == "cpu" else maps
    if math.isfinite(float(values.sum())):
        return  # a finite sum has finite terms (NaN and infinity propagate): the common case, cheaply
    if bool(torch.isfinite(maps).all()):
        return  # finite terms whose sum overflowed
    found = None
    for plane in planes:
        local = np.concatenate([plane.domain, plane.domain.mean(axis=0, keepdims=True)])
        inputs = plane.origin + local @ plane.basis.T
        x = torch.from_numpy(inputs).to(network.device).reshape(len(local), *network.input_shape)
        with torch.no_grad():
            found = network.first_non_finite(x)
        if found is not None:
            break
    if found is None:
        where = "in the affine maps across the slice (their slopes overflow)"
    else:
        name, largest = found
        where = f"from {name} on, whose inputs reach {largest:.3g} on this slice"
    raise SplineCamError(
        f"the network's values are not finite (NaN or infinite) {where}: float64 products overflow "
        "(beyond 1.8e308) or a division by zero; rescale the weights or the inputs"
    )
