"""SplineCamWidget: the live partition canvas in the notebook.

The widget owns the data: it validates what the user passes, runs the exact engine
off the kernel's main thread whenever the slice changes, colours the regions, and
sends the result to the front end (``js/``) as binary buffers.  The front end owns
the camera, the drawing, hit-testing, dragging and the tooltip.

The class is assembled from mixins with one job each: ``widget_worker`` (the
background computation), ``widget_data`` (data overlay, anchors from data,
pictures of inputs) and ``widget_export`` (figures).
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets

from .checkpoints import Checkpoints
from .colors import check_mode
from .encoding import partition_shift
from .errors import SplineCamError
from .images import slope_images
from .overlay import DataOverlay
from .slice import Slice, as_float64_array, named_domain
from .widget_data import DataOverlayMethods
from .widget_export import WidgetExports
from .widget_worker import PartitionWorker

BUNDLE = Path(__file__).parent / "static" / "widget.js"


def _check_domain(domain):
    if isinstance(domain, str):
        if domain not in ("square", "triangle"):
            raise SplineCamError(f"domain={domain!r} is not a domain; use 'square', 'triangle' or an (n, 2) convex polygon")
        return domain
    poly = as_float64_array(domain, "domain")
    if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3:
        raise SplineCamError(f"domain must be 'square', 'triangle' or an (n, 2) convex polygon, got shape {poly.shape}")
    return poly


class SplineCamWidget(WidgetExports, DataOverlayMethods, PartitionWorker, anywidget.AnyWidget):
    """Exact linear regions, decision boundary and per-region affine maps of a network on a 2D slice.

    Parameters
    ----------
    model : torch.nn.Module
        A piecewise-linear network in eval mode.
    anchors : array-like or torch.Tensor, shape (3, *input_shape)
        Three inputs; the slice is the plane through them.
    domain : {"square", "triangle"} or array-like (n, 2)
        Region of the plane shown at first (see :meth:`Slice.from_anchors`).
    color_by : {"slope", "class", "output", "pattern", "layer"}
        Colour mode (see :mod:`splinecam_widget.colors`).
    levels : sequence of float, optional
        Output levels drawn as the decision boundary of a one-output network.
    device : str or torch.device, optional
        Where the engine runs (default: CUDA when available).
    max_regions : int
        Region budget: past it the widget says so and keeps the last picture.
    margin : float
        Relative margin of the named domains around the anchors.
    height : int
        Height of the canvas in CSS pixels.
    anchor_labels : sequence of str, optional
        Labels of the three anchor handles.
    checkpoints : sequence of torch.nn.Module or state dicts, optional
        Networks to step through with a slider (e.g. one per epoch); state dicts are
        loaded into a private copy of ``model`` (which may be None when every
        checkpoint is a module).  Colours in the ``"pattern"`` mode are keyed on
        activation patterns, so they stay put between checkpoints.
    checkpoint_labels : sequence of str, optional
        Slider labels, one per checkpoint.
    checkpoint : int
        The checkpoint shown first.
    image_shape : tuple of int, optional
        Shape to show flat inputs as images, e.g. ``(8, 8)``; inputs shaped
        ``(H, W)``, ``(1, H, W)`` or ``(3, H, W)`` are shown as images anyway (anchor
        thumbnails beside the handles, input-space slopes and data points as pictures).
    link_group : str
        Widgets with the same non-empty group share their viewport live in the
        front end (see :func:`~splinecam_widget.compare`).

    Attributes
    ----------
    partition : Partition or None
        The partition currently drawn (None before the first one).
    error : str or None
        The last error message, shown in the widget too.
    checkpoint : int
        The checkpoint shown (set it, or move the slider).
    color_range : (float, float) or None
        Values at the ends of the colour bar in the ``"slope"`` and ``"output"``
        modes (None: each partition's own range); set to share a scale between widgets.
    """

    _esm = BUNDLE

    # --- synced with the front end ---
    geometry = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    # not "style": DOMWidget reserves that name (its front end unpacks it and drops binary buffers)
    coloring = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    anchors_2d = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)
    anchor_labels = traitlets.List(traitlets.Unicode(), default_value=["x0", "x1", "x2"]).tag(sync=True)
    view = traitlets.List(traitlets.Float(), allow_none=True, default_value=None).tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode(allow_none=True, default_value=None).tag(sync=True)
    height = traitlets.Int(480).tag(sync=True)
    checkpoint = traitlets.Int(0).tag(sync=True)
    checkpoint_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    link_group = traitlets.Unicode("").tag(sync=True)

    # --- Python side only ---
    model = traitlets.Any()
    anchors = traitlets.Any()
    domain = traitlets.Any("square")
    margin = traitlets.Float(0.25)
    color_by = traitlets.Unicode("slope")
    levels = traitlets.Any(None)
    device = traitlets.Any(None)
    max_regions = traitlets.Int(300_000)
    color_range = traitlets.Any(None)

    def __init__(self, model, anchors, domain="square", color_by="slope", levels=None, device=None, *,
                 max_regions: int = 300_000, margin: float = 0.25, height: int = 480, anchor_labels=None,
                 checkpoints=None, checkpoint_labels=None, checkpoint: int = 0, image_shape=None,
                 link_group: str = ""):
        if not BUNDLE.exists():
            raise SplineCamError(f"the front-end bundle {BUNDLE} is missing: run `npm install && npm run build`")
        self._init_worker()
        self._plane: Slice | None = None
        self._ready = False
        self._dragged = False
        self._data: DataOverlay | None = None
        self._image_shape = image_shape
        self._image_layout = None
        self._checkpoints = None
        extra = {} if anchor_labels is None else {"anchor_labels": list(anchor_labels)}
        if checkpoints is not None:
            self._checkpoints = Checkpoints(checkpoints, model, checkpoint_labels)
            checkpoint = self._checkpoints.index(checkpoint)
            model = self._checkpoints.model(checkpoint)
            extra.update(checkpoint=checkpoint, checkpoint_labels=self._checkpoints.labels)
        elif checkpoint_labels is not None:
            raise SplineCamError("checkpoint_labels needs checkpoints")
        super().__init__(model=model, domain=domain, margin=margin, color_by=color_by, levels=levels,
                         device=device, max_regions=max_regions, height=height, link_group=link_group, **extra)
        self._ready = True
        self.anchors = anchors

    # --- validation ----------------------------------------------------------------
    @traitlets.validate("model")
    def _valid_model(self, proposal):
        model = proposal["value"]
        if not isinstance(model, torch.nn.Module):
            raise SplineCamError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        return model

    @traitlets.validate("anchors")
    def _valid_anchors(self, proposal):
        anchors = as_float64_array(proposal["value"], "anchors")
        if anchors.ndim < 2 or anchors.shape[0] != 3:
            raise SplineCamError(f"anchors must have shape (3, *input_shape): three model inputs, got shape {anchors.shape}")
        if not self._dragged:
            Slice.from_anchors(anchors, self.domain, self.margin)  # refuse collinear or repeated anchors now
        return anchors

    @traitlets.validate("checkpoint")
    def _valid_checkpoint(self, proposal):
        if self._checkpoints is None:
            if proposal["value"] != 0:
                raise SplineCamError("this widget has no checkpoints: pass checkpoints=[...] to step through networks")
            return 0
        return self._checkpoints.index(proposal["value"])

    @traitlets.validate("color_range")
    def _valid_color_range(self, proposal):
        value = proposal["value"]
        if value is None:
            return None
        try:
            bounds = np.asarray(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            bounds = np.zeros(0)
        if bounds.shape != (2,) or not np.all(np.isfinite(bounds)) or bounds[0] >= bounds[1]:
            raise SplineCamError(f"color_range must be None or (low, high) with finite low < high, got {value!r}")
        return float(bounds[0]), float(bounds[1])

    @traitlets.validate("color_by")
    def _valid_color_by(self, proposal):
        return check_mode(proposal["value"])

    @traitlets.validate("domain")
    def _valid_domain(self, proposal):
        return _check_domain(proposal["value"])

    @traitlets.validate("margin")
    def _valid_margin(self, proposal):
        if not (np.isfinite(proposal["value"]) and proposal["value"] >= 0):
            raise SplineCamError(f"margin must be a non-negative number, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("max_regions")
    def _valid_max_regions(self, proposal):
        if proposal["value"] < 1:
            raise SplineCamError(f"max_regions must be a positive integer, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("anchors_2d")
    def _valid_anchors_2d(self, proposal):
        value = np.asarray(proposal["value"], dtype=np.float64)
        if value.shape != (3, 2) or not np.all(np.isfinite(value)):
            raise SplineCamError(f"anchors_2d must be three finite (u, v) pairs, got {proposal['value']!r}")
        return value.tolist()

    @traitlets.validate("view")
    def _valid_view(self, proposal):
        view = proposal["value"]
        if view is None:
            return None
        u0, v0, u1, v1 = np.asarray(view, dtype=np.float64).reshape(4)
        if not (np.all(np.isfinite([u0, v0, u1, v1])) and u1 > u0 and v1 > v0):
            raise SplineCamError(f"view must be a finite rectangle [u0, v0, u1, v1] with u0 < u1 and v0 < v1, got {view!r}")
        return [float(u0), float(v0), float(u1), float(v1)]

    # --- what changes trigger ---------------------------------------------------------
    @traitlets.observe("anchors", "domain", "margin")
    def _new_plane(self, change):
        """Anchors set from Python (or a new domain rule): a new plane frame, the whole domain in view."""
        if not self._ready or self.anchors is None or self._dragged:
            return
        plane = Slice.from_anchors(self.anchors, self.domain, self.margin)
        with self._lock:
            self._plane = plane
            self._frame += 1
            with self.hold_trait_notifications():
                self.anchors_2d = plane.anchors_2d.tolist()
                self.view = None
                self.data = None if self._data is None else self._data.encode(plane, self._frame)
        self._request()

    @traitlets.observe("anchors_2d")
    def _moved_anchors(self, change):
        """Anchors dragged in the front end: same frame, new anchors and domain."""
        plane = self._plane
        if plane is None or np.allclose(change["new"], plane.anchors_2d, rtol=0, atol=0):
            return
        anchors_2d = np.asarray(change["new"], dtype=np.float64)
        try:
            domain = named_domain(anchors_2d, self.domain, self.margin) if isinstance(self.domain, str) else self.domain
            moved = Slice(plane.origin, plane.basis, domain, plane.input_shape, anchors_2d=anchors_2d)
        except SplineCamError as exc:
            self._show_error(str(exc), "error")
            return
        with self._lock:
            self._plane = moved
            self._dragged = True
            try:
                self.anchors = moved.to_input(anchors_2d)
            finally:
                self._dragged = False
        self._request()

    @traitlets.observe("checkpoint")
    def _new_checkpoint(self, change):
        if self._checkpoints is not None:
            self.model = self._checkpoints.model(change["new"])

    @traitlets.observe("model", "levels", "device", "max_regions", "view")
    def _recompute(self, change):
        if self._ready and self._plane is not None:
            self._request()

    @traitlets.observe("color_by", "color_range")
    def _restyle(self, change):
        with self._lock:
            p = self._partition
            if p is not None:
                self.coloring = self._encode_coloring(p, self._published_seq, partition_shift(p))

    # --- requests and the worker ---------------------------------------------------------
    def _computed_slice(self) -> Slice:
        plane = self._plane
        if self.view is None:
            return plane
        u0, v0, u1, v1 = self.view
        return plane.with_domain([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])

    @anywidget.experimental.command
    def _input_slope(self, msg: dict, buffers: list):
        """Front-end request: the full input-space slope of one region of the drawn partition."""
        region, seq = int(msg.get("region", -1)), msg.get("seq")
        with self._lock:
            p, current = self._partition, self._published_seq
        if p is None or seq != current:
            return {"region": region, "shape": [0], "kind": "vector",
                    "error": "the partition changed since this region was drawn; hover it again"}, []
        try:
            slope = np.asarray(p.input_slope(region), dtype=np.float64)
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
