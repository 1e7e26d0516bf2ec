"""A decision-boundary segment only where the class really changes across it, and at most one per place.

Where outputs only touch a level (or two classes only tie) along a kink, as ``|u|`` does at
``u = 0``, the same class wins on both sides: no boundary.  Every segment is checked with the
real model evaluated just either side of it, and the boundary's length against the perimeters
of the class areas (an independent measure: the class areas' perimeters count every boundary
twice and the domain's border once).
"""

import numpy as np
import pytest
import shapely
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from splinecam_widget import Slice, SplineCamError, partition, square_domain

BACKENDS = ("compiled", "torch")
SQUARE = Slice(np.zeros(2), np.eye(2), square_domain(1.0))


class Head(nn.Module):
    """A random ReLU MLP on 2 inputs whose outputs go through ``relu`` or ``abs`` (kinks at the level 0)."""

    def __init__(self, seed: int, outputs: int, last: str):
        super().__init__()
        torch.manual_seed(seed)
        self.body = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, outputs))
        self.last = last

    def forward(self, x):
        y = self.body(x)
        return torch.relu(y) if self.last == "relu" else torch.abs(y)


class Columns(nn.Module):
    """Outputs built from ``u = x[:, :1]``: ``|u|``, ``[|u|, 0]``, ``relu(u)``, ``-|u|``."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def forward(self, x):
        u = x[:, :1]
        if self.kind == "abs":
            return u.abs()
        if self.kind == "abs-and-zero":
            return torch.cat([u.abs(), 0 * u], dim=1)
        if self.kind == "relu":
            return torch.relu(u)
        return -u.abs()


def model_class(model, partition, points, level_index):
    with torch.no_grad():
        out = model(torch.from_numpy(partition.slice.to_input(points))).double().numpy().reshape(len(points), -1)
    if out.shape[1] == 1:
        return (out[:, 0] > np.asarray(partition.levels)[level_index]).astype(int)
    return out.argmax(axis=1)


def check_real_boundary(model, p):
    """The model's class differs just either side of every segment; no two segments overlap."""
    if len(p.boundary):
        start, end = p.boundary[:, 0], p.boundary[:, 1]
        direction = end - start
        length = np.linalg.norm(direction, axis=1)
        normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1) / length[:, None]
        middle = (start + end) / 2
        step = 1e-7 * np.sqrt(p.slice.domain_area)
        inside = (p.region_at(middle + step * normal) >= 0) & (p.region_at(middle - step * normal) >= 0)
        left = model_class(model, p, middle + step * normal, p.boundary_levels)
        right = model_class(model, p, middle - step * normal, p.boundary_levels)
        assert np.all((left != right)[inside]), "a segment where the class does not change"
        lines = shapely.linestrings(p.boundary)
        tree = shapely.STRtree(lines)
        a, b = tree.query(lines, predicate="intersects")
        pairs = a < b
        shared = shapely.length(shapely.intersection(lines[a[pairs]], lines[b[pairs]], grid_size=1e-12))
        assert shared.sum() <= 1e-9 * length.sum(), "two segments in one place"


def class_area_perimeters(p) -> float:
    """Half the class areas' perimeters beyond the domain's: the boundary's length, measured independently."""
    cells = p.class_cells
    pieces = list(p.to_shapely()[np.setdiff1d(np.arange(p.n_regions), cells.regions)])
    classes = list(p.predicted_class[np.setdiff1d(np.arange(p.n_regions), cells.regions)])
    for c, (a, b) in enumerate(zip(cells.offsets[:-1], cells.offsets[1:])):
        pieces.append(shapely.Polygon(cells.vertices[a:b]))
        classes.append(cells.classes[c])
    pieces, classes = np.array(pieces, dtype=object), np.array(classes)
    total = sum(ring_length(shapely.union_all(pieces[classes == k], grid_size=1e-9)) for k in np.unique(classes))
    return (total - shapely.Polygon(p.slice.domain).length) / 2


def ring_length(area) -> float:
    """Length of an area's rings, without the zero-area slits GEOS's union can leave inside."""
    rings = [ring for part in getattr(area, "geoms", [area]) for ring in (part.exterior, *part.interiors)]
    return sum(ring.length for ring in rings if shapely.Polygon(ring).area > 1e-6 * ring.length**2)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kind, levels, expected_length",
    [("abs", [0.0], 0.0), ("abs-and-zero", None, 0.0), ("neg", [0.0], 0.0), ("relu", [0.0], 2.0), ("abs", [0.5], 4.0)],
)
def test_touching_the_level_along_a_kink_is_no_boundary(backend, kind, levels, expected_length):
    model = Columns(kind)
    p = partition(model, SQUARE, levels=levels, backend=backend)
    assert p.stats().boundary_length == pytest.approx(expected_length, abs=1e-12)
    check_real_boundary(model, p)
    if expected_length == 0.0:
        with pytest.raises(SplineCamError, match="no length"):
            p.sample_boundary(4, seed=0)
    else:
        samples = p.sample_boundary(50, seed=0)
        assert np.all(samples.classes == [0, 1])


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31), st.sampled_from([(1, "relu"), (1, "abs"), (2, "relu"), (3, "relu")]))
def test_outputs_with_kinks_at_the_level_have_a_boundary_only_where_the_class_changes(backend, seed, head):
    outputs, last = head
    model = Head(seed, outputs, last).double().eval()
    p = partition(model, SQUARE, backend=backend)
    check_real_boundary(model, p)
    assert p.stats().boundary_length == pytest.approx(class_area_perimeters(p), rel=1e-6, abs=1e-9)
