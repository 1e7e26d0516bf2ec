"""Frames of several partitions of one slice (e.g. training checkpoints): animated GIF or PNG sequence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..colors import shared_color_range
from ..errors import SplineCamError
from ..files import atomic_path, write_bytes
from ..numbers import is_real
from .legend import draw_legend, legend_layout, partition_legend
from .png import BACKGROUND, encode_png, render_partition
from .sizes import check_picture


def render_frames(
    partitions,
    labels,
    color_by: str = "pattern",
    width: int = 600,
    scale: float = 1.0,
    legend: bool = True,
    **options,
) -> list[np.ndarray]:
    """One ``(H, W, 3)`` uint8 picture per partition, on one colour scale, its label in the top-left corner.

    With ``legend`` each frame carries the legend or colour bar below its plot (the same
    on every frame: the scale is shared), so every frame reads on its own.  ``options``
    go to :func:`~splinecam_widget.export.png.render_partition`.
    """
    from PIL import Image, ImageDraw, ImageFont

    width, scale = check_picture(width, scale)  # before the label's font is sized by scale
    value_range = shared_color_range(partitions, color_by)
    font = ImageFont.load_default(size=max(10, round(14 * scale)))
    frames = []
    for p, label in zip(partitions, labels):
        image = Image.fromarray(
            render_partition(
                p, color_by=color_by, width=width, scale=scale, value_range=value_range, legend=legend, **options
            )
        )
        draw = ImageDraw.Draw(image)
        pad = round(4 * scale)
        box = draw.textbbox((2 * pad, 2 * pad), str(label), font=font)
        draw.rectangle(
            (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=(255, 255, 255), outline=(60, 60, 60)
        )
        draw.text((2 * pad, 2 * pad), str(label), fill=(0, 0, 0), font=font)
        frames.append(np.asarray(image))
    return frames


def render_side_by_side(
    partitions,
    labels,
    color_by: str = "slope",
    width: int = 400,
    scale: float = 1.0,
    gap: float = 8,
    legend: bool = True,
    **options,
) -> np.ndarray:
    """The partitions side by side in one ``(H, W, 3)`` uint8 picture, titled, with one legend below the row.

    Each view is ``width * scale`` pixels wide, ``gap * scale`` pixels apart, drawn on one
    colour scale by :func:`render_frames` (``options`` go on to
    :func:`~splinecam_widget.export.png.render_partition`).  The legend spans the whole
    row; it is the one with the most items when the views differ (e.g. depths in the
    ``"layer"`` mode).
    """
    frames = render_frames(partitions, labels, color_by=color_by, width=width, scale=scale, legend=False, **options)
    height = max(f.shape[0] for f in frames)
    spacer = np.full((height, round(gap * scale), 3), 255, np.uint8)
    padded = [np.pad(f, ((0, height - f.shape[0]), (0, 0), (0, 0)), constant_values=255) for f in frames]
    row = np.concatenate([part for f in padded for part in (f, spacer)][:-1], axis=1)
    if not legend or (color_by == "layer" and options.get("edges") is False):
        return row
    value_range = shared_color_range(partitions, color_by)
    legends = [partition_legend(p, color_by, value_range) for p in partitions]
    legends = [key for key in legends if key]
    if not legends:
        return row
    key = max(legends, key=lambda k: len(k.get("items", ())))
    layout = legend_layout(key, row.shape[1], scale)
    return np.concatenate([row, draw_legend(layout, BACKGROUND)], axis=0)


def save_frames(frames, path, duration: float = 0.6) -> list[Path]:
    """Write pictures as one animated GIF (``path`` ends in ``.gif``) or numbered PNGs (``.png``).

    ``name.png`` becomes ``name_000.png``, ``name_001.png``, ...  ``duration`` is the
    seconds each GIF frame shows; the GIF loops.  Returns the paths written.
    """
    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    if len(frames) == 0:
        raise SplineCamError("there are no frames to write")
    if suffix == ".gif":
        if not (is_real(duration) and np.isfinite(duration) and duration > 0):
            raise SplineCamError(f"duration must be a positive number of seconds, got {duration!r}")
        images = [Image.fromarray(frame) for frame in frames]
        # one adaptive palette per frame; no dithering keeps region fills flat
        paletted = [
            image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) for image in images
        ]
        with atomic_path(path) as temporary:
            paletted[0].save(
                temporary,
                format="GIF",
                save_all=True,
                append_images=paletted[1:],
                duration=round(duration * 1000),
                loop=0,
                optimize=False,
            )
        return [path]
    if suffix == ".png":
        paths = [path.with_name(f"{path.stem}_{i:03d}.png") for i in range(len(frames))]
        for frame, out in zip(frames, paths):
            write_bytes(out, encode_png(frame))
        return paths
    raise SplineCamError(f"cannot tell the frame format from {path.name!r}: use a .gif or .png file name")
