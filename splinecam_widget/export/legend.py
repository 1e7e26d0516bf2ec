"""The widget's legend or colour bar for exported figures, laid out in a strip below the plot.

A legend is the JSON dict of :attr:`~splinecam_widget.colors.Coloring.legend`:
``{"kind": "categorical", "title", "items": [{"label", "color"}]}`` (classes, levels,
layers) or ``{"kind": "colorbar", "title", "colors", "min", "max"}`` (slope, output).
:func:`legend_layout` places its title, swatches, colour bar and labels in a strip as
wide as the plot, once, in pixels; the PNG and SVG exports draw that layout
(:func:`draw_legend`, :func:`legend_svg`).  Categorical items flow into as many
balanced columns as the width holds, so ten classes take two short rows, not ten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

import numpy as np

from ..colors import colormap, hex_to_rgb, region_colors

FONT_SIZE = 12
"""Label size in pixels at scale 1 (the widget's legend uses 12 px)."""
TEXT_COLOR = "#1a1a1a"
OUTLINE_COLOR = "#bbbbbb"
SVG_TEXT_SLACK = 1.2
"""SVG text is measured with Pillow's font and drawn in the viewer's sans-serif (often wider)."""


@dataclass(frozen=True)
class Text:
    """A label: ``x`` at its ``anchor`` (``"start"``, ``"middle"``, ``"end"``), ``y`` at its vertical middle."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    value: float | None = None
    """The number a colour-bar label shows (None for other text)."""


@dataclass(frozen=True)
class Swatch:
    """A filled square of a categorical item (top-left corner, side)."""

    x: float
    y: float
    size: float
    color: str


@dataclass(frozen=True)
class ColorBar:
    """The gradient of a colour bar (top-left corner and size) and its tick positions."""

    x: float
    y: float
    width: float
    height: float
    colors: tuple
    ticks: tuple = ()


@dataclass(frozen=True)
class LegendLayout:
    """Where everything of one legend goes, in pixels, relative to the strip's top-left corner.

    Attributes
    ----------
    width, height : int
        Size of the strip (its width is the plot's).
    title : Text
    swatches, labels : list
        Categorical items: one :class:`Swatch` and one :class:`Text` each.
    bar : ColorBar or None
        The colour bar; its tick labels are in ``ticks``.
    ticks : list of Text
        Colour-bar labels, low end first; their ``value`` is the number shown.
    font_size : float
    columns : int
        Columns of categorical items.
    """

    width: int
    height: int
    title: Text
    font_size: float
    swatches: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    bar: ColorBar | None = None
    ticks: list = field(default_factory=list)
    columns: int = 0


def format_number(x: float) -> str:
    """A colour-bar label as the widget writes it: 4 significant digits, exponent when very large or small."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        return f"{x:.3e}"
    return f"{x:.4g}"


@lru_cache(maxsize=16)
def font(size: float):
    """Pillow's built-in font (no font file needed) at ``size`` pixels."""
    from PIL import ImageFont

    return ImageFont.load_default(size=max(1.0, float(size)))


def text_width(text: str, size: float) -> float:
    """Width of ``text`` in pixels in :func:`font` at ``size``."""
    return float(font(size).getlength(text))


def partition_legend(partition, color_by: str, value_range=None) -> dict | None:
    """The legend the widget shows beside ``partition`` in mode ``color_by`` (None for ``"pattern"``)."""
    return region_colors(partition, color_by, value_range=value_range).legend


def legend_layout(legend: dict | None, width: float, scale: float = 1.0, measure=text_width) -> LegendLayout | None:
    """Lay ``legend`` out in a strip ``width`` pixels wide; None for no legend.

    Parameters
    ----------
    legend : dict or None
        A legend of :attr:`~splinecam_widget.colors.Coloring.legend`.
    width : float
        Width of the strip in pixels (the plot's width).
    scale : float
        Pixels per point: text, swatches and spacing grow with it.
    measure : callable
        ``measure(text, size) -> width`` in pixels.

    Returns
    -------
    LegendLayout or None
        The title sits left of the items or the bar, or above them when the strip is too
        narrow for both on one line.
    """
    if not legend:
        return None
    s = float(scale)
    size, pad, line = FONT_SIZE * s, 8 * s, 18 * s
    width = int(round(width))
    title_text = str(legend.get("title", ""))
    title_width = measure(title_text, size) if title_text else 0.0
    if legend.get("kind") == "colorbar":
        return _colorbar_layout(legend, width, s, size, pad, title_text, title_width, measure)
    items = legend.get("items") or []
    swatch, gap, column_gap = 12 * s, 5 * s, 14 * s
    pitch = swatch + gap + max((measure(str(item["label"]), size) for item in items), default=0.0) + column_gap
    inline = title_width + 2 * pad + min(len(items), 2) * pitch <= width - pad
    left = pad + (title_width + 2 * pad if inline and title_text else 0.0)
    top = pad + (0.0 if inline or not title_text else line)
    fits = max(1, int((width - left - pad + column_gap) // pitch))
    rows = max(1, math.ceil(len(items) / fits)) if items else 0
    columns = math.ceil(len(items) / rows) if items else 0  # balanced: no short last row
    swatches, labels = [], []
    for i, item in enumerate(items):
        row, column = divmod(i, columns)
        x, middle = left + column * pitch, top + (row + 0.5) * line
        swatches.append(Swatch(x, middle - swatch / 2, swatch, str(item["color"])))
        labels.append(Text(x + swatch + gap, middle, str(item["label"])))
    title = Text(pad, pad + 0.5 * line, title_text)
    height = int(math.ceil(top + max(rows, 1) * line + pad))
    return LegendLayout(width, height, title, size, swatches, labels, columns=columns)


def _colorbar_layout(legend, width, s, size, pad, title_text, title_width, measure) -> LegendLayout:
    lo, hi = float(legend["min"]), float(legend["max"])
    values = (lo, (lo + hi) / 2, hi)
    texts = [format_number(v) for v in values]
    overhang = max(measure(texts[0], size), measure(texts[-1], size)) / 2 + 2 * s  # end labels centred on the ends
    bar_height, line = 10 * s, 18 * s
    preferred = 260 * s
    inline_width = width - pad - (title_width + 2 * pad if title_text else 0) - 2 * overhang - pad
    inline = inline_width >= min(preferred, 120 * s)
    if inline:
        bar_left = pad + (title_width + 2 * pad if title_text else 0) + overhang
        bar_top = pad + 2 * s
        bar_width = min(preferred, inline_width)
    else:
        bar_left = pad + overhang
        bar_top = pad + (line if title_text else 0) + 2 * s
        bar_width = max(10 * s, min(preferred, width - 2 * pad - 2 * overhang))
    ticks_x = tuple(bar_left + bar_width * t for t in (0.0, 0.5, 1.0))
    label_middle = bar_top + bar_height + 4 * s + 0.5 * line
    ticks = [Text(x, label_middle, text, "middle", value) for x, text, value in zip(ticks_x, texts, values)]
    title = Text(pad, bar_top + bar_height / 2 if inline else pad + 0.5 * line, title_text)
    bar = ColorBar(bar_left, bar_top, bar_width, bar_height, tuple(legend["colors"]), ticks_x)
    height = int(math.ceil(label_middle + 0.5 * line + pad))
    return LegendLayout(width, height, title, size, bar=bar, ticks=ticks)


def draw_legend(layout: LegendLayout, background=(255, 255, 255)) -> np.ndarray:
    """The legend strip as an ``(height, width, 3)`` uint8 picture (drawn with Pillow)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (layout.width, layout.height), tuple(background))
    draw = ImageDraw.Draw(image)
    face = font(layout.font_size)
    text_rgb = tuple(int(c) for c in hex_to_rgb([TEXT_COLOR])[0])
    outline = tuple(int(c) for c in hex_to_rgb([OUTLINE_COLOR])[0])
    anchors = {"start": "lm", "middle": "mm", "end": "rm"}

    def text(t: Text) -> None:
        draw.text((t.x, t.y), t.text, fill=text_rgb, font=face, anchor=anchors[t.anchor])

    if layout.title.text:
        text(layout.title)
    for swatch in layout.swatches:
        x0, y0 = round(swatch.x), round(swatch.y)
        # at least one pixel: at tiny scales a swatch rounds to nothing, which Pillow refuses
        x1, y1 = max(x0, round(swatch.x + swatch.size) - 1), max(y0, round(swatch.y + swatch.size) - 1)
        draw.rectangle((x0, y0, x1, y1), fill=tuple(int(c) for c in hex_to_rgb([swatch.color])[0]), outline=outline)
    for label in layout.labels:
        text(label)
    bar = layout.bar
    if bar is not None:
        x0, y0 = round(bar.x), round(bar.y)
        x1, y1 = round(bar.x + bar.width), round(bar.y + bar.height)
        columns = np.arange(x0, x1)
        strip = colormap((columns - x0 + 0.5) / max(x1 - x0, 1), bar.colors)
        inside = (columns >= 0) & (columns < layout.width)  # a strip narrower than the bar crops it
        pixels = np.asarray(image).copy()
        pixels[max(y0, 0) : max(y1, 0), columns[inside]] = strip[inside][None]
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        draw.rectangle((x0 - 1, y0 - 1, x1, y1), outline=outline)
        tick = max(1.0, layout.font_size / 12)
        for x in bar.ticks:
            draw.line((round(x), y1, round(x), y1 + round(3 * tick)), fill=text_rgb, width=max(1, round(tick)))
        for t in layout.ticks:
            text(t)
    return np.asarray(image)


def legend_svg(layout: LegendLayout, top: float) -> str:
    """The legend strip as an SVG group ``<g id="legend">`` placed ``top`` pixels down."""

    def number(x: float) -> str:
        return f"{x:.6g}"

    def text(t: Text, kind: str) -> str:
        value = "" if t.value is None else f' data-value="{t.value!r}"'
        # y is the text's middle: its baseline sits about 0.35 em lower
        return (
            f'<text class="{kind}" x="{number(t.x)}" y="{number(t.y + 0.35 * layout.font_size)}" '
            f'text-anchor="{t.anchor}"{value}>{escape(t.text)}</text>'
        )

    parts = [
        f'<g id="legend" transform="translate(0 {number(top)})" font-family="sans-serif" '
        f'font-size="{number(layout.font_size)}" fill="{TEXT_COLOR}">'
    ]
    if layout.title.text:
        parts.append(text(layout.title, "legend-title").replace("<text ", '<text font-weight="600" ', 1))
    for swatch, label in zip(layout.swatches, layout.labels):
        parts.append(
            f'<rect class="legend-swatch" x="{number(swatch.x)}" y="{number(swatch.y)}" width="{number(swatch.size)}" '
            f'height="{number(swatch.size)}" fill="{swatch.color}" stroke="{OUTLINE_COLOR}"/>'
        )
        parts.append(text(label, "legend-label"))
    bar = layout.bar
    if bar is not None:
        stops = "".join(
            f'<stop offset="{i / max(len(bar.colors) - 1, 1):.4g}" stop-color="{c}"/>' for i, c in enumerate(bar.colors)
        )
        parts.append(f'<defs><linearGradient id="legend-gradient">{stops}</linearGradient></defs>')
        parts.append(
            f'<rect class="legend-bar" x="{number(bar.x)}" y="{number(bar.y)}" width="{number(bar.width)}" '
            f'height="{number(bar.height)}" fill="url(#legend-gradient)" stroke="{OUTLINE_COLOR}"/>'
        )
        bottom = bar.y + bar.height
        ticks = "".join(f"M{number(x)} {number(bottom)}v{number(bar.height * 0.3)}" for x in bar.ticks)
        parts.append(f'<path class="legend-ticks" d="{ticks}" stroke="{TEXT_COLOR}" fill="none"/>')
        parts.extend(text(t, "legend-tick") for t in layout.ticks)
    parts.append("</g>")
    return "\n".join(parts)


def svg_text_width(text: str, size: float) -> float:
    """Width of ``text`` in an SVG viewer's sans-serif, estimated generously from Pillow's font."""
    return SVG_TEXT_SLACK * text_width(text, size)
