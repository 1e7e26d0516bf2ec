"""Binary encoding of partitions for the front end: round trip, dtypes, precision far from the origin."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from splinecam_widget import Slice, partition, square_domain
from splinecam_widget.colors import region_colors
from splinecam_widget.widget._wire import decode_geometry, decode_style, encode_geometry, encode_style


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
    ).eval()


@pytest.fixture(scope="module")
def part(model):
    return partition(model, Slice.from_anchors(np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])))


def test_round_trip_restores_every_array_to_float32_precision(part):
    d = decode_geometry(encode_geometry(part, seq=3, frame=2))
    assert (d["n_regions"], d["n_outputs"], d["seq"], d["frame"], d["partial"]) == (part.n_regions, 3, 3, 2, False)
    np.testing.assert_array_equal(d["offsets"], part.offsets)
    np.testing.assert_array_equal(d["edge_layer"], part.edge_layer)
    np.testing.assert_allclose(d["vertices"], part.vertices, atol=1e-6)
    np.testing.assert_allclose(d["areas"], part.areas, rtol=1e-6)
    np.testing.assert_allclose(d["boundary"], part.boundary, atol=1e-6)
    np.testing.assert_allclose(d["affine"], part.affine, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d["domain"], part.slice.domain)


def test_arrays_travel_as_little_endian_binary_buffers_of_the_documented_dtypes(part):
    e = encode_geometry(part, seq=1, frame=1)
    R, N, K, S = part.n_regions, len(part.vertices), part.n_outputs, len(part.boundary)
    sizes = {
        "vertices": N * 2 * 4,
        "offsets": (R + 1) * 4,
        "areas": R * 4,
        "edge_layer": N * 2,
        "affine": R * K * 3 * 4,
        "boundary": S * 4 * 4,
    }
    for name, size in sizes.items():
        assert isinstance(e[name], memoryview), name
        assert e[name].nbytes == size, name
    assert not any(isinstance(v, list) and len(v) > 16 for v in e.values())


def test_coordinates_keep_their_precision_far_from_the_origin(model):
    far = Slice(np.zeros(2), np.eye(2), square_domain(1e-2, center=(1e3, -2e3)))
    p = partition(model, far)
    d = decode_geometry(encode_geometry(p, seq=1, frame=1))
    # float32 of absolute coordinates would be off by ~1e-4, 1 % of the domain width
    np.testing.assert_allclose(d["vertices"], p.vertices, rtol=0, atol=1e-9)
    uv1 = np.concatenate([p.centroids, np.ones((p.n_regions, 1))], axis=1)
    want = np.einsum("rkj,rj->rk", p.affine, uv1)
    got = np.einsum("rkj,rj->rk", d["affine"], uv1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_partial_partition_has_no_affine_buffer(model):
    events = []
    partition(model, Slice.from_anchors(np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])), progress=events.append)
    partial = events[0].partial
    e = encode_geometry(partial, seq=1, frame=1, layer=0, n_layers=events[0].n_layers)
    assert e["partial"] and e["affine"] is None and e["layer"] == 0 and e["n_layers"] == 2
    assert decode_geometry(e)["n_regions"] == events[0].n_regions


def test_style_round_trip(part):
    coloring = region_colors(part, "layer")
    d = decode_style(encode_style(coloring, seq=7, mode="layer"))
    np.testing.assert_array_equal(d["fill"], coloring.fill)
    np.testing.assert_array_equal(d["edge_palette"], coloring.edge_palette)
    assert d["seq"] == 7 and d["mode"] == "layer" and d["legend"] == coloring.legend
