"""Colour modes of the widget: one RGBA colour per region, edge colours and a legend.

Python owns the colours; the front end only paints the bytes it receives.  Every
function takes a :class:`~splinecam_widget.Partition` (or an object with the same
arrays) and returns a :class:`Coloring`.

Modes
-----
slope
    Frobenius norm of the region's output slope in the slice (colour bar).
class
    Predicted class (legend): each region in its class, and the regions the decision
    boundary crosses cut into their exact class pieces.  For a single output, the
    level interval the output falls in (below / above each level).
output
    Output value at the region centroid (colour bar); for several outputs, the
    largest one.
pattern
    A colour hashed from the activation-pattern id: the same pattern gets the
    same colour in every checkpoint and every slice.
layer
    Neutral regions; each edge coloured by the activation layer that made it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SplineCamError
from .hashing import mix64

MODES = ("slope", "class", "output", "pattern", "layer")

VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
DIVERGING = ("#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b")
CATEGORICAL = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
NEUTRAL = "#e6e6e6"
DOMAIN_EDGE = "#9e9e9e"
FILL_LIGHTEN = 0.45
"""Class fills are mixed with this much white so edges and the boundary stay visible."""
MAX_LEGEND_ITEMS = 20


@dataclass(frozen=True)
class Coloring:
    """Colours of one partition in one mode.

    Attributes
    ----------
    fill : numpy.ndarray
        ``(R, 4)`` uint8 RGBA colour of each region.
    edge_palette : numpy.ndarray or None
        ``(L + 1, 4)`` uint8 RGBA colour of the edges made by layer ``l`` at row
        ``l + 1`` (row 0: domain boundary); None to draw edges in the theme colour.
    legend : dict or None
        JSON-able legend: ``{"kind": "categorical", "title", "items": [{"label", "color"}]}``
        or ``{"kind": "colorbar", "title", "colors", "min", "max"}``.
    cells : ClassCells or None
        In the ``"class"`` mode, the regions holding the decision boundary cut into one
        piece per class (:attr:`Partition.class_cells`), painted over their regions so
        the picture is exact.
    cell_fill : numpy.ndarray or None
        ``(C, 4)`` uint8 RGBA colour of each cell.
    """

    fill: np.ndarray
    edge_palette: np.ndarray | None
    legend: dict | None
    cells: object = None
    cell_fill: np.ndarray | None = None


def check_mode(mode: object) -> str:
    """Return ``mode`` if it names a colour mode, else raise a SplineCamError listing the modes."""
    if not isinstance(mode, str) or mode not in MODES:
        raise SplineCamError(f"color_by={mode!r} is not a colour mode; use one of {', '.join(map(repr, MODES))}")
    return mode


def hex_to_rgb(colors) -> np.ndarray:
    """``(n, 3)`` uint8 array from ``#rrggbb`` strings."""
    return np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=np.uint8)


def rgb_to_hex(rgb) -> str:
    """``#rrggbb`` of one RGB triple."""
    return "#{:02x}{:02x}{:02x}".format(*(int(x) for x in rgb))


def colormap(t: np.ndarray, stops) -> np.ndarray:
    """Interpolate ``(n, 3)`` uint8 colours at ``t`` in [0, 1] (clipped) along colour stops."""
    table = hex_to_rgb(stops).astype(np.float64)
    x = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0), 0.0, 1.0) * (len(table) - 1)
    i = np.minimum(x.astype(np.int64), len(table) - 2)
    f = (x - i)[:, None]
    return np.rint(table[i] * (1 - f) + table[i + 1] * f).astype(np.uint8)


def _rgba(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, np.full((len(rgb), 1), 255, np.uint8)], axis=1)


def _lighten(rgb: np.ndarray, amount: float = FILL_LIGHTEN) -> np.ndarray:
    return np.rint(rgb * (1 - amount) + 255 * amount).astype(np.uint8)


def _robust_range(x: np.ndarray) -> tuple[float, float]:
    """Range of ``x`` without its 1 % tails (its full range for fewer than 100 values)."""
    if len(x) == 0:
        return 0.0, 1.0
    lo, hi = np.quantile(x, [0.01, 0.99]) if len(x) >= 100 else (x.min(), x.max())
    if hi <= lo:
        hi = lo + max(abs(lo), 1.0) * 1e-9 + 1e-12
    return float(lo), float(hi)


def _colorbar(values: np.ndarray, stops, title: str, lo: float, hi: float) -> Coloring:
    rgb = colormap((values - lo) / (hi - lo), stops)
    return Coloring(_rgba(rgb), None, {"kind": "colorbar", "title": title, "colors": list(stops), "min": lo, "max": hi})


def centroid_outputs(p) -> np.ndarray:
    """``(R, K)`` output values at the region centroids."""
    uv1 = np.concatenate([p.centroids, np.ones((p.n_regions, 1))], axis=1)
    return np.einsum("rkj,rj->rk", p.affine, uv1)


def _levels(p) -> np.ndarray:
    levels = getattr(p, "levels", None)
    levels = np.atleast_1d(np.asarray(levels if levels is not None else [0.0], dtype=np.float64))
    return np.sort(levels) if levels.size else np.zeros(1)


def _slope_norms(p) -> np.ndarray:
    return np.linalg.norm(p.affine[:, :, :2].reshape(p.n_regions, -1), axis=1)


def slope_colors(p, value_range=None) -> Coloring:
    """Norm of the ``K x 2`` slope of each region's outputs in slice coordinates."""
    lo, hi = value_range if value_range is not None else color_range(p, "slope")
    return _colorbar(_slope_norms(p), VIRIDIS, "slope norm", lo, hi)


def classes_at(p, outputs: np.ndarray) -> np.ndarray:
    """Class of each output row ``(M, K)``: the argmax, or for one output the level interval."""
    if p.n_outputs == 1:
        return np.searchsorted(_levels(p), outputs[:, 0], side="left")
    return np.argmax(outputs, axis=1)


def class_palette() -> np.ndarray:
    """``(N, 3)`` uint8 class colours (class ``k`` takes row ``k % N``)."""
    return _lighten(hex_to_rgb(CATEGORICAL))


def class_colors(p) -> Coloring:
    """Predicted class at each region centroid, plus exact class pieces of the boundary regions."""
    cls = classes_at(p, centroid_outputs(p))
    if p.n_outputs == 1:
        edges = [f"{x:g}" for x in _levels(p)]
        labels = [f"below {edges[0]}"] + [f"{a} to {b}" for a, b in zip(edges, edges[1:])] + [f"above {edges[-1]}"]
        title = "output level"
    else:
        labels = [f"class {k}" for k in range(p.n_outputs)]
        title = "predicted class"
    palette = class_palette()
    rgb = palette[cls % len(palette)]
    shown = range(len(labels)) if len(labels) <= MAX_LEGEND_ITEMS else np.unique(cls)[:MAX_LEGEND_ITEMS]
    items = [{"label": labels[k], "color": rgb_to_hex(palette[k % len(palette)])} for k in shown]
    cells = p.class_cells
    return Coloring(
        _rgba(rgb),
        None,
        {"kind": "categorical", "title": title, "items": items},
        cells=cells,
        cell_fill=_rgba(palette[cells.classes % len(palette)]),
    )


def output_colors(p, value_range=None) -> Coloring:
    """Output at the centroid: diverging about the level for one output, else the top output."""
    out = centroid_outputs(p)
    lo, hi = value_range if value_range is not None else color_range(p, "output")
    if p.n_outputs == 1:
        return _colorbar(out[:, 0], DIVERGING, "output at centroid", lo, hi)
    return _colorbar(out.max(axis=1), VIRIDIS, "largest output at centroid", lo, hi)


def color_range(p, mode: str) -> tuple[float, float] | None:
    """Value range of the colour bar of ``mode`` for partition ``p`` (None for modes without a bar).

    Several partitions share one colour scale when each is coloured with the union
    of their ranges (see ``value_range`` of :func:`region_colors`).  For a single
    output the ``"output"`` range is symmetric about the first level.
    """
    check_mode(mode)
    if p.is_partial or mode not in ("slope", "output"):
        return None
    if mode == "slope":
        return _robust_range(_slope_norms(p))
    out = centroid_outputs(p)
    if p.n_outputs == 1:
        level = float(_levels(p)[0])
        _, hi = _robust_range(np.abs(out[:, 0] - level))
        return level - hi, level + hi
    return _robust_range(out.max(axis=1))


def pattern_colors(p) -> Coloring:
    """A colour per activation pattern, stable across checkpoints (hue, saturation, lightness from a hash)."""
    h = mix64(np.asarray(p.pattern_ids, dtype=np.uint64))
    hue = (h & np.uint64(0xFFFF)).astype(np.float64) / 65536.0
    sat = 0.45 + 0.35 * ((h >> np.uint64(16)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    light = 0.62 + 0.18 * ((h >> np.uint64(24)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    return Coloring(_rgba(hsl_to_rgb(hue, sat, light)), None, None)


def hsl_to_rgb(h: np.ndarray, s: np.ndarray, l: np.ndarray) -> np.ndarray:  # noqa: E741
    """``(n, 3)`` uint8 RGB from hue, saturation, lightness arrays in [0, 1]."""
    c = (1 - np.abs(2 * l - 1)) * s
    hp = h * 6.0
    x = c * (1 - np.abs(hp % 2 - 1))
    zero = np.zeros_like(c)
    sector = np.minimum(hp.astype(np.int64), 5)
    table = np.stack(
        [
            np.stack(t, axis=1)
            for t in ((c, x, zero), (x, c, zero), (zero, c, x), (zero, x, c), (x, zero, c), (c, zero, x))
        ]
    )
    rgb = table[sector, np.arange(len(h))] + (l - c / 2)[:, None]
    return np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def layer_colors(p, n_layers: int | None = None) -> Coloring:
    """Neutral regions; edges coloured by the activation layer that made them."""
    edge_layer = np.asarray(p.edge_layer)
    n = n_layers if n_layers is not None else int(edge_layer.max(initial=-1)) + 1
    layer_rgb = hex_to_rgb(CATEGORICAL)[np.arange(n) % len(CATEGORICAL)]
    palette = _rgba(np.concatenate([hex_to_rgb([DOMAIN_EDGE]), layer_rgb]))
    fill = np.broadcast_to(_rgba(hex_to_rgb([NEUTRAL])), (p.n_regions, 4)).copy()
    items = [{"label": f"layer {i + 1}", "color": rgb_to_hex(layer_rgb[i])} for i in range(min(n, MAX_LEGEND_ITEMS))]
    return Coloring(fill, palette, {"kind": "categorical", "title": "edge made by", "items": items})


def neutral_colors(p) -> Coloring:
    """One neutral colour for every region (partial partitions have no outputs to colour by)."""
    fill = np.broadcast_to(_rgba(hex_to_rgb([NEUTRAL])), (p.n_regions, 4)).copy()
    return Coloring(fill, None, None)


def shared_color_range(partitions, color_by: str) -> tuple[float, float] | None:
    """The union of the partitions' colour-bar ranges in mode ``color_by`` (None for modes without a bar)."""
    ranges = [r for r in (color_range(p, color_by) for p in partitions) if r is not None]
    if not ranges:
        return None
    return min(lo for lo, _ in ranges), max(hi for _, hi in ranges)


def region_colors(p, mode: str, n_layers: int | None = None, value_range=None) -> Coloring:
    """Colours of partition ``p`` in colour mode ``mode``.

    Parameters
    ----------
    p : Partition
        A final or partial partition.  Partial ones carry no affine maps: the
        slope, class and output modes then colour every region neutrally (the
        pattern mode colours them by the activation pattern so far).
    mode : str
        One of :data:`MODES`.
    n_layers : int, optional
        Number of activation layers of the model, so that layer colours stay
        the same while the partition streams in.
    value_range : (float, float), optional
        Values at the two ends of the colour bar of the ``"slope"`` and ``"output"``
        modes (default: this partition's :func:`color_range`); ignored by the others.

    Returns
    -------
    Coloring
    """
    check_mode(mode)
    if p.is_partial and mode not in ("layer", "pattern"):
        return neutral_colors(p)
    if mode == "pattern":
        return pattern_colors(p)
    if mode == "layer":
        return layer_colors(p, n_layers)
    if mode == "class":
        return class_colors(p)
    if value_range is not None:
        lo, hi = (float(x) for x in value_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise SplineCamError(
                f"value_range must be two finite numbers (low, high) with low < high, got {value_range!r}"
            )
        value_range = lo, hi
    return {"slope": slope_colors, "output": output_colors}[mode](p, value_range)


def painted_polygons(p, coloring: Coloring):
    """What a picture paints: each region in its colour, or its class cells.

    Where the colouring has class cells, the regions the decision boundary crosses are
    painted as their cells, in their class colours.

    Returns
    -------
    polygons : list of numpy.ndarray
        ``(n_i, 2)`` CCW vertices of each piece.
    regions : numpy.ndarray
        ``(M,)`` region of each piece.
    classes : numpy.ndarray
        ``(M,)`` class of each cell, -1 for whole regions.
    fill : numpy.ndarray
        ``(M, 4)`` uint8 RGBA.
    """
    cells = coloring.cells
    split = np.zeros(p.n_regions, bool)
    if cells is not None:
        split[cells.regions] = True
    whole = np.flatnonzero(~split)
    polygons = [p.vertices[p.offsets[r] : p.offsets[r + 1]] for r in whole]
    regions, classes, fill = [whole], [np.full(len(whole), -1)], [coloring.fill[whole]]
    if cells is not None:
        polygons += [cells.vertices[a:b] for a, b in zip(cells.offsets[:-1], cells.offsets[1:])]
        regions.append(cells.regions)
        classes.append(cells.classes)
        fill.append(coloring.cell_fill)
    return polygons, np.concatenate(regions), np.concatenate(classes), np.concatenate(fill)
