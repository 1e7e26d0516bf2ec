"""NumPy and GeoJSON exports carry the exact partition."""

import json

import numpy as np
import shapely
import torch
from engine_checks import mlp

from splinecam_widget import Slice, partition
from splinecam_widget.export import save_geojson


def small_partition():
    p = partition(
        mlp((2, 12, 12, 3), seed=2),
        Slice.from_anchors(torch.randn(3, 2, generator=torch.Generator().manual_seed(1)), margin=2.0),
    )
    assert len(p.boundary) > 0
    return p


def test_npz_round_trips_every_array(tmp_path):
    p = small_partition()
    p.to_npz(tmp_path / "p.npz")
    data = np.load(tmp_path / "p.npz")
    for key in ["vertices", "offsets", "areas", "affine", "pattern_ids", "edge_layer", "boundary", "boundary_classes"]:
        assert np.array_equal(data[key], getattr(p, key)), key
    assert list(data["layer_names"]) == p.layer_names
    assert np.array_equal(data["anchors_2d"], p.slice.anchors_2d) and tuple(data["input_shape"]) == p.slice.input_shape


def test_geojson_round_trips_through_shapely_with_the_same_areas(tmp_path):
    p = small_partition()
    save_geojson(p, tmp_path / "p.geojson")
    collection = json.loads((tmp_path / "p.geojson").read_text())
    regions = [f for f in collection["features"] if f["geometry"]["type"] == "Polygon"]
    assert len(regions) == p.n_regions
    polygons = np.array([shapely.geometry.shape(f["geometry"]) for f in regions])
    assert np.allclose(shapely.area(polygons), p.areas, rtol=1e-12)
    first = regions[0]["properties"]
    assert first["index"] == 0 and int(first["pattern_id"]) == int(p.pattern_ids[0])
    assert np.allclose(first["affine"], p.affine[0]) and first["class"] == int(p.predicted_class[0])
    boundary = [f for f in collection["features"] if f["geometry"]["type"] == "MultiLineString"]
    assert len(boundary) == 1 and len(boundary[0]["geometry"]["coordinates"]) == len(p.boundary)
