"""Partitions as data for other tools: NumPy archives and GeoJSON."""

from __future__ import annotations

import json
import os

import numpy as np

from ..errors import SplineCamError
from ..files import atomic_path, file_path, write_text


def partition_to_npz(partition, path) -> None:
    """Write every array of ``partition`` (and its slice) to a compressed ``.npz`` archive, atomically.

    ``.npz`` is appended to ``path`` when it has another suffix, as numpy does; a folder
    is refused (numpy would write ``folder.npz`` beside it).

    Keys: ``vertices, offsets, areas, affine, pattern_ids, edge_layer, boundary,
    boundary_classes, boundary_levels, boundary_regions, levels, layer_names,
    layer_region_counts, origin, basis, domain, anchors_2d, input_shape``.
    """
    plane = partition.slice
    arrays = dict(
        vertices=partition.vertices,
        offsets=partition.offsets,
        areas=partition.areas,
        pattern_ids=partition.pattern_ids,
        edge_layer=partition.edge_layer,
        boundary=partition.boundary,
        boundary_classes=partition.boundary_classes,
        boundary_levels=partition.boundary_levels,
        boundary_regions=partition.boundary_regions,
        levels=np.asarray(partition.levels, dtype=np.float64),
        layer_names=np.asarray(partition.layer_names, dtype=str),
        layer_region_counts=np.asarray(partition.layer_region_counts, dtype=np.int64),
        origin=plane.origin,
        basis=plane.basis,
        domain=plane.domain,
        anchors_2d=np.full((3, 2), np.nan) if plane.anchors_2d is None else plane.anchors_2d,
        input_shape=np.asarray(plane.input_shape, dtype=np.int64),
    )
    if partition.affine is not None:
        arrays["affine"] = partition.affine
    path = file_path(path)
    if os.path.isdir(path) or path.endswith((os.sep, "/")):  # numpy would write "folder.npz" beside it
        raise SplineCamError(
            f"{path!r} is a folder: give the path of a file to write, such as "
            f"{os.path.join(path, 'partition.npz')!r} (.npz is appended to a name without it)"
        )
    if not path.endswith(".npz"):  # as numpy names it
        path += ".npz"
    with atomic_path(path) as temporary:
        np.savez_compressed(temporary, **arrays)


def partition_to_geojson(partition, include_boundary: bool = True) -> dict:
    """The regions as a GeoJSON ``FeatureCollection`` (plane coordinates as x, y).

    Each region is a Polygon feature with properties ``index``, ``class`` (predicted
    at its centroid), ``pattern_id`` (a decimal string: it exceeds JavaScript's
    integers), ``area`` and ``affine`` (K rows of ``[du, dv, offset]``).  With
    ``include_boundary`` a last MultiLineString feature holds the decision boundary.
    """
    classes = partition.predicted_class if partition.affine is not None else np.full(partition.n_regions, -1)
    features = []
    for r in range(partition.n_regions):
        ring = partition.polygon(r)
        properties = {
            "index": r,
            "class": int(classes[r]),
            "pattern_id": str(int(partition.pattern_ids[r])),
            "area": float(partition.areas[r]),
        }
        if partition.affine is not None:
            properties["affine"] = partition.affine[r].tolist()
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [np.vstack([ring, ring[:1]]).tolist()]},
                "properties": properties,
            }
        )
    if include_boundary and len(partition.boundary):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": partition.boundary.tolist()},
                "properties": {"kind": "decision_boundary", "classes": partition.boundary_classes.tolist()},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def save_geojson(partition, path, include_boundary: bool = True) -> None:
    """Write :func:`partition_to_geojson` to ``path`` (atomically: a failure leaves ``path`` as it was)."""
    write_text(path, json.dumps(partition_to_geojson(partition, include_boundary)))
