"""Arrangements where many lines meet in one point, against an oracle that shares nothing with the engine.

The oracle is exact rational arithmetic (``exact_oracle.py``) or, for ``n`` distinct lines
through one point inside the window, ``2n`` sectors.  Weights and points are small
integers scaled by powers of two, so the float64 model is exactly the rational one and
its lines really meet: at the plane's origin, elsewhere, at several points, with windows
and weights at scales 1e-6..1e6 (powers of two, so every scale is the same model).  Both
backends run every example.
"""

import numpy as np
import pytest
import torch
from engine_checks import check_against_model, check_tiling
from exact_oracle import exact_region_count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from splinecam_widget import Slice, local_density, partition, square_domain

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = ("compiled", "torch")
scales = st.integers(-20, 20).map(lambda k: 2.0**k)  # 1e-6 .. 1e6, exactly
small = st.integers(-3, 3)


def mlp_with(weights, biases) -> nn.Sequential:
    """A float64 ReLU MLP with the given weight matrices and bias vectors (None: bias-free layer)."""
    layers: list[nn.Module] = []
    for i, (weight, bias) in enumerate(zip(weights, biases)):
        weight = torch.as_tensor(np.asarray(weight, float))
        linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None).double()
        with torch.no_grad():
            linear.weight.copy_(weight)
            if bias is not None:
                linear.bias.copy_(torch.as_tensor(np.asarray(bias, float)))
        layers += [linear, nn.ReLU()] if i < len(weights) - 1 else [linear]
    return nn.Sequential(*layers).eval()


def distinct_directions(weight) -> int:
    """Lines through one point with these normals: how many differ (parallel normals are one line)."""
    angles = {round(float(np.arctan2(w[1], w[0]) % np.pi), 12) for w in weight if np.any(w)}
    return len(angles)


@st.composite
def concurrent_arrangements(draw):
    """Groups of 2-6 first-layer lines, each group through its own point, a second ReLU layer, a window."""
    scale = draw(scales)
    groups = draw(st.integers(1, 3))
    rows, biases = [], []
    for _ in range(groups):
        point = np.array([draw(small), draw(small)]) / 4.0
        for _ in range(draw(st.integers(2, 6))):
            w = np.array([draw(small), draw(small)], float)
            if not w.any():
                w[0] = 1.0
            rows.append(w)
            biases.append(-(w @ point) * scale)
    hidden = draw(st.integers(1, 4))
    second = np.array([[draw(small) for _ in rows] for _ in range(hidden)], float)
    second_bias = np.array([draw(small) for _ in range(hidden)], float) * scale / 4
    model = mlp_with([np.array(rows), second, np.ones((1, hidden))], [biases, second_bias, [0.0]])
    centre = np.array([draw(small), draw(small)]) / 8.0 * scale
    half_width = draw(st.sampled_from([0.5, 1.0, 2.0])) * scale
    return model, centre, half_width


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(concurrent_arrangements(), st.sampled_from(["origin", "window"]))
def test_lines_meeting_in_points_match_exact_arithmetic(backend, arrangement, where):
    model, centre, half_width = arrangement
    # the same window two ways: centred on the plane's origin, or away from it
    origin, domain_centre = (centre, (0.0, 0.0)) if where == "origin" else (np.zeros(2), centre)
    plane = Slice(origin, np.eye(2), square_domain(half_width, center=domain_centre))
    result = partition(model, plane, backend=backend)
    expected = exact_region_count(model, origin, plane.domain)
    assert result.n_regions == expected
    check_tiling(result)
    check_against_model(model, result, np.random.default_rng(0))


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(
    st.integers(2, 12),
    st.integers(0, 2**31),
    scales,
    scales,
    st.tuples(st.floats(-0.9, 0.9), st.floats(-0.9, 0.9)),
)
def test_bias_free_lines_make_two_sectors_each(backend, n, seed, window_scale, weight_scale, offset):
    # n generic lines through the plane's origin, the window anywhere around it
    weight = np.random.default_rng(seed).normal(size=(n, 2)) * weight_scale
    model = mlp_with([weight, np.ones((1, n))], [None, [0.0]])
    plane = Slice(np.zeros(2), np.eye(2), square_domain(window_scale, center=np.array(offset) * window_scale))
    result = partition(model, plane, backend=backend)
    assert result.n_regions == 2 * distinct_directions(weight)
    check_tiling(result)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31), scales, st.tuples(st.floats(-0.9, 0.9), st.floats(-0.9, 0.9)))
def test_bias_free_two_layer_networks_match_exact_arithmetic(backend, seed, window_scale, offset):
    # every bent line of a positively homogeneous network passes through the origin
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(6, 2)), rng.normal(size=(5, 6)), rng.normal(size=(1, 5))]
    model = mlp_with(weights, [None, None, None])
    plane = Slice(np.zeros(2), np.eye(2), square_domain(window_scale, center=np.array(offset) * window_scale))
    result = partition(model, plane, backend=backend)
    assert result.n_regions == exact_region_count(model, np.zeros(2), plane.domain)
    check_tiling(result)
    check_against_model(model, result, rng)


@pytest.mark.parametrize("seed", range(10))
def test_twelve_bias_free_lines_away_from_the_window_centre_make_24_sectors(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 12, bias=False), nn.ReLU(), nn.Linear(12, 1)).eval()
    plane = Slice(np.zeros(2), np.eye(2), square_domain(1.0, center=(0.37, -0.21)))
    for backend in BACKENDS:
        result = partition(model, plane, backend=backend, verify=True)
        assert result.n_regions == 24
        check_tiling(result)


def test_four_lines_two_through_the_origin_make_ten_regions():
    model = mlp_with([[[-1, 3], [-3, -1], [-2, 3], [-2, 2]], np.ones((1, 4))], [[0, 0.5, 0, 0], [0.0]])
    plane = Slice(np.zeros(2), np.eye(2), square_domain(1.0))
    assert exact_region_count(model, np.zeros(2), plane.domain) == 10
    for backend in BACKENDS:
        result = partition(model, plane, backend=backend, verify=True)
        assert result.n_regions == 10
        assert result.areas.min() > 1e-3


def test_local_density_at_the_origin_of_a_bias_free_network():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 12, bias=False), nn.ReLU(), nn.Linear(12, 1)).eval()
    density = local_density(model, torch.zeros(1, 2), radius=0.5, n_slices=2, seed=0)
    np.testing.assert_array_equal(density, [24.0])
