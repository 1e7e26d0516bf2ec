"""Several networks on one slice, side by side: linked viewports, one colour scale, statistics.

:func:`compare` returns a :class:`Comparison`, an ipywidgets box holding one
:class:`~splinecam_widget.SplineCamWidget` per network.  The front ends share
their camera live (``link_group``); dragging an anchor in one view moves it in all;
the ``"slope"`` and ``"output"`` colour bars span the union of every view's values;
a statistics row under each view updates with each new partition; one legend above
the views stands for all of them (:class:`~._legend.SharedLegend`).
"""

from __future__ import annotations

import html
import threading
import uuid
from pathlib import Path

import ipywidgets
import numpy as np

from ..colors import shared_color_range
from ..errors import SplineCamError
from ..files import write_bytes
from ..stats import PartitionStats
from ._legend import SharedLegend
from ._widget import SplineCamWidget

STATS_ROWS = (
    "n_regions",
    "regions_per_unit_area",
    "area_median",
    "vertices_mean",
    "eccentricity_mean",
    "edge_length",
    "boundary_length",
)


def compare(models, anchors, names=None, *, columns: int | None = None, height: int = 360, **options) -> Comparison:
    """Show several networks on the same slice, side by side.

    Parameters
    ----------
    models : sequence of torch.nn.Module
        Networks taking the same inputs (e.g. a narrow-deep and a wide-shallow MLP).
    anchors : array-like or torch.Tensor, shape (3, *input_shape)
        The three inputs the shared slice passes through.
    names : sequence of str, optional
        Titles of the views (default: the models' class names).
    columns : int, optional
        Views per row (default: all in one row, at most 3).
    height : int
        Height of each canvas in CSS pixels.
    **options
        Passed to every :class:`~splinecam_widget.SplineCamWidget` (``color_by``,
        ``domain``, ``levels``, ``max_regions``, ``image_shape``, ``toolbar``, ...);
        ``legend=False`` hides the one legend the views share.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> cmp = compare([deep, wide], X[:3], names=["deep", "wide"], color_by="class")
    >>> cmp                      # the views, in the notebook
    >>> print(cmp.stats_table())  # regions, density, areas, ... per network
    """
    return Comparison(models, anchors, names, columns=columns, height=height, **options)


class Comparison(ipywidgets.VBox):
    """Views of several networks on one slice (see :func:`compare`).

    Attributes
    ----------
    widgets : list of SplineCamWidget
        One view per network, in order.
    names : list of str
        Their titles.
    legend : SharedLegend
        The one legend of every view (their own legends are hidden).
    """

    def __init__(self, models, anchors, names=None, *, columns=None, height=360, **options):
        models = list(models)
        if len(models) < 2:
            raise SplineCamError(f"compare needs at least two models, got {len(models)}")
        names = [type(m).__name__ for m in models] if names is None else [str(n) for n in names]
        if len(names) != len(models):
            raise SplineCamError(f"names has {len(names)} entries for {len(models)} models")
        columns = min(len(models), 3) if columns is None else int(columns)
        if columns < 1:
            raise SplineCamError(f"columns must be a positive integer, got {columns!r}")
        group = f"splinecam-compare-{uuid.uuid4().hex}"
        show_legend = options.pop("legend", True)
        self.names = names
        self.widgets = [
            SplineCamWidget(m, anchors, height=height, link_group=group, legend=False, **options) for m in models
        ]
        self.legend = SharedLegend(layout=ipywidgets.Layout(display=None if show_legend else "none"))
        self._lock = threading.Lock()
        self._legend_lock = threading.Lock()  # apart from _lock: restyles under _lock update the legend
        self._syncing = False
        self._stats_rows = [ipywidgets.HTML(value="<i>computing…</i>") for _ in models]
        cells = [
            ipywidgets.VBox([ipywidgets.HTML(value=f"<b>{html.escape(name)}</b>"), w, row])
            for name, w, row in zip(names, self.widgets, self._stats_rows)
        ]
        grid = ipywidgets.GridBox(
            cells, layout=ipywidgets.Layout(grid_template_columns=f"repeat({columns}, 1fr)", grid_gap="8px")
        )
        super().__init__([self.legend, grid])
        for w in self.widgets:
            w.on_new_plane(self._new_plane)
            w.on_anchors_moved(self._moved_anchors)
            w.observe(self._new_mode, names="color_by")
            w.observe(self._new_visible, names="visible")
            w.on_partition(self._drawn)
        for w in self.widgets:  # a view may have drawn its first partition before the comparison listened
            partition = w.partition
            if partition is not None:
                self._drawn(w, partition)

    # --- keeping the views together ---------------------------------------------------
    def _follow(self, source, move) -> None:
        """Call ``move(w)`` for every view but ``source`` (and nothing while views follow)."""
        with self._lock:
            if self._syncing:
                return
            self._syncing = True
        try:
            for w in self.widgets:
                if w is not source:
                    move(w)
        finally:
            self._syncing = False

    def _new_plane(self, source) -> None:
        """Anchors set in one view (e.g. a data point used as anchor): a new plane for every view."""
        self._follow(source, lambda w: setattr(w, "anchors", source.anchors))

    def _moved_anchors(self, source) -> None:
        """A handle dragged (or a move undone) in one view: the handles move in every view, undo with them."""
        self._follow(source, lambda w: w._follow_anchor_move(source))

    def _new_mode(self, change) -> None:
        self._follow(change["owner"], lambda w: setattr(w, "color_by", change["new"]))
        self._share_color_range()
        self._show_legend()

    def _new_visible(self, change) -> None:
        """What one view draws (edges, boundary, anchors, data), every view draws."""
        self._follow(change["owner"], lambda w: setattr(w, "visible", change["new"]))

    def _drawn(self, widget, partition) -> None:
        """A view drew a new partition: refresh its statistics, the shared colour scale and the legend."""
        self._stats_rows[self.widgets.index(widget)].value = _stats_html(partition.stats())
        self._share_color_range()
        self._show_legend()

    def _show_legend(self) -> None:
        with self._legend_lock:
            self.legend.show(self.widgets)

    def _share_color_range(self) -> None:
        with self._lock:
            mode = self.widgets[0].color_by
            drawn = [w.partition for w in self.widgets if w.partition is not None]
            shared = shared_color_range(drawn, mode)
            for w in self.widgets:
                if w.color_range != shared:
                    w.color_range = shared

    # --- public API ---------------------------------------------------------------------
    @property
    def color_by(self) -> str:
        """Colour mode of every view."""
        return self.widgets[0].color_by

    @color_by.setter
    def color_by(self, mode: str) -> None:
        self.widgets[0].color_by = mode

    @property
    def anchors(self) -> np.ndarray:
        """The shared anchors (set them to move every view to another slice)."""
        return self.widgets[0].anchors

    @anchors.setter
    def anchors(self, anchors) -> None:
        self.widgets[0].anchors = anchors

    @property
    def view(self):
        """The visible rectangle ``[u0, v0, u1, v1]`` of the views (None: the whole domain)."""
        return self.widgets[0].view

    @view.setter
    def view(self, view) -> None:
        for w in self.widgets:
            w.view = view

    def show_data(self, X, y=None, max_distance: float | None = None, max_points: int = 5000) -> None:
        """Draw dataset points in every view (see :meth:`SplineCamWidget.show_data`)."""
        for w in self.widgets:
            w.show_data(X, y, max_distance=max_distance, max_points=max_points)
        self._show_legend()

    def close(self) -> None:
        """Close every view (their threads stop, their partitions are released) and the comparison."""

        def close_tree(widget) -> None:  # ipywidgets keeps every widget alive until it is closed
            for child in getattr(widget, "children", ()):
                close_tree(child)
            widget.close()

        for child in self.children:
            close_tree(child)
        super().close()

    def wait(self, timeout: float | None = None) -> list:
        """Block until every view has finished computing; return their partitions."""
        return [w.wait(timeout) for w in self.widgets]

    def save_png(self, path, width: int = 400, scale: float = 2.0, **options) -> Path:
        """Write the views side by side as one PNG for a paper: each titled, on one colour scale.

        Every view is rendered exactly in Python (see :meth:`SplineCamWidget.save_png`)
        on the window it shows, with one legend or colour bar below the row
        (``legend=False`` leaves it out); ``options`` go to
        :func:`~splinecam_widget.export.png.render_partition` (``color_by`` defaults to
        the views' mode).  Returns the path written.
        """
        from ..export.frames import render_side_by_side
        from ..export.png import encode_png

        partitions = self.wait()
        if any(p is None for p in partitions):
            raise SplineCamError(
                "a view has no partition to save: "
                + "; ".join(f"{n}: {w.error}" for n, w in zip(self.names, self.widgets) if w.partition is None)
            )
        options.setdefault("color_by", self.color_by)
        picture = render_side_by_side(partitions, self.names, width=width, scale=scale, **options)
        return write_bytes(path, encode_png(picture))

    def stats(self) -> dict[str, PartitionStats]:
        """Statistics of each view's current partition, by name (waits for running computations)."""
        partitions = self.wait()
        missing = [name for name, p in zip(self.names, partitions) if p is None]
        if missing:
            errors = "; ".join(f"{n}: {w.error}" for n, w in zip(self.names, self.widgets) if w.partition is None)
            raise SplineCamError(f"no partition yet for {', '.join(missing)} ({errors})")
        return {name: p.stats() for name, p in zip(self.names, partitions)}

    def stats_table(self, rows=STATS_ROWS) -> str:
        """A text table: one row per statistic (names of :class:`PartitionStats` fields), one column per network."""
        table = {name: s.as_dict() for name, s in self.stats().items()}
        unknown = [r for r in rows if r not in next(iter(table.values()))]
        if unknown:
            raise SplineCamError(f"unknown statistics {unknown}; known: {', '.join(next(iter(table.values())))}")
        cells = [["", *table]] + [[r, *(_number(table[n][r]) for n in table)] for r in rows]
        widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]
        return "\n".join(
            "  ".join(cell.rjust(w) if c else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths)))
            for row in cells
        )


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, (int, np.integer)) else f"{value:.4g}"


def _stats_html(s: PartitionStats) -> str:
    parts = [
        f"{s.n_regions:,} regions",
        f"{s.regions_per_unit_area:.4g} per unit²",
        f"median area {s.area_median:.3g}",
        f"{s.vertices_mean:.2f} vertices",
        f"boundary length {s.boundary_length:.4g}",
    ]
    return f"<span style='font-size: 12px'>{' · '.join(parts)}</span>"
