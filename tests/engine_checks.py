"""Shared builders and exactness checks for the engine tests."""

from __future__ import annotations

import numpy as np
import shapely
import torch
from torch import nn

ACTIVATIONS = {
    "relu": lambda width: nn.ReLU(),
    "leaky": lambda width: nn.LeakyReLU(0.1),
    "prelu": lambda width: nn.PReLU(width, init=0.2),
    "hardtanh": lambda width: nn.Hardtanh(-0.5, 0.5),
}


def mlp(widths, activation="relu", batchnorm=False, seed=0) -> nn.Sequential:
    """A random MLP (eval mode) with the given widths; BatchNorm gets random statistics."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(widths) - 2:
            if batchnorm:
                norm = nn.BatchNorm1d(fan_out)
                norm.running_mean.uniform_(-0.5, 0.5)
                norm.running_var.uniform_(0.5, 2.0)
                norm.weight.data.uniform_(0.5, 1.5)
                norm.bias.data.uniform_(-0.3, 0.3)
                layers.append(norm)
            layers.append(ACTIVATIONS[activation](fan_out))
    return nn.Sequential(*layers).eval()


def interior_points(partition, per_region: int, rng: np.random.Generator):
    """Random points strictly inside each region: (R * per_region, 2) and their region indices."""
    starts = partition.offsets[:-1]
    # Dirichlet weights per region (normalised exponentials), then pulled halfway to the centroid.
    weights = rng.exponential(size=(per_region, len(partition.vertices)))
    totals = np.add.reduceat(weights, starts, axis=1)
    points = np.add.reduceat(weights[..., None] * partition.vertices, starts, axis=1) / totals[..., None]
    points = 0.5 * points + 0.5 * partition.centroids
    regions = np.tile(np.arange(partition.n_regions), per_region)
    return points.reshape(-1, 2), regions


def model_outputs_and_preactivations(model: nn.Module, inputs: torch.Tensor):
    """Float64 copy of ``model`` on ``inputs``: outputs (M, K) and each activation module's input (M, D)."""
    import copy

    reference = copy.deepcopy(model).double()
    captured = []
    activation_types = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.Hardtanh)
    hooks = [
        module.register_forward_hook(lambda mod, args, out: captured.append(args[0].reshape(len(args[0]), -1)))
        for module in reference.modules()
        if isinstance(module, activation_types)
    ]
    with torch.no_grad():
        out = reference(inputs)
    for hook in hooks:
        hook.remove()
    return out.reshape(len(inputs), -1).numpy(), [c.numpy() for c in captured]


def check_tiling(partition, rel_tol=1e-9):
    """Regions are valid convex CCW polygons that tile the domain without overlap.

    Checked in the partition's local coordinates (its window's own, where the engine computed),
    so the tolerances are relative to the window however far it lies from the plane's origin.
    """
    from splinecam_widget.partition import shapely_polygons

    assert partition.n_regions >= 1
    assert np.all(partition.counts >= 3)
    assert np.all(partition.areas > 0)
    assert abs(partition.areas.sum() - partition.slice.domain_area) <= rel_tol * partition.slice.domain_area
    frame = partition.frame
    local_domain = frame.to_local(partition.slice.domain)
    domain_area = partition.slice.domain_area / frame.scale**2
    polys = shapely_polygons(partition.local_vertices, partition.offsets)
    local_areas = partition.areas / frame.scale**2
    assert shapely.is_valid(polys).all()
    hulls = shapely.convex_hull(polys)
    assert np.allclose(shapely.area(hulls), local_areas, rtol=1e-9, atol=1e-15 * domain_area)
    # No overlap: the pairwise intersections have no area.  (GEOS's floating overlay can
    # misreport exactly shared edges; a snapping grid far below any region's size fixes that.)
    size = np.sqrt(domain_area)
    tree = shapely.STRtree(polys)
    left, right = tree.query(polys, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(polys[left[pairs]], polys[right[pairs]], grid_size=1e-12 * size))
    assert overlap.sum() <= 1e-9 * domain_area
    # Inside the domain (so no overlap + full area = a tiling). Plain union_all can drop pieces
    # along nearly-coincident edges; a tiny snapping grid keeps it robust.
    domain = shapely.Polygon(local_domain).buffer(1e-9 * size)
    assert shapely.covered_by(polys, domain).all()
    union = shapely.union_all(polys, grid_size=1e-10 * size)
    assert abs(union.area - domain_area) <= 1e-7 * domain_area


def check_against_model(model, partition, rng, per_region=3, rel_tol=1e-9, patterns=True):
    """Affine maps equal the model, and each region has one activation pattern, at random interior points.

    ``patterns=False`` checks the outputs only (for max layers, whose pattern torch does not expose).
    """
    points, regions = interior_points(partition, per_region, rng)
    inputs = torch.from_numpy(partition.slice.to_input(points))
    outputs, preactivations = model_outputs_and_preactivations(model, inputs)
    predicted = partition.outputs_at(points, regions)
    scale = max(np.abs(outputs).max(), 1.0)
    assert np.abs(predicted - outputs).max() <= rel_tol * scale
    if not patterns:
        return
    assert len(preactivations) == len(partition.layer_names)
    for layer, values in enumerate(preactivations):
        pattern = partition.activation_pattern(layer)[regions]
        breakpoints = layer_breakpoints(model, layer)
        piece = np.searchsorted(breakpoints, values, side="left")  # number of breakpoints < value
        decided = np.min(np.abs(values[..., None] - breakpoints), axis=-1) > 1e-9 * (1 + np.abs(values).max())
        assert np.array_equal(piece[decided], pattern[decided])


def layer_breakpoints(model, layer):
    activation_types = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.Hardtanh)
    module = [m for m in model.modules() if isinstance(m, activation_types)][layer]
    if isinstance(module, nn.Hardtanh):
        return np.array([module.min_val, module.max_val])
    return np.array([0.0])


def check_boundary(partition, rng):
    """Points just either side of each boundary segment get its two classes; untouched regions have one class."""
    if len(partition.boundary) == 0:
        return
    start, end = partition.boundary[:, 0], partition.boundary[:, 1]
    direction = end - start
    length = np.linalg.norm(direction, axis=1)
    keep = length > 1e-6 * np.sqrt(partition.slice.domain_area)
    start, direction, length = start[keep], direction[keep], length[keep]
    classes, levels = partition.boundary_classes[keep], partition.boundary_levels[keep]
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1) / length[:, None]
    middle = start + direction * rng.uniform(0.3, 0.7, size=(len(start), 1))
    step = np.minimum(1e-7 * np.sqrt(partition.slice.domain_area), 1e-3 * length)[:, None]
    sides = []
    for sign in (1.0, -1.0):
        points = middle + sign * step * normal
        inside = partition.region_at(points) >= 0
        out = partition.outputs_at(points[inside])
        sides.append((inside, class_of(partition, out, levels[inside])))
    (in_a, cls_a), (in_b, cls_b) = sides
    both = in_a & in_b
    found = np.sort(np.stack([cls_a[both[in_a]], cls_b[both[in_b]]], axis=1), axis=1)
    assert np.array_equal(found, classes[both])
    # Regions no segment touches: one predicted class (on each side of every level) at all their vertices.
    untouched = np.setdiff1d(np.arange(partition.n_regions), partition.boundary_regions)
    region_of_vertex = np.repeat(np.arange(partition.n_regions), partition.counts)
    mask = np.isin(region_of_vertex, untouched)
    verts, owner = partition.vertices[mask], region_of_vertex[mask]
    shrunk = 0.999 * verts + 0.001 * partition.centroids[owner]
    outputs = partition.outputs_at(shrunk, owner)
    labels = [
        class_of(partition, outputs, np.full(len(owner), level)) for level in range(max(len(partition.levels), 1))
    ]
    for winners in labels:
        first = np.full(partition.n_regions, -1)
        first[owner[::-1]] = winners[::-1]
        assert np.array_equal(winners, first[owner])


def class_of(partition, outputs, levels):
    if partition.n_outputs == 1:
        return (outputs[:, 0] > np.asarray(partition.levels)[levels]).astype(int)
    return outputs.argmax(axis=1)


def check_class_cells(model, partition, rng):
    """The class cells tile each boundary region, and the real model predicts each cell's class inside it."""
    cells = partition.class_cells
    assert np.array_equal(np.unique(cells.regions), np.unique(partition.boundary_regions))
    polys = np.array(
        [shapely.Polygon(cells.vertices[a:b]) for a, b in zip(cells.offsets[:-1], cells.offsets[1:])], dtype=object
    )
    areas = shapely.area(polys)
    assert np.all(areas > 0) and shapely.is_valid(polys).all()
    per_region = np.bincount(cells.regions, areas, minlength=partition.n_regions)
    touched = np.unique(cells.regions)
    assert np.allclose(
        per_region[touched], partition.areas[touched], rtol=1e-9, atol=1e-15 * partition.slice.domain_area
    )
    # random points well inside each cell: the model's class there is the cell's class
    counts = np.diff(cells.offsets)
    owner = np.repeat(np.arange(len(counts)), counts)
    weights = rng.exponential(size=len(owner))
    totals = np.bincount(owner, weights, minlength=len(counts))
    points = np.stack([np.bincount(owner, weights * cells.vertices[:, k], minlength=len(counts)) for k in (0, 1)], 1)
    points = points / np.maximum(totals, 1e-300)[:, None]
    mean = (
        np.stack([np.bincount(owner, cells.vertices[:, k], minlength=len(counts)) for k in (0, 1)], 1)
        / np.maximum(counts, 1)[:, None]
    )
    points = 0.5 * points + 0.5 * mean
    if len(points) == 0:
        return
    outputs, _ = model_outputs_and_preactivations(model, torch.from_numpy(partition.slice.to_input(points)))
    if partition.n_outputs == 1:
        levels = np.sort(partition.levels if partition.levels else (0.0,))
        distance = np.min(np.abs(outputs[:, :1] - levels[None]), axis=1)
        model_class = np.searchsorted(levels, outputs[:, 0], side="left")
    else:
        top2 = np.sort(outputs, axis=1)[:, -2:]
        distance = top2[:, 1] - top2[:, 0]
        model_class = outputs.argmax(axis=1)
    decided = distance > 1e-9 * max(np.abs(outputs).max(), 1.0)
    assert np.array_equal(model_class[decided], cells.classes[decided])
