"""A PNG of a per-point measure along training: its mean per checkpoint, one line per split, with a spread band.

Drawn with Pillow (no browser, no matplotlib) at twice the size and scaled down, so lines
and text are smooth.  The band spans one standard deviation over the points either side
of the mean (never below zero: the measures are counts).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import SplineCamError
from ..export.sizes import check_pixels
from ..files import atomic_path

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]
SPLIT_COLORS = {"train": PALETTE[0], "test": PALETTE[1]}
SUPERSAMPLE = 2
MIN_SIZE = (200, 160)
"""The smallest plot, in pixels: the axes' margins take 102 x 118."""
AXIS_TITLES = {
    "local_density": "mean regions per disk",
    "local_complexity": "mean neurons changing sign",
}


def measure_summary(table, column: str) -> tuple[list[str], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Checkpoint labels in order, and per split the mean and standard deviation over points per checkpoint."""
    if column not in table.columns:
        raise SplineCamError(f"the table has no column {column!r} (columns: {', '.join(map(str, table.columns))})")
    keys = ["checkpoint", "point"] + (["split"] if "split" in table.columns else [])
    per_point = table.groupby(keys, sort=True, observed=True)[column].sum().reset_index()  # sums layers, if any
    order = table.drop_duplicates("checkpoint").sort_values("checkpoint")
    checkpoints = order["checkpoint"].to_numpy()
    labels = [str(label) for label in order["checkpoint_label"]]
    groups = per_point.groupby("split", sort=False) if "split" in per_point.columns else [("all points", per_point)]
    series = {}
    for name, group in groups:
        stats = group.groupby("checkpoint")[column].agg(["mean", "std"]).reindex(checkpoints)
        series[str(name)] = (stats["mean"].to_numpy(float), np.nan_to_num(stats["std"].to_numpy(float)))
    known = list(SPLIT_COLORS)
    order = {name: (known.index(name) if name in known else len(known), name) for name in series}
    return labels, dict(sorted(series.items(), key=lambda item: order[item[0]]))


def nice_ticks(high: float, count: int = 5) -> np.ndarray:
    """Round tick values from 0 to at least ``high`` (steps of 1, 2 or 5 times a power of ten)."""
    high = high if high > 0 else 1.0
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(0, math.ceil(high / step - 1e-9) + 1) * step


def tick_text(value: float) -> str:
    """A tick value without trailing zeros."""
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.3g}"


def save_measure_plot(table, path, column: str, title: str | None = None, width: int = 800, height: int = 480) -> Path:
    """Plot the mean of ``column`` per checkpoint (one line per split, with a spread band) as a PNG.

    Parameters
    ----------
    table : pandas.DataFrame
        As made by :func:`~splinecam_widget.local.tables.measure_table` (with a ``layer``
        column, layers are summed per point first).
    path : str or os.PathLike
    column : str
        The measure (``"local_density"`` or ``"local_complexity"``).
    title : str, optional
    width, height : int
        Pixels (at least 200 x 160).

    Returns
    -------
    pathlib.Path
    """
    from PIL import Image, ImageDraw, ImageFont

    width = check_pixels(width, "width", smallest=MIN_SIZE[0])
    height = check_pixels(height, "height", smallest=MIN_SIZE[1])
    labels, series = measure_summary(table, column)
    s = SUPERSAMPLE
    W, H = width * s, height * s
    image = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13 * s)
    small = ImageFont.load_default(size=11 * s)
    left, right, top, bottom = 78 * s, W - 24 * s, (62 if title else 40) * s, H - 56 * s
    high = max(float(np.max(mean + std)) for mean, std in series.values())
    ticks = nice_ticks(high * 1.05)
    y_max = float(ticks[-1])

    def y_of(value):
        return bottom - (np.asarray(value) / y_max) * (bottom - top)

    n = len(labels)
    pad = 24 * s
    xs = np.array([(left + right) / 2]) if n == 1 else left + pad + np.arange(n) * (right - left - 2 * pad) / (n - 1)

    for tick in ticks:  # grid and y labels
        y = float(y_of(tick))
        draw.line([(left, y), (right, y)], fill=(232, 232, 232), width=s)
        text = tick_text(float(tick))
        draw.text((left - 8 * s - draw.textlength(text, font=small), y - 7 * s), text, fill=(60, 60, 60), font=small)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=(90, 90, 90), width=s)
    widest = max(draw.textlength(label, font=small) for label in labels)
    every = max(1, math.ceil(n * (widest + 10 * s) / max(1.0, right - left)))
    for i in range(0, n, every):  # x labels, thinned so they never overlap
        draw.line([(xs[i], bottom), (xs[i], bottom + 4 * s)], fill=(90, 90, 90), width=s)
        text_width = draw.textlength(labels[i], font=small)
        draw.text((xs[i] - text_width / 2, bottom + 8 * s), labels[i], fill=(60, 60, 60), font=small)
    x_title, x_title_width = "checkpoint", draw.textlength("checkpoint", font=font)
    draw.text(((left + right - x_title_width) / 2, H - 26 * s), x_title, fill=(0, 0, 0), font=font)
    _draw_y_title(image, AXIS_TITLES.get(column, f"mean {column}"), font, (18 * s, (top + bottom) / 2))
    if title:
        draw.text((left, 14 * s), title, fill=(0, 0, 0), font=font)

    overlay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    shade = ImageDraw.Draw(overlay)
    colors = {}
    for k, (name, (mean, std)) in enumerate(series.items()):
        colors[name] = SPLIT_COLORS.get(name, PALETTE[(k + 2) % len(PALETTE)] if len(series) > 1 else PALETTE[0])
        if n > 1:
            upper, lower = y_of(mean + std), y_of(np.maximum(mean - std, 0))
            outline = list(zip(xs, upper)) + list(zip(xs[::-1], lower[::-1]))
            shade.polygon([(float(x), float(y)) for x, y in outline], fill=(*colors[name], 56))
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(image)
    legend_x = left + 10 * s
    for name, (mean, _) in series.items():
        points = [(float(x), float(y)) for x, y in zip(xs, y_of(mean))]
        if n > 1:
            draw.line(points, fill=colors[name], width=3 * s, joint="curve")
        for x, y in points:
            draw.ellipse([x - 4 * s, y - 4 * s, x + 4 * s, y + 4 * s], fill=colors[name])
        legend_y = top - 22 * s
        draw.line([(legend_x, legend_y + 8 * s), (legend_x + 22 * s, legend_y + 8 * s)], fill=colors[name], width=3 * s)
        draw.text((legend_x + 28 * s, legend_y), name, fill=(0, 0, 0), font=small)
        legend_x += 28 * s + draw.textlength(name, font=small) + 24 * s
    with atomic_path(path) as temporary:
        image.resize((width, height), Image.LANCZOS).save(temporary, format="PNG")
    return Path(path)


def _draw_y_title(image, text: str, font, center: tuple[float, float]) -> None:
    """Paste ``text`` rotated a quarter turn, centred at ``center``."""
    from PIL import Image, ImageDraw

    probe = ImageDraw.Draw(image)
    width = int(probe.textlength(text, font=font)) + 4
    height = int(font.size * 1.4)
    label = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(label).text((2, 0), text, fill=(0, 0, 0), font=font)
    label = label.rotate(90, expand=True)
    image.paste(label, (int(center[0] - label.width / 2), int(center[1] - label.height / 2)))
