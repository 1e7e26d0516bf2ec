"""Requests the front end sends to Python, and their answers (over ``_channel.py``).

Each handler gets the request's fields, checked, and returns ``(answer, buffers)``; every
request is answered, failures included (see :func:`~._channel.request`).  The front end
asks for what is too big to keep in traits (the full input-space slope of a region, the
picture of a data point, a figure of the view) and for the actions of its toolbar
(replace an anchor by a data point, undo an anchor move, cancel a computation).
"""

from __future__ import annotations

import numpy as np
import traitlets

from ..errors import SplineCamError
from ..export.sizes import check_pixels
from ._channel import RequestChannel, request
from ._images import input_images, slope_images

EXPORT_WIDTHS = (16, 4096)
"""Smallest and largest width (CSS pixels) of a figure the front end may ask for."""
EXPORT_SCALE = 2.0
"""Pixels per CSS pixel of a downloaded PNG (as :meth:`save_png`'s default)."""


class FrontEndRequests(RequestChannel, traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: the handlers of front-end requests.

    Reads the widget's ``_shown`` record, ``_data`` overlay and ``_image_layout``, and
    calls its public ``use_as_anchor``, ``undo_anchor_move``, ``cancel`` and its export
    helpers.
    """

    @request()
    def _hello(self):
        """The front end's first message: a kernel is there to answer (offline pages get no answer)."""
        return {"ok": True}, []

    @request("region", optional=("seq",))
    def _input_slope(self, region: int, seq: int | None):
        """The full input-space slope of one region of the drawn partition."""
        shown = self._shown
        if shown is None or shown.partition.is_partial or seq != shown.seq:
            raise SplineCamError("the partition changed since this region was drawn; hover it again")
        slope = np.asarray(shown.partition.input_slope(region), dtype=np.float64)
        response = {"region": region, "shape": list(slope.shape), "kind": "vector"}
        out = [np.ascontiguousarray(slope, dtype="<f4").tobytes()]
        images = slope_images(slope, self._image_layout)
        if images is not None:
            rgba, scales = images
            response.update(kind="image", image_shape=list(rgba.shape[1:3]), scales=scales.tolist())
            out.append(rgba.tobytes())
        return response, out

    @request("row", "anchor")
    def _use_as_anchor(self, row: int, anchor: int):
        """Replace an anchor by a data point."""
        self.use_as_anchor(row, anchor)
        return {"ok": True}, []

    @request("row")
    def _data_image(self, row: int):
        """The picture of one data point, when the inputs are images (``shape`` None otherwise)."""
        data, layout = self._data, self._image_layout
        if data is None:
            raise SplineCamError("no data is shown")
        if not 0 <= row < len(data.X):
            raise SplineCamError(f"row must be in 0..{len(data.X) - 1}, got {row}")
        if layout is None:
            return {"shape": None}, []
        rgba = input_images(data.X[row : row + 1], layout)[0]
        return {"shape": list(rgba.shape[:2])}, [rgba.tobytes()]

    @request("width", choices={"format": ("png", "svg")})
    def _export(self, width: int, format: str):
        """The view as a file: an exact PNG (as :meth:`save_png`) or an SVG, ``width`` CSS pixels wide."""
        check_pixels(width, "width", *EXPORT_WIDTHS)
        if format == "png":
            data, mime = self.to_png(width=width, scale=EXPORT_SCALE), "image/png"
        else:
            data, mime = self.to_svg(width=width).encode("utf-8"), "image/svg+xml"
        return {"name": f"splinecam-{self.color_by}.{format}", "mime": mime, "size": len(data)}, [data]

    @request()
    def _begin_anchor_move(self):
        """A handle was grabbed: the positions before the drag are what undo restores."""
        self._anchor_move_begins()
        return {"ok": True}, []

    @request()
    def _undo_anchor_move(self):
        """The toolbar's undo."""
        self.undo_anchor_move()
        return {"ok": True}, []

    @request()
    def _cancel(self):
        """The toolbar's cancel button, or Escape: abandon the running computation."""
        return {"cancelled": self.cancel()}, []
