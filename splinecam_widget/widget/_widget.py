"""SplineCamWidget: the live partition canvas in the notebook.

The widget owns the data: it validates what the user passes, has its
:class:`~._worker.PartitionWorker` run the exact engine off the kernel's main thread
whenever the slice changes, colours the regions, and sends the result to the front end
(``js/``) as binary buffers (``_wire.py``).  The front end owns the camera, the drawing,
hit-testing, dragging and the tooltip.

Two paths move the anchors, and they mean different things:

- setting ``anchors`` (from Python, or a data point used as anchor) defines a **new
  plane**: a new frame, the whole domain in view (:meth:`_new_plane`);
- dragging a handle in the front end changes ``anchors_2d``: the handles **move on the
  same plane**, whose frame stays, so the camera does not jump (:meth:`_moved_anchors`).
  ``anchors`` then follows the handles: it always equals the plane's anchors in input
  space, which is how the first path tells that nothing new was asked.

Listeners of either path: :meth:`on_new_plane` and :meth:`on_anchors_moved`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets

from ..colors import check_mode, region_colors
from ..errors import SplineCamError
from ..slice import Slice, as_float64_array, convex_polygon, named_domain
from ..checkpoints import Checkpoints
from ._data import DataOverlayMethods
from ._exports import WidgetExports
from ._overlay import DataOverlay
from ._requests import FrontEndRequests
from ._wire import encode_geometry, encode_style, partition_shift
from ._worker import Job, PartitionWorker

BUNDLE = Path(__file__).resolve().parents[1] / "static" / "widget.js"


def _front_end():
    """The front-end bundle for anywidget: its text, or its path while developing.

    A path would make anywidget connect every widget to a class-wide file watcher that
    keeps it alive forever.  With ANYWIDGET_HMR=1 (front-end development) the path is
    given, so the views reload when the bundle is rebuilt.
    """
    if os.environ.get("ANYWIDGET_HMR") and BUNDLE.exists():
        return BUNDLE
    return BUNDLE.read_text(encoding="utf-8") if BUNDLE.exists() else ""


SINGLE_THREAD_BELOW = 20_000
"""Regions in the last partition under which the next one runs on one thread: with the browser
busy on another core, torch's spinning worker threads would make small partitions several times slower."""


def _floats(value) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numeric (ragged lists, strings, ...)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _check_domain(domain):
    if isinstance(domain, str):
        if domain not in ("square", "triangle"):
            raise SplineCamError(
                f"domain={domain!r} is not a domain; use 'square', 'triangle' or an (n, 2) convex polygon"
            )
        return domain
    poly = as_float64_array(domain, "domain")
    if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3:
        raise SplineCamError(f"domain must be 'square', 'triangle' or an (n, 2) convex polygon, got shape {poly.shape}")
    return poly


@dataclass(frozen=True)
class Shown:
    """The one record of what the front end shows.

    The partition (partial or final), the id of its computation, and the float64 point
    its float32 wire coordinates are relative to: the geometry and every colouring of it
    are encoded with this one ``shift``.
    """

    partition: object
    seq: int
    shift: np.ndarray
    n_layers: int | None


class SplineCamWidget(WidgetExports, DataOverlayMethods, FrontEndRequests, anywidget.AnyWidget):
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
    checkpoints : sequence of torch.nn.Module, state dicts or paths, optional
        Networks to step through with a slider (e.g. one per epoch); state dicts are
        loaded into a private copy of ``model`` (which may be None when every
        checkpoint is a module); paths to ``torch.save`` files of either are read
        without running code from them.  Colours in the ``"pattern"`` mode are keyed on
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

    _esm = _front_end()

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

    def __init__(
        self,
        model,
        anchors,
        domain="square",
        color_by="slope",
        levels=None,
        device=None,
        *,
        max_regions: int = 300_000,
        margin: float = 0.25,
        height: int = 480,
        anchor_labels=None,
        checkpoints=None,
        checkpoint_labels=None,
        checkpoint: int = 0,
        image_shape=None,
        link_group: str = "",
    ):
        if not BUNDLE.exists():
            raise SplineCamError(f"the front-end bundle {BUNDLE} is missing: run `npm install && npm run build`")
        self._worker = PartitionWorker(self)
        self._closed = False
        self._plane: Slice | None = None
        self._frame = 0  # id of the plane frame; the front end refits its camera when it changes
        self._seq = 0  # id of the last published computation
        self._shown: Shown | None = None
        self._final = None  # the last complete partition
        self._ready = False
        self._data: DataOverlay | None = None
        self._image_shape = image_shape
        self._image_layout = None
        self._checkpoints = None
        self._plane_listeners: list = []
        self._moved_listeners: list = []
        self._partition_listeners: list = []
        extra = {} if anchor_labels is None else {"anchor_labels": list(anchor_labels)}
        if checkpoints is not None:
            self._checkpoints = Checkpoints(checkpoints, model, checkpoint_labels)
            checkpoint = self._checkpoints.index(checkpoint)
            model = self._checkpoints.model(checkpoint)
            extra.update(checkpoint=checkpoint, checkpoint_labels=self._checkpoints.labels)
        elif checkpoint_labels is not None:
            raise SplineCamError("checkpoint_labels needs checkpoints")
        super().__init__(
            model=model,
            domain=domain,
            margin=margin,
            color_by=color_by,
            levels=levels,
            device=device,
            max_regions=max_regions,
            height=height,
            link_group=link_group,
            **extra,
        )
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
            raise SplineCamError(
                f"anchors must have shape (3, *input_shape): three model inputs, got shape {anchors.shape}"
            )
        if not self._on_plane(anchors):
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
        value = _floats(proposal["value"])
        if value is None or value.shape != (3, 2) or not np.all(np.isfinite(value)):
            raise SplineCamError(f"anchors_2d must be three finite (u, v) pairs, got {proposal['value']!r}")
        return value.tolist()

    @traitlets.validate("view")
    def _valid_view(self, proposal):
        view = proposal["value"]
        if view is None:
            return None
        corners = _floats(view)
        if corners is None or corners.shape != (4,) or not np.all(np.isfinite(corners)):
            raise SplineCamError(f"view must be four finite numbers [u0, v0, u1, v1], got {view!r}")
        u0, v0, u1, v1 = (float(x) for x in corners)
        if not (u1 > u0 and v1 > v0):
            raise SplineCamError(f"view must be a rectangle [u0, v0, u1, v1] with u0 < u1 and v0 < v1, got {view!r}")
        convex_polygon([[u0, v0], [u1, v0], [u1, v1], [u0, v1]], "view")  # refuses windows too small to hold area
        return [u0, v0, u1, v1]

    def set_state(self, sync_data):
        """Apply a state update from a front end; a refused value is rolled back and shown, not raised.

        traitlets has already restored the traits when the validation error arrives here;
        the front end is sent the restored values so that it shows them too.
        """
        try:
            super().set_state(sync_data)
        except traitlets.TraitError as exc:
            self.publish_error(None, str(exc), "error")
            self.send_state([name for name in sync_data if name in self.keys])

    # --- the two ways the anchors move ----------------------------------------------------
    def _on_plane(self, anchors) -> bool:
        """True when ``anchors`` are exactly the current plane's anchors (so nothing new is asked)."""
        plane = self._plane
        return plane is not None and np.array_equal(anchors, plane.to_input(plane.anchors_2d))

    @traitlets.observe("anchors", "domain", "margin")
    def _new_plane(self, change):
        """Anchors set from Python (or a new domain rule): a new plane frame, the whole domain in view."""
        if not self._ready or self._closed or self.anchors is None:
            return
        if change["name"] == "anchors" and self._on_plane(change["new"]):
            return
        plane = Slice.from_anchors(self.anchors, self.domain, self.margin)
        self._worker.cancel()  # nothing computed on the old plane is published from now on
        self._plane = plane
        self._frame += 1
        with self.hold_trait_notifications():
            self.anchors_2d = plane.anchors_2d.tolist()
            self.view = None
            self.data = None if self._data is None else self._data.encode(plane, self._frame)
        self._request()
        for listener in list(self._plane_listeners):
            listener(self)

    @traitlets.observe("anchors_2d")
    def _moved_anchors(self, change):
        """Handles dragged in the front end: the same plane frame, new anchors and domain."""
        plane = self._plane
        if plane is None or self._closed or np.array_equal(change["new"], plane.anchors_2d):
            return
        anchors_2d = np.asarray(change["new"], dtype=np.float64)
        try:
            domain = named_domain(anchors_2d, self.domain, self.margin) if isinstance(self.domain, str) else self.domain
            moved = Slice(plane.origin, plane.basis, domain, plane.input_shape, anchors_2d=anchors_2d)
        except SplineCamError as exc:
            self.publish_error(None, str(exc), "error")
            return
        self._plane = moved
        self.anchors = moved.to_input(anchors_2d)  # on the plane: not a new one (see _new_plane)
        self._request()
        for listener in list(self._moved_listeners):
            listener(self)

    def on_new_plane(self, callback) -> None:
        """Call ``callback(widget)`` after ``anchors`` set from Python moved the widget to a new plane."""
        self._plane_listeners.append(callback)

    def on_anchors_moved(self, callback) -> None:
        """Call ``callback(widget)`` after the handles were dragged on the same plane (``anchors_2d``)."""
        self._moved_listeners.append(callback)

    # --- other changes ------------------------------------------------------------------
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
        with self._worker.publication():
            shown = self._shown
            if shown is not None and not self._closed:
                self.coloring = self._coloring(shown)

    # --- requests, and what the worker publishes ---------------------------------------------
    def _computed_slice(self) -> Slice:
        """The plane, with the visible window as domain when the user has zoomed or panned."""
        plane = self._plane
        if self.view is None:
            return plane
        u0, v0, u1, v1 = self.view
        return plane.with_domain([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])

    def _request(self) -> None:
        """File a job for the current state; a failure to build it is shown, never raised into a setter."""
        if self._closed:
            return
        last = self._final
        threads = 1 if last is not None and last.n_regions < SINGLE_THREAD_BELOW else None
        try:
            plane = self._computed_slice()
        except Exception as exc:  # noqa: BLE001 - the user sees it in the widget and in `error`
            self._worker.cancel()  # what runs now computes a state that is not the current one
            message = str(exc) if isinstance(exc, SplineCamError) else f"{type(exc).__name__}: {exc}"
            self.publish_error(None, message, "error")
            return
        self._worker.request(Job(self._frame, self.model, plane, self.levels, self.device, self.max_regions, threads))

    def _coloring(self, shown: Shown) -> dict:
        """The ``coloring`` trait of what is shown, in the current mode and colour range."""
        coloring = region_colors(shown.partition, self.color_by, shown.n_layers, value_range=self.color_range)
        return encode_style(coloring, seq=shown.seq, mode=self.color_by, shift=shown.shift)

    def publish(self, job: Job, partition, status: dict, layer: int = -1, n_layers: int = 0) -> None:
        """Worker callback (under its publication lock): show a partition and a status."""
        with self.hold_sync():
            if partition is not None:
                self._seq += 1
                shown = Shown(partition, self._seq, partition_shift(partition), n_layers or None)
                self.geometry = encode_geometry(
                    partition, seq=shown.seq, frame=job.frame, shift=shown.shift, layer=layer, n_layers=n_layers
                )
                self.coloring = self._coloring(shown)
                self._shown = shown
                if not partition.is_partial:
                    self._final = partition
            self.status = status
            self.error = None

    def publish_error(self, job: Job | None, message: str, state: str) -> None:
        """Worker callback (and drag errors): show ``message`` in the widget and in ``error``."""
        with self._worker.publication(), self.hold_sync():
            self.status = {
                "state": state,
                "message": message,
                "layer": -1,
                "n_layers": 0,
                "n_regions": 0 if self._final is None else self._final.n_regions,
            }
            self.error = message

    def published(self, partition) -> None:
        """Worker callback after a final partition was published: tell the listeners."""
        for listener in list(self._partition_listeners):
            listener(self, partition)

    # --- public API ------------------------------------------------------------------
    def close(self, wait: bool = True) -> None:
        """Close the widget: its views disappear and its worker thread stops (``wait``: joined).

        Its partition, data and checkpoints are released; later changes do nothing.
        """
        if self._closed:
            return
        self._closed = True
        self._worker.close(wait=wait)
        super().close()
        with self._worker.publication():
            self._shown = self._final = self._data = self._checkpoints = None
            for listeners in (self._plane_listeners, self._moved_listeners, self._partition_listeners):
                listeners.clear()
            self.set_trait("geometry", None)
            self.set_trait("coloring", None)
            self.set_trait("data", None)
            self.set_trait("anchor_images", None)

    def __del__(self):
        """Garbage collection closes the widget without waiting for its thread."""
        try:
            self.close(wait=False)
        except Exception:  # noqa: BLE001, S110 - nothing may escape a finaliser
            pass

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def partition(self):
        """The partition currently drawn (the last complete one), or None."""
        return self._final

    def on_partition(self, callback) -> None:
        """Call ``callback(widget, partition)`` (on the worker thread) after each complete partition is drawn."""
        self._partition_listeners.append(callback)

    def wait(self, timeout: float | None = None):
        """Block until every requested computation has finished; return :attr:`partition`.

        Raises
        ------
        TimeoutError
            If the computations are still running after ``timeout`` seconds.
        """
        self._worker.wait(timeout)
        return self._final
