"""An independent oracle: the linear regions of a small ReLU MLP with 2 inputs, in exact rational arithmetic.

Nothing here shares code or tolerances with the engine: polygons are lists of
``fractions.Fraction`` points, a line cuts a polygon only where it is strictly positive at
one vertex and strictly negative at another, and every value is exact.  Float64 weights
and coordinates are exact rationals, so this computes exactly the partition of the
float64 model (as real arithmetic would), degenerate arrangements included.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from torch import nn


def rational(x) -> Fraction:
    """The exact value of a float (or int)."""
    return Fraction(float(x))


def split(polygon, line):
    """The parts of a convex polygon where ``line . (u, v, 1)`` is >= 0 and <= 0 (each None when empty)."""
    a, b, c = line
    values = [a * u + b * v + c for u, v in polygon]
    if all(value >= 0 for value in values) or all(value <= 0 for value in values):
        return None
    above, below = [], []
    for j, (p, fp) in enumerate(zip(polygon, values)):
        q, fq = polygon[(j + 1) % len(polygon)], values[(j + 1) % len(polygon)]
        if fp >= 0:
            above.append(p)
        if fp <= 0:
            below.append(p)
        if (fp > 0 > fq) or (fp < 0 < fq):
            t = fp / (fp - fq)
            point = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
            above.append(point)
            below.append(point)
    return above, below


def interior_point(polygon):
    """The vertex average (inside a convex polygon with area)."""
    n = len(polygon)
    return sum(p[0] for p in polygon) / n, sum(p[1] for p in polygon) / n


def linear_layers(model: nn.Sequential):
    """``[(weight rows, bias)]`` of each Linear, as Fractions (2-input MLPs of Linear and ReLU)."""
    layers = []
    for module in model:
        if isinstance(module, nn.Linear):
            weight = module.weight.detach().double().numpy()
            bias = np.zeros(len(weight)) if module.bias is None else module.bias.detach().double().numpy()
            layers.append(([[rational(w) for w in row] for row in weight], [rational(x) for x in bias]))
        elif not isinstance(module, nn.ReLU):
            raise TypeError(f"the oracle takes Linear and ReLU only, got {type(module).__name__}")
    return layers


def exact_region_count(model: nn.Sequential, origin, domain) -> int:
    """Regions of the 2-input ReLU MLP ``model`` on the plane ``x = origin + (u, v)`` inside ``domain``.

    Each hidden layer cuts every region along the zero lines of its units, in order; a
    piece's pattern is read at its interior point; the last Linear only maps.
    """
    ox, oy = (rational(x) for x in origin)
    regions = [([(rational(u), rational(v)) for u, v in domain], [[1, 0, ox], [0, 1, oy]])]
    layers = linear_layers(model)
    for weight, bias in layers[:-1]:
        next_regions = []
        for polygon, maps in regions:
            lines = [
                [sum(w * m[k] for w, m in zip(row, maps)) + (beta if k == 2 else 0) for k in range(3)]
                for row, beta in zip(weight, bias)
            ]
            pieces = [polygon]
            for line in lines:
                cut = []
                for piece in pieces:
                    halves = split(piece, line)
                    cut.extend([piece] if halves is None else halves)
                pieces = cut
            for piece in pieces:
                u, v = interior_point(piece)
                active = [line[0] * u + line[1] * v + line[2] > 0 for line in lines]
                next_regions.append((piece, [line if on else [0, 0, 0] for line, on in zip(lines, active)]))
        regions = next_regions
    return len(regions)
