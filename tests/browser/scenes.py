"""Hand-made partitions for front-end tests: a grid of squares with chosen affine maps.

They have the arrays of a Partition (the engine is not needed to test drawing), and go
through the real encoding and colour modes before reaching the page.
"""

from __future__ import annotations

import base64
from types import SimpleNamespace

import numpy as np

from splinecam_widget.colors import region_colors
from splinecam_widget.engine.class_cells import class_cells
from splinecam_widget.frame import Frame
from splinecam_widget.widget._wire import encode_geometry, encode_style, partition_shift

SQUARE = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])


def grid_partition(n: int = 4, n_outputs: int = 3, lo: float = -1.0, hi: float = 1.0, seed: int = 0):
    """``n x n`` square regions over ``[lo, hi]^2``; region r = i + n*j (i along u, j along v).

    Output k on region r is ``slope[r,k] . (u, v) + offset[r,k]`` with random slopes; the
    offsets make class ``r % K`` win at the region centre.  Every interior edge is tagged
    with layer ``(i + j) % 2``; domain edges with -1.
    """
    rng = np.random.default_rng(seed)
    step = (hi - lo) / n
    R, K = n * n, n_outputs
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="xy")
    i, j = i.ravel(), j.ravel()
    u0, v0 = lo + i * step, lo + j * step
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64) * step
    vertices = (np.stack([u0, v0], axis=1)[:, None, :] + corners[None]).reshape(-1, 2)
    offsets = np.arange(R + 1) * 4
    centroids = np.stack([u0 + step / 2, v0 + step / 2], axis=1)
    slopes = rng.normal(size=(R, K, 2)) * 0.1
    winner = np.arange(R) % K
    target = np.where(np.arange(K)[None, :] == winner[:, None], 1.0, -1.0) + rng.uniform(-0.1, 0.1, (R, K))
    offs = target - np.einsum("rkj,rj->rk", slopes, centroids)
    affine = np.concatenate([slopes, offs[:, :, None]], axis=2)
    edge_layer = np.repeat(((i + j) % 2)[:, None], 4, axis=1)
    edge_layer[j == 0, 0] = -1
    edge_layer[i == n - 1, 1] = -1
    edge_layer[j == n - 1, 2] = -1
    edge_layer[i == 0, 3] = -1
    boundary = np.array([[[lo, 0.0], [hi, 0.0]]])
    domain = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]])
    p = SimpleNamespace(
        n_regions=R,
        n_outputs=K,
        is_partial=False,
        vertices=vertices,
        local_vertices=vertices,  # local coordinates are plane coordinates here
        frame=Frame.identity(),
        offsets=offsets,
        areas=np.full(R, step * step),
        centroids=centroids,
        affine=affine,
        local_affine=affine,
        pattern_ids=np.arange(R, dtype=np.uint64) * np.uint64(2654435761),
        edge_layer=edge_layer.ravel(),
        boundary=boundary,
        boundary_classes=np.array([[0, 1]]),
        levels=None,
        slice=SimpleNamespace(domain=domain),
        boundary_regions=np.arange(R),  # every region gets its exact class pieces, as boundary regions do
    )
    p.class_cells = class_cells(p)
    return p


def to_page(value):
    """JSON-able copy of an encoded trait: every buffer becomes ``{"$b64": ...}`` (the harness turns it into a DataView)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {k: to_page(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_page(v) for v in value]
    return value


def widget_state(p, mode: str = "class", *, seq: int = 1, frame: int = 1, view=None, height: int = 400, anchors=None):
    """Trait values of a widget showing partition ``p`` (as the kernel would send them)."""
    coloring = region_colors(p, mode)
    return {
        "geometry": to_page(encode_geometry(p, seq=seq, frame=frame)),
        "coloring": to_page(encode_style(coloring, seq=seq, mode=mode, shift=partition_shift(p))),
        "anchors_2d": anchors if anchors is not None else [[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]],
        "anchor_labels": ["x0", "x1", "x2"],
        "view": view,
        "status": {"state": "idle", "message": "", "layer": 0, "n_layers": 0, "n_regions": int(p.n_regions)},
        "error": None,
        "height": height,
        "data": None,
        "anchor_images": None,
        "checkpoint": 0,
        "checkpoint_labels": [],
        "link_group": "",
        "color_by": mode,
        "visible": ["edges", "boundary", "anchors", "data"],
        "toolbar": True,
        "legend": True,
        "can_undo": False,
    }, coloring


def _buffer(values, dtype: str):
    """Little-endian bytes of ``values``; None when empty, as the kernel sends empty arrays."""
    data = np.ascontiguousarray(values, dtype=dtype)
    return data.tobytes() if data.size else None


def data_trait(uv, distance, label, items, *, row=None, frame: int = 1, max_distance=None):
    """The ``data`` trait (for the page) of points at plane coordinates ``uv`` (N, 2).

    ``label`` indexes ``items`` (``[{"label": ..., "color": "#rrggbb"}]``), -1 = unlabelled;
    ``row`` defaults to ``0 .. N-1``.
    """
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    n = len(uv)
    return to_page(
        {
            "frame": frame,
            "n": n,
            "uv": _buffer(uv, "<f8"),
            "distance": _buffer(distance, "<f4"),
            "label": _buffer(label, "<i4"),
            "row": _buffer(np.arange(n) if row is None else row, "<i4"),
            "items": items,
            "max_distance": max_distance,
        }
    )


def solid_images(colors, shape=(6, 4)):
    """(len(colors), h, w, 4) uint8 RGBA images, each of one RGB colour."""
    rgba = np.empty((len(colors), *shape, 4), dtype=np.uint8)
    rgba[..., :3] = np.asarray(colors, dtype=np.uint8)[:, None, None, :]
    rgba[..., 3] = 255
    return rgba


def anchor_images_trait(rgba):
    """The ``anchor_images`` trait (for the page) of three RGBA images ``(3, h, w, 4)`` uint8."""
    rgba = np.asarray(rgba, dtype=np.uint8)
    return to_page({"shape": list(rgba.shape[1:3]), "rgba": [image.tobytes() for image in rgba]})
