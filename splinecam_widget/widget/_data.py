"""The widget's data overlay and pictures of inputs: dataset points near the slice, anchors from data.

Python projects the points and makes the pictures; the front end draws them,
hit-tests the points and offers "use as anchor" (see ``js/``).
"""

from __future__ import annotations

import numpy as np
import traitlets

from ..errors import SplineCamError
from ._images import image_layout, input_images
from ._overlay import DataOverlay


class DataOverlayMethods(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: ``show_data``, ``use_as_anchor`` and thumbnails.

    Reads the widget's plane (``_plane``, ``_frame``) and ``anchors``; owns ``_data`` and
    ``_image_layout``.
    """

    # the encoded points (DataOverlay.encode) and the anchors' pictures, for the front end
    data = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    anchor_images = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    @traitlets.observe("anchors")
    def _anchor_pictures(self, change):
        """Thumbnails of the anchors beside their handles, when the inputs are images."""
        if self._closed:
            return
        anchors = change["new"]
        self._image_layout = image_layout(anchors.shape[1:], self._image_shape)
        if self._image_layout is None:
            self.anchor_images = None
            return
        rgba = input_images(anchors, self._image_layout)
        self.anchor_images = {"shape": list(rgba.shape[1:3]), "rgba": [memoryview(image.tobytes()) for image in rgba]}

    def show_data(
        self,
        X,
        y=None,
        max_distance: float | None = None,
        max_points: int = 5000,
        *,
        color_by: str = "label",
        radius: float | None = None,
        n_slices: int = 4,
        seed: int = 0,
    ) -> None:
        """Draw dataset points near the slice at their projections, coloured by label or by local density.

        Hovering a point shows its row, label, distance to the plane (and density);
        clicking it offers to use it as one of the anchors (see :meth:`use_as_anchor`).

        Parameters
        ----------
        X : array-like or torch.Tensor, shape (N, *input_shape)
            Points in the model's input space (not copied, never modified).
        y : array-like, shape (N,), optional
            Labels; integer label ``k`` takes the colour of class ``k``.
        max_distance : float, optional
            Show only points at most this far (Euclidean, in input space) from the plane.
        max_points : int
            Show at most this many points, the nearest to the plane first.
        color_by : {"label", "density"}
            ``"density"`` colours each point by the local region density of the network
            shown now (:func:`~splinecam_widget.local_density`: regions meeting a disk of
            ``radius`` on ``n_slices`` random planes through the point, seeded by
            ``seed``), with a colour bar.  It is computed here, for every row of ``X``
            (about ``N * n_slices`` small partitions: pass a subset for large data), and
            not refreshed when the model changes: call ``show_data`` again.
        radius, n_slices, seed
            Of the local density (``radius`` is required with ``color_by="density"``).
        """
        if color_by not in ("label", "density"):
            raise SplineCamError(f"color_by must be 'label' or 'density', got {color_by!r}")
        values, title = None, ""
        if color_by == "density":
            if radius is None:
                raise SplineCamError("color_by='density' needs the radius of the disks, e.g. radius=0.5")
            from ..local.density import local_density

            values = local_density(self.model, X, radius, n_slices=n_slices, seed=seed, device=self.device)
            title = f"local density (regions in a disk of radius {radius:g})"
        elif radius is not None:
            raise SplineCamError("radius applies to color_by='density'")
        with self._worker.publication():  # one plane and frame, not one of a plane change on another thread
            overlay = DataOverlay(X, y, self._plane.input_shape, max_distance, max_points, values, title)
            self._data = overlay
            self.data = overlay.encode(self._plane, self._frame)

    def hide_data(self) -> None:
        """Remove the data overlay."""
        with self._worker.publication():
            self._data = None
            self.data = None

    def use_as_anchor(self, row: int, anchor: int) -> None:
        """Replace anchor ``anchor`` (0, 1 or 2) by data point ``row`` of :meth:`show_data`'s ``X``.

        The plane changes to pass through the new anchors and the partition is recomputed.

        Raises
        ------
        SplineCamError
            If no data is shown, ``row`` or ``anchor`` is out of range, or the new
            anchors are collinear or repeated.
        """
        if self._data is None:
            raise SplineCamError("no data is shown: call show_data(X, y) first")
        n = len(self._data.X)
        if not (isinstance(row, (int, np.integer)) and 0 <= row < n):
            raise SplineCamError(f"row must be an index into the {n} data points, got {row!r}")
        if anchor not in (0, 1, 2):
            raise SplineCamError(f"anchor must be 0, 1 or 2, got {anchor!r}")
        anchors = np.array(self.anchors, dtype=np.float64)
        anchors[anchor] = np.asarray(self._data.X[row], dtype=np.float64).reshape(anchors.shape[1:])
        self.anchors = anchors
