"""Property tests: on random networks, slices and domains the partition is exact."""

import numpy as np
import pytest
import torch
from engine_checks import ACTIVATIONS, check_against_model, check_boundary, check_class_cells, check_tiling, mlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from splinecam_widget import Slice, partition

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_convex_polygon(rng, n, scale):
    """Convex hull-free construction: sorted angles on an ellipse, shifted."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = scale * rng.uniform(0.5, 1.5, 2)
    centre = rng.normal(size=2) * scale * 0.2
    return centre + np.stack([radii[0] * np.cos(angles), radii[1] * np.sin(angles)], axis=1)


@st.composite
def networks_and_slices(draw):
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    n_in = draw(st.sampled_from([2, 3, 10]))
    hidden = draw(st.lists(st.integers(2, 12), min_size=1, max_size=3))
    n_out = draw(st.sampled_from([1, 2, 4]))
    activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
    batchnorm = draw(st.booleans())
    model = mlp([n_in, *hidden, n_out], activation, batchnorm, seed)
    anchors = torch.from_numpy(rng.normal(size=(3, n_in)))
    kind = draw(st.sampled_from(["square", "triangle", "polygon"]))
    if kind == "polygon":
        base = Slice.from_anchors(anchors)
        domain = random_convex_polygon(rng, draw(st.integers(3, 9)), np.abs(base.anchors_2d).max() * 2)
        plane = base.with_domain(domain)
    else:
        plane = Slice.from_anchors(anchors, domain=kind, margin=draw(st.floats(0.0, 3.0)))
    levels = None
    if n_out == 1 and draw(st.booleans()):
        levels = sorted(rng.normal(scale=0.3, size=draw(st.integers(1, 3))))
    return model, plane, levels, rng


@PROPERTY_SETTINGS
@given(networks_and_slices())
def test_regions_tile_the_domain(case):
    model, plane, levels, _ = case
    check_tiling(partition(model, plane, levels=levels))


@PROPERTY_SETTINGS
@given(networks_and_slices())
def test_each_region_has_one_pattern_and_the_models_affine_map(case):
    model, plane, levels, rng = case
    check_against_model(model, partition(model, plane, levels=levels), rng)


@PROPERTY_SETTINGS
@given(networks_and_slices())
def test_decision_boundary_separates_its_two_classes(case):
    model, plane, levels, rng = case
    check_boundary(partition(model, plane, levels=levels), rng)


@PROPERTY_SETTINGS
@given(networks_and_slices())
def test_class_cells_cut_boundary_regions_exactly_by_the_models_class(case):
    model, plane, levels, rng = case
    check_class_cells(model, partition(model, plane, levels=levels), rng)


@pytest.mark.parametrize("widths", [(2, 32, 32, 3), (784, 64, 64, 10), (20, 32, 32, 40)])
def test_larger_networks_are_exact_too(widths):
    model = mlp(widths, seed=3)
    plane = Slice.from_anchors(torch.randn(3, widths[0], generator=torch.Generator().manual_seed(1)))
    result = partition(model, plane, verify=True)
    check_tiling(result)
    rng = np.random.default_rng(0)
    check_against_model(model, result, rng, per_region=1)
    check_boundary(result, rng)
