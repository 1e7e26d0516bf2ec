"""Requests the front end sends to Python, and their answers.

Each handler takes the message (a dict) and its binary buffers and returns
``(answer, buffers)``; an answer with an ``"error"`` field is shown to the user instead
of the result.  The front end asks for what is too big to keep in traits: the full
input-space slope of a region, the picture of a data point, and replacing an anchor by
a data point.
"""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets

from ..errors import SplineCamError
from ._images import input_images, slope_images


class FrontEndRequests(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: the handlers of front-end requests.

    Reads the widget's ``_shown`` record, ``_data`` overlay and ``_image_layout``.
    """

    @anywidget.experimental.command
    def _input_slope(self, msg: dict, buffers: list):
        """Front-end request: the full input-space slope of one region of the drawn partition."""
        region, seq = int(msg.get("region", -1)), msg.get("seq")
        shown = self._shown
        if shown is None or shown.partition.is_partial or seq != shown.seq:
            return {
                "region": region,
                "shape": [0],
                "kind": "vector",
                "error": "the partition changed since this region was drawn; hover it again",
            }, []
        try:
            slope = np.asarray(shown.partition.input_slope(region), dtype=np.float64)
        except SplineCamError as exc:
            return {"region": region, "shape": [0], "kind": "vector", "error": str(exc)}, []
        response = {"region": region, "shape": list(slope.shape), "kind": "vector"}
        out = [np.ascontiguousarray(slope, dtype="<f4").tobytes()]
        images = slope_images(slope, self._image_layout)
        if images is not None:
            rgba, scales = images
            response.update(kind="image", image_shape=list(rgba.shape[1:3]), scales=scales.tolist())
            out.append(rgba.tobytes())
        return response, out

    @anywidget.experimental.command
    def _use_as_anchor(self, msg: dict, buffers: list):
        """Front-end request: replace an anchor by a data point."""
        try:
            self.use_as_anchor(int(msg.get("row", -1)), int(msg.get("anchor", -1)))
        except SplineCamError as exc:
            return {"error": str(exc)}, []
        return {"ok": True}, []

    @anywidget.experimental.command
    def _data_image(self, msg: dict, buffers: list):
        """Front-end request: the picture of one data point, when the inputs are images."""
        row = int(msg.get("row", -1))
        data, layout = self._data, self._image_layout
        if data is None or layout is None or not 0 <= row < len(data.X):
            return {"shape": None}, []
        rgba = input_images(data.X[row : row + 1], layout)[0]
        return {"shape": list(rgba.shape[:2])}, [rgba.tobytes()]
