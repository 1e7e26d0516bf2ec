"""Export methods of the widget: PNG, SVG, bokeh, standalone HTML and checkpoint frames."""

from __future__ import annotations

import tempfile
from pathlib import Path

import traitlets

from ..errors import SplineCamError


class WidgetExports(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: figures of what the widget shows.

    Uses the widget's public ``wait``, ``color_by``, ``visible``, ``anchor_labels``, and for checkpoint
    frames its ``_checkpoints`` and ``_computed_slice()``.
    """

    def _figure_options(self, options: dict) -> dict:
        """``options`` for a figure of what is shown: the colour mode and what is drawn, unless given."""
        options.setdefault("color_by", self.color_by)
        for part in ("edges", "boundary", "anchors"):
            options.setdefault(part, part in self.visible)
        return options

    def _drawn_partition(self):
        p = self.wait()
        if p is None:
            raise SplineCamError(f"there is no partition to save: {self.error or 'nothing computed yet'}")
        return p

    def save_png(self, path, scale: float = 2.0, width: int = 800, **options) -> None:
        """Write the current partition as a PNG of ``width * scale`` pixels, rendered in Python.

        Any resolution works (no screen involved); in the ``"class"`` mode each pixel takes
        its own class, so the decision regions are exact.  The colour mode and what is
        drawn (edges, boundary, anchors) follow the widget unless given; the legend or
        colour bar is drawn below the plot (``legend=False`` leaves it out).  ``options``
        go to :func:`~splinecam_widget.export.png.render_partition`.
        """
        from ..export.png import save_png

        save_png(self._drawn_partition(), path, scale=scale, width=width, **self._figure_options(options))

    def to_png(self, scale: float = 2.0, width: int = 800, **options) -> bytes:
        """The bytes :meth:`save_png` writes (the toolbar's PNG download, at the width of the view)."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "view.png"
            self.save_png(path, scale=scale, width=width, **options)
            return path.read_bytes()

    def save_svg(self, path, **options) -> None:
        """Write the current partition, in the current colour mode, as an SVG file.

        What is drawn (edges, boundary, anchors) follows the widget unless given; the
        legend or colour bar is drawn below the plot (``legend=False`` leaves it out).
        ``options`` go to :func:`~splinecam_widget.export.partition_to_svg` (``width``,
        ``edges``, ``boundary``, ``anchors``, ``legend``).
        """
        from ..export import save_svg

        options.setdefault("anchor_labels", self.anchor_labels)
        save_svg(self._drawn_partition(), path, **self._figure_options(options))

    def to_svg(self, **options) -> str:
        """The text :meth:`save_svg` writes (the toolbar's SVG download)."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "view.svg"
            self.save_svg(path, **options)
            return path.read_text(encoding="utf-8")

    def to_bokeh(self, **options):
        """The current partition as a bokeh figure, in the current colour mode.

        ``options`` go to :func:`~splinecam_widget.export.partition_to_bokeh`
        (``color_by`` and ``anchor_labels`` default to the widget's); the legend is a bokeh
        ``Legend`` or ``ColorBar`` below the plot (``legend=False`` leaves it out).

        Raises
        ------
        SplineCamError
            If the widget has no partition yet (or its last computation failed).
        """
        from ..export import partition_to_bokeh

        p = self.wait()
        if p is None:
            raise SplineCamError(f"there is no partition to export: {self.error or 'nothing computed yet'}")
        options.setdefault("color_by", self.color_by)
        options.setdefault("anchor_labels", self.anchor_labels)
        return partition_to_bokeh(p, **options)

    def save_html(self, path, **options) -> Path:
        """Write the widget, as it is now, as one standalone HTML file that works offline.

        The page runs the real front end with the current state embedded: drawing,
        pan, zoom and the hover tooltip work without a kernel or a network.
        ``options`` go to :func:`~splinecam_widget.export.html.widget_to_html`
        (``title``, ``width``).  Returns the path written.

        Raises
        ------
        SplineCamError
            If the widget has no partition yet (or its last computation failed).
        """
        from ..export.html import save_widget_html

        self.wait()
        return save_widget_html(self, path, **options)

    def save_frames(self, path, duration: float = 0.6, width: int = 600, scale: float = 1.0, **options) -> list[Path]:
        """Write the current slice at every checkpoint as an animated GIF or a PNG sequence.

        Every frame is computed exactly on the slice and viewport shown now, and drawn on
        one colour scale with its checkpoint label; in the default ``"pattern"`` colours a
        region keeps its colour while its activation pattern survives training.

        Parameters
        ----------
        path : str or Path
            ``something.gif`` (one looping animation) or ``something.png`` (written as
            ``something_000.png``, ``something_001.png``, ...).
        duration : float
            Seconds per GIF frame.
        width, scale : int, float
            Picture width in points and pixels per point.
        **options
            ``color_by`` (default: the widget's), ``legend`` (default True: every frame
            carries the legend or colour bar below its plot), and the options of
            :func:`~splinecam_widget.export.png.render_partition`.

        Returns
        -------
        list of Path
            The files written.
        """
        from ..engine.compute import partition
        from ..export.frames import render_frames, save_frames

        if self._checkpoints is None:
            raise SplineCamError("this widget has no checkpoints: pass checkpoints=[...] to SplineCamWidget")
        self.wait()
        plane = self._computed_slice()
        partitions = [
            partition(
                self._checkpoints.model(i), plane, device=self.device, max_regions=self.max_regions, levels=self.levels
            )
            for i in range(len(self._checkpoints))
        ]
        options.setdefault("color_by", self.color_by)
        frames = render_frames(partitions, self._checkpoints.labels, width=width, scale=scale, **options)
        return save_frames(frames, path, duration)
