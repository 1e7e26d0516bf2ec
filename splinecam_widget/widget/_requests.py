"""Requests the front end sends to Python, and their answers.

Each handler gets the request's fields, checked, and returns ``(answer, buffers)``.  Every
request is answered: a field of the wrong type, a row out of range or an unexpected
failure comes back as ``{"error": message}``, shown where the answer would have been, so
the front end's promise never hangs.  The front end asks for what is too big to keep in
traits: the full input-space slope of a region, the picture of a data point, and
replacing an anchor by a data point.
"""

from __future__ import annotations

import functools

import anywidget
import numpy as np
import traitlets

from ..errors import SplineCamError
from ._images import input_images, slope_images


def integer_field(msg: dict, name: str, optional: bool = False):
    """``msg[name]`` as an int; a float (even 2.0 or 1.9), a string, a bool or a missing field is refused."""
    if name not in msg:
        if optional:
            return None
        raise SplineCamError(f"the request has no {name!r} field")
    value = msg[name]
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SplineCamError(f"{name} must be an integer, got {value!r}")
    return value


def request(*fields: str, optional: tuple[str, ...] = ()):
    """Make a method a front-end request with integer ``fields`` (``optional`` ones may be None or absent)."""

    def wrap(handler):
        @functools.wraps(handler)
        def answer(self, msg, buffers):
            try:
                if not isinstance(msg, dict):
                    raise SplineCamError(f"a request must be an object, got {type(msg).__name__}")
                values = {name: integer_field(msg, name) for name in fields}
                values.update({name: integer_field(msg, name, optional=True) for name in optional})
                return handler(self, **values)
            except SplineCamError as exc:
                return {"error": str(exc)}, []
            except Exception as exc:  # noqa: BLE001 - every request is answered, failures included
                return {"error": f"{type(exc).__name__}: {exc}"}, []

        return anywidget.experimental.command(answer)

    return wrap


class FrontEndRequests(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: the handlers of front-end requests.

    Reads the widget's ``_shown`` record, ``_data`` overlay and ``_image_layout``, and
    calls its public ``use_as_anchor``.
    """

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
