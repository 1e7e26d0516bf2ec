"""Partitions do not depend on where the plane's origin lies: deep zooms anywhere, translations up to 2**30.

The engine computes each slice in its window's own coordinates (``splinecam_widget/frame.py``),
so a window far from the plane's origin, or deep inside a plane whose origin is far away,
gets the partition it would get with the origin at its centre.
"""

import numpy as np
import pytest
import torch
from engine_checks import check_against_model, check_tiling, mlp
from torch import nn

from splinecam_widget import Slice, partition, square_domain

BACKENDS = ("compiled", "torch")


class Shift(nn.Module):
    """``x - c``: the network's input translated by ``c``."""

    def __init__(self, c):
        super().__init__()
        self.register_buffer("c", torch.as_tensor(c, dtype=torch.float64))

    def forward(self, x):
        return x - self.c


def five_lines_through(point) -> nn.Sequential:
    """Five distinct lines through ``point`` (2 inputs, 3 outputs)."""
    weight = torch.tensor([[1.0, 0], [1, 1], [1, -2], [3, 1], [0, 1]], dtype=torch.float64)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3)).double().eval()
    with torch.no_grad():
        model[0].weight.copy_(weight)
        model[0].bias.copy_(-(weight @ torch.as_tensor(point, dtype=torch.float64)))
    return model


def pattern_set(p) -> np.ndarray:
    return np.sort(p.pattern_ids)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("half_width", [1e-6, 1e-9, 1e-11, 1e-12])
def test_five_lines_meeting_far_from_the_origin_stay_ten_sectors_at_any_zoom(backend, half_width):
    point = np.array([0.25, 0.5])
    model = five_lines_through(point)
    at_origin = partition(model, Slice(point, np.eye(2), square_domain(half_width)), backend=backend)
    away = partition(model, Slice(np.zeros(2), np.eye(2), square_domain(half_width, center=point)), backend=backend)
    assert at_origin.n_regions == away.n_regions == 10
    np.testing.assert_array_equal(pattern_set(at_origin), pattern_set(away))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("exponent", [0, 10, 20, 30])
@pytest.mark.parametrize("half_width", [2.0**-40, 1.0])
def test_shifting_the_input_and_the_plane_together_changes_nothing(backend, exponent, half_width):
    model = mlp([2, 12, 12, 3], seed=exponent).double()
    c = np.array([1.0, -3.0]) * 2.0**exponent
    origin = np.array([0.375, -0.125])  # few significant bits: origin + c is exact
    shifted = nn.Sequential(Shift(c), model).eval()
    plain = partition(model, Slice(origin, np.eye(2), square_domain(half_width)), backend=backend)
    moved_plane = partition(shifted, Slice(origin + c, np.eye(2), square_domain(half_width)), backend=backend)
    results = [plain, moved_plane]
    if half_width >= 2.0**-40 * 2.0**exponent:  # the window's corners are representable around origin + c
        window = square_domain(half_width, center=origin + c)
        results.append(partition(shifted, Slice(np.zeros(2), np.eye(2), window), backend=backend))
    for other in results[1:]:
        assert other.n_regions == plain.n_regions
        np.testing.assert_array_equal(pattern_set(other), pattern_set(plain))
        np.testing.assert_allclose(np.sort(other.areas), np.sort(plain.areas), rtol=1e-9)
    check_tiling(results[-1])


def test_the_issue_example_at_a_billion():
    torch.manual_seed(0)
    f = nn.Sequential(nn.Linear(2, 12, bias=False), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 1))
    f = f.double().eval()
    for c, half_width, expected in [(1e3, 1e-9, 24), (1e9, 1.0, None)]:
        shifted = nn.Sequential(Shift([c, c]), f).eval()
        far = partition(shifted, Slice(np.zeros(2), np.eye(2), square_domain(half_width, center=(c, c))), verify=True)
        near = partition(f, Slice(np.zeros(2), np.eye(2), square_domain(half_width)))
        assert far.n_regions == near.n_regions == (expected or near.n_regions)
        np.testing.assert_allclose(
            far.local_affine[np.argsort(far.pattern_ids)],
            near.local_affine[np.argsort(near.pattern_ids)],
            rtol=1e-9,
            atol=1e-12,
        )


def digits_model_and_plane():
    """A 64-32-32-10 MLP trained briefly on scikit-learn's digits, and the plane through three of them."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    x, y = torch.tensor(images, dtype=torch.float32) / 16, torch.tensor(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval(), Slice.from_anchors(x[[0, 1, 2]])


def crossing_vertices(p, count: int, rng) -> np.ndarray:
    """Vertices where two cut edges of a region meet (both edges made by activation layers), inside the domain."""
    following = p._next_vertex()
    previous = np.empty_like(following)
    previous[following] = np.arange(len(following))
    both_cut = (p.edge_layer >= 0) & (p.edge_layer[previous] >= 0)
    candidates = p.vertices[both_cut]
    return candidates[rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("plane_kind", ["digits", "random"])
def test_zooming_to_1e_12_around_vertices_matches_the_origin_at_the_vertex(backend, plane_kind):
    rng = np.random.default_rng(1)
    if plane_kind == "digits":
        model, plane = digits_model_and_plane()
    else:
        model = mlp([20, 24, 24, 5], seed=3)
        plane = Slice.from_anchors(torch.randn(3, 20, generator=torch.Generator().manual_seed(2)) * 5)
    coarse = partition(model, plane, backend=backend)
    for vertex in crossing_vertices(coarse, 6, rng):
        for half_width in (1e-6, 1e-10, 1e-12):
            window = plane.with_domain(square_domain(half_width, center=vertex))
            here = Slice(plane.to_input(vertex[None])[0], plane.basis, square_domain(half_width), plane.input_shape)
            zoomed, reference = partition(model, window, backend=backend), partition(model, here, backend=backend)
            assert zoomed.n_regions == reference.n_regions >= 3
            np.testing.assert_array_equal(pattern_set(zoomed), pattern_set(reference))
            check_tiling(zoomed)
            check_against_model(model, zoomed, rng)
