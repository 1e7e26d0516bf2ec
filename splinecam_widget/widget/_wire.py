"""Binary encoding of a partition for the front end.

A partition travels to the browser as two widget traits, each a dict whose array
fields are little-endian bytes (ipywidgets sends them as binary buffers, never as
JSON lists of numbers):

``geometry`` (:func:`encode_geometry`)
    Empty arrays are sent as None.  ``vertices`` float32 ``(N, 2)``, ``offsets`` int32 ``(R + 1,)``, ``areas`` float32
    ``(R,)``, ``edge_layer`` int16 ``(N,)``, ``affine`` float32 ``(R, K, 3)`` (None while
    partial), ``boundary`` float32 ``(S, 2, 2)``, and JSON metadata.  Coordinates and
    affine offsets are relative to ``shift``, a float64 point at the middle of the
    partition, so float32 keeps its precision at any zoom.
``coloring`` (:func:`encode_style`)
    ``fill`` uint8 ``(R, 4)`` RGBA, ``edge_palette`` uint8 ``(L + 1, 4)`` or None, the
    legend and the ``seq`` of the geometry it colours.

Two more traits use the same conventions: ``data`` (dataset points near the slice, see
:meth:`~splinecam_widget.widget._overlay.DataOverlay.encode`) and ``anchor_images`` (``shape``
``[H, W]`` and three uint8 RGBA pictures, see :mod:`splinecam_widget.widget._data`).

:func:`decode_geometry` and :func:`decode_style` invert them (tests, debugging).
"""

from __future__ import annotations

import numpy as np

from ..colors import Coloring

_F32 = np.dtype("<f4")
_I32 = np.dtype("<i4")
_I16 = np.dtype("<i2")


def little_endian_buffer(array, dtype: np.dtype) -> memoryview | None:
    """Little-endian bytes of ``array``; None when empty (zero-length buffers do not survive the trip to JupyterLab)."""
    flat = np.ascontiguousarray(array, dtype=dtype).reshape(-1)
    return memoryview(flat.view(np.uint8)) if flat.size else None


def _array(buf, dtype: np.dtype, shape) -> np.ndarray:
    if buf is None:
        return np.zeros(0, dtype=dtype).reshape(shape)
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def partition_shift(p) -> np.ndarray:
    """Middle of the bounding box of the partition's vertices (float64, origin when empty)."""
    v = np.asarray(p.vertices, dtype=np.float64)
    if len(v) == 0:
        return np.zeros(2)
    return (v.min(axis=0) + v.max(axis=0)) / 2


def encode_geometry(p, *, seq: int, frame: int, shift=None, layer: int = -1, n_layers: int = 0) -> dict:
    """Encode the geometry of partition ``p`` for the ``geometry`` trait.

    Parameters
    ----------
    p : Partition
        Final or partial (``p.is_partial``) partition.
    seq : int
        Computation id; the front end matches it with the style's ``seq``.
    frame : int
        Plane-frame id; the front end refits its camera when it changes.
    shift : array-like (2,), optional
        The float64 point coordinates are sent relative to (default :func:`partition_shift`);
        the widget keeps it to encode the colouring of the same geometry.
    layer : int
        Last activation layer included (partial partitions), -1 when final.
    n_layers : int
        Number of activation layers of the model (0 when unknown).

    Returns
    -------
    dict
        JSON metadata and memoryview buffers.
    """
    shift = partition_shift(p) if shift is None else np.asarray(shift, dtype=np.float64)
    R, K = int(p.n_regions), int(p.n_outputs)
    vertices = np.asarray(p.vertices, dtype=np.float64) - shift
    affine = None
    if not p.is_partial:
        a = np.array(p.affine, dtype=np.float64)
        a[:, :, 2] += a[:, :, 0] * shift[0] + a[:, :, 1] * shift[1]
        affine = little_endian_buffer(a, _F32)
    boundary = np.asarray(p.boundary, dtype=np.float64).reshape(-1, 2, 2) - shift
    edge_layer = np.clip(np.asarray(p.edge_layer), -1, np.iinfo(np.int16).max)
    levels = getattr(p, "levels", None)
    return {
        "seq": int(seq),
        "frame": int(frame),
        "partial": bool(p.is_partial),
        "layer": int(layer),
        "n_layers": int(n_layers),
        "n_regions": R,
        "n_outputs": K,
        "shift": [float(shift[0]), float(shift[1])],
        "vertices": little_endian_buffer(vertices, _F32),
        "offsets": little_endian_buffer(p.offsets, _I32),
        "areas": little_endian_buffer(p.areas, _F32),
        "edge_layer": little_endian_buffer(edge_layer, _I16),
        "affine": affine,
        "boundary": little_endian_buffer(boundary, _F32),
        "domain": np.asarray(p.slice.domain, dtype=np.float64).tolist(),
        "levels": [] if levels is None else np.atleast_1d(np.asarray(levels, dtype=np.float64)).tolist(),
    }


def encode_style(coloring: Coloring, *, seq: int, mode: str, shift=(0.0, 0.0)) -> dict:
    """Encode region colours for the ``coloring`` trait (applies to the geometry with the same ``seq``).

    Class cells, when the colouring has them, travel as ``cells``: float32 ``vertices``
    relative to ``shift`` (the geometry's), int32 ``offsets`` and uint8 RGBA ``fill``.
    """
    palette = coloring.edge_palette
    cells = None
    if coloring.cells is not None and len(coloring.cell_fill):
        cells = {
            "vertices": little_endian_buffer(coloring.cells.vertices - np.asarray(shift, dtype=np.float64), _F32),
            "offsets": little_endian_buffer(coloring.cells.offsets, _I32),
            "fill": little_endian_buffer(coloring.cell_fill, np.uint8),
        }
    return {
        "seq": int(seq),
        "mode": mode,
        "fill": little_endian_buffer(coloring.fill, np.uint8),
        "edge_palette": None if palette is None else little_endian_buffer(palette, np.uint8),
        "legend": coloring.legend,
        "cells": cells,
    }


def decode_geometry(d: dict) -> dict:
    """Arrays of an encoded geometry, in absolute plane coordinates (float64 from float32).

    Returns
    -------
    dict
        ``vertices`` (N, 2), ``offsets`` (R + 1,), ``areas`` (R,), ``edge_layer`` (N,),
        ``affine`` (R, K, 3) or None, ``boundary`` (S, 2, 2), plus the JSON fields.
    """
    R, K = d["n_regions"], d["n_outputs"]
    shift = np.asarray(d["shift"], dtype=np.float64)
    binary = ("vertices", "offsets", "areas", "edge_layer", "boundary", "affine")
    out = {k: v for k, v in d.items() if k not in binary}
    out["vertices"] = _array(d["vertices"], _F32, (-1, 2)).astype(np.float64) + shift
    out["offsets"] = _array(d["offsets"], _I32, (R + 1,)).astype(np.int64)
    out["areas"] = _array(d["areas"], _F32, (R,)).astype(np.float64)
    out["edge_layer"] = _array(d["edge_layer"], _I16, (-1,)).astype(np.int64)
    out["boundary"] = _array(d["boundary"], _F32, (-1, 2, 2)).astype(np.float64) + shift
    out["affine"] = None
    if not d["partial"]:
        a = _array(d["affine"], _F32, (R, K, 3)).astype(np.float64)
        a[:, :, 2] -= a[:, :, 0] * shift[0] + a[:, :, 1] * shift[1]
        out["affine"] = a
    return out


def decode_style(d: dict) -> dict:
    """Arrays of an encoded style.

    ``fill`` (R, 4) uint8, ``edge_palette`` (L + 1, 4) or None, and ``cells`` (vertices
    relative to the geometry's shift, offsets, fill) when present.
    """
    out = dict(d)
    out["fill"] = _array(d["fill"], np.uint8, (-1, 4))
    out["edge_palette"] = None if d["edge_palette"] is None else _array(d["edge_palette"], np.uint8, (-1, 4))
    if d.get("cells") is not None:
        out["cells"] = {
            "vertices": _array(d["cells"]["vertices"], _F32, (-1, 2)).astype(np.float64),
            "offsets": _array(d["cells"]["offsets"], _I32, (-1,)).astype(np.int64),
            "fill": _array(d["cells"]["fill"], np.uint8, (-1, 4)),
        }
    return out
