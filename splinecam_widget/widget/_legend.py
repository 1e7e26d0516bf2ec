"""One legend for several views: a comparison shows its colour mode and its data labels once.

The views of a :class:`~splinecam_widget.Comparison` hide their own legends
(``legend=False``); a :class:`SharedLegend` above them shows the union of their colour
legends (the same classes, layers or colour bar: the comparison shares the colour scale)
and the labels of the data points they all draw.  The front end draws it with the same
code as a view's legend (``js/legend.js``).
"""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets

from ._widget import _front_end

UNLABELLED = {"label": "unlabelled", "color": "#9e9e9e"}
"""Legend item of data points without a label (the front end's colour for them)."""


class SharedLegend(anywidget.AnyWidget):
    """The legend of several views, drawn once.

    Attributes
    ----------
    blocks : list of dict
        Legend blocks, top to bottom, as in the ``coloring`` trait's ``legend``
        (``kind``, ``title``, ``items`` or ``colors``/``min``/``max``; ``dots`` for data).
    """

    _esm = _front_end()
    part = traitlets.Unicode("legend").tag(sync=True)  # the front end draws a legend, not a canvas
    blocks = traitlets.List(traitlets.Dict()).tag(sync=True)

    def show(self, widgets) -> None:
        """Show the legend of ``widgets`` (their colour legends merged, and their data labels)."""
        blocks = [_merged([(w.coloring or {}).get("legend") for w in widgets])]
        blocks.append(_data_block(widgets[0].data if widgets else None))
        shown = [b for b in blocks if b is not None]
        if shown != self.blocks:
            self.blocks = shown


def _merged(legends) -> dict | None:
    """One legend for several: categorical items united by label, colour bars spanning every range."""
    legends = [legend for legend in legends if legend]
    if not legends:
        return None
    first = legends[0]
    same = [legend for legend in legends if legend.get("kind") == first.get("kind")]
    if first.get("kind") == "colorbar":
        return {**first, "min": min(x["min"] for x in same), "max": max(x["max"] for x in same)}
    items: dict[str, dict] = {}
    for legend in same:
        for item in legend.get("items", []):
            items.setdefault(item["label"], item)
    return {**first, "items": list(items.values())}


def _data_block(data: dict | None) -> dict | None:
    """The data labels of a ``data`` trait, as the front end's own data legend shows them."""
    if not data or not data.get("n"):
        return None
    items = list(data.get("items") or [])
    labels = data.get("label")
    if labels is not None and np.any(np.frombuffer(labels, dtype="<i4") < 0):
        items.append(UNLABELLED)
    distance = data.get("max_distance")
    title = "data" if distance is None else f"data within {distance:.4g} of the plane"
    return {"kind": "categorical", "title": title, "items": items, "dots": True}
