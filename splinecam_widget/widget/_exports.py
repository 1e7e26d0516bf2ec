"""Export methods of the widget: PNG, SVG, bokeh, standalone HTML and checkpoint frames."""

from __future__ import annotations

from pathlib import Path

import traitlets

from ..errors import SplineCamError


class WidgetExports(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: figures of what the widget shows.

    Uses the widget's public ``wait``, ``color_by``, ``anchor_labels``, and for checkpoint
    frames its ``_checkpoints`` and ``_computed_slice()``.
    """

    def save_png(self, path, scale: float = 2.0, width: int = 800, **options) -> None:
        """Write the current partition as a PNG of ``width * scale`` pixels, rendered in Python.

        Any resolution works (no screen involved); in the ``"class"`` mode each pixel takes
        its own class, so the decision regions are exact.  ``options`` go to
        :func:`~splinecam_widget.export.png.render_partition`.
        """
        from ..export.png import save_png

        p = self.wait()
        if p is None:
            raise SplineCamError(f"there is no partition to save: {self.error or 'nothing computed yet'}")
        options.setdefault("color_by", self.color_by)
        save_png(p, path, scale=scale, width=width, **options)

    def save_svg(self, path, **options) -> None:
        """Write the current partition, in the current colour mode, as an SVG file.

        ``options`` go to :func:`~splinecam_widget.export.partition_to_svg` (``width``,
        ``edges``, ``boundary``, ``anchors``).
        """
        from ..export import save_svg

        p = self.wait()
        if p is None:
            raise SplineCamError(f"there is no partition to save: {self.error or 'nothing computed yet'}")
        options.setdefault("color_by", self.color_by)
        options.setdefault("anchor_labels", self.anchor_labels)
        save_svg(p, path, **options)

    def to_bokeh(self, **options):
        """The current partition as a bokeh figure, in the current colour mode.

        ``options`` go to :func:`~splinecam_widget.export.partition_to_bokeh`
        (``color_by`` and ``anchor_labels`` default to the widget's).

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
            ``color_by`` (default: the widget's), and the options of
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
