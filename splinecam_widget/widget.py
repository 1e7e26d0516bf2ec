"""SplineCamWidget: the live partition canvas in the notebook.

The widget owns the data: it validates what the user passes, runs the exact engine
off the kernel's main thread whenever the slice changes, colours the regions, and
sends the result to the front end (``js/``) as binary buffers.  The front end owns
the camera, the drawing, hit-testing, dragging and the tooltip.

Threading
---------
Every change that alters the partition (anchors, model, viewport, levels, ...)
files a *request* with a new generation number.  One worker thread computes the
newest request only; a request superseded while it runs is cancelled at the next
layer, and a result whose generation is no longer the newest is dropped, never
drawn.  Results are published under a lock, so the traits always describe one
computation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets

from .colors import check_mode, region_colors, slope_images
from .encoding import encode_geometry, encode_style
from .engine import partition as compute_partition
from .errors import RegionBudgetExceeded, SplineCamError
from .slice import Slice, as_float64_array, named_domain

BUNDLE = Path(__file__).parent / "static" / "widget.js"
SINGLE_THREAD_BELOW = 20_000  # regions in the last partition under which the next one runs single-threaded


class _Superseded(Exception):
    """Raised from the progress callback to abandon a computation nobody will draw."""


@dataclass(frozen=True)
class _Request:
    gen: int
    frame: int
    model: torch.nn.Module
    plane: Slice
    levels: object
    device: object
    max_regions: int


def _check_domain(domain):
    if isinstance(domain, str):
        if domain not in ("square", "triangle"):
            raise SplineCamError(f"domain={domain!r} is not a domain; use 'square', 'triangle' or an (n, 2) convex polygon")
        return domain
    poly = as_float64_array(domain, "domain")
    if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3:
        raise SplineCamError(f"domain must be 'square', 'triangle' or an (n, 2) convex polygon, got shape {poly.shape}")
    return poly


class SplineCamWidget(anywidget.AnyWidget):
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

    Attributes
    ----------
    partition : Partition or None
        The partition currently drawn (None before the first one).
    error : str or None
        The last error message, shown in the widget too.
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

    # --- Python side only ---
    model = traitlets.Any()
    anchors = traitlets.Any()
    domain = traitlets.Any("square")
    margin = traitlets.Float(0.25)
    color_by = traitlets.Unicode("slope")
    levels = traitlets.Any(None)
    device = traitlets.Any(None)
    max_regions = traitlets.Int(300_000)

    stream_after = 0.2
    """Seconds after which a running computation streams its partial partitions."""

    def __init__(self, model, anchors, domain="square", color_by="slope", levels=None, device=None, *,
                 max_regions: int = 300_000, margin: float = 0.25, height: int = 480, anchor_labels=None):
        if not BUNDLE.exists():
            raise SplineCamError(f"the front-end bundle {BUNDLE} is missing: run `npm install && npm run build`")
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._gen = 0
        self._frame = 0
        self._seq = 0
        self._pending: _Request | None = None
        self._busy = False
        self._plane: Slice | None = None
        self._partition = None
        self._published_seq = -1
        self._ready = False
        self._dragged = False
        self._worker: threading.Thread | None = None
        labels = {} if anchor_labels is None else {"anchor_labels": list(anchor_labels)}
        super().__init__(model=model, domain=domain, margin=margin, color_by=color_by, levels=levels,
                         device=device, max_regions=max_regions, height=height, **labels)
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

    @traitlets.observe("model", "levels", "device", "max_regions", "view")
    def _recompute(self, change):
        if self._ready and self._plane is not None:
            self._request()

    @traitlets.observe("color_by")
    def _restyle(self, change):
        with self._lock:
            p = self._partition
            if p is not None:
                self.coloring = encode_style(region_colors(p, self.color_by), seq=self._published_seq, mode=self.color_by)

    # --- requests and the worker ---------------------------------------------------------
    def _computed_slice(self) -> Slice:
        plane = self._plane
        if self.view is None:
            return plane
        u0, v0, u1, v1 = self.view
        return plane.with_domain([[u0, v0], [u1, v0], [u1, v1], [u0, v1]])

    def _request(self) -> None:
        with self._lock:
            self._gen += 1
            self._pending = _Request(self._gen, self._frame, self.model, self._computed_slice(), self.levels,
                                     self.device, self.max_regions)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="splinecam-widget", daemon=True)
                self._worker.start()
            self._wake.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None:
                    self._wake.wait()
                request, self._pending = self._pending, None
                self._busy = True
            try:
                self._run(request)
            except Exception as exc:  # noqa: BLE001 - the worker must survive, and the user must see it
                self._show_error(f"{type(exc).__name__}: {exc}", "error", request.gen)
            finally:
                with self._lock:
                    self._busy = False
                    self._wake.notify_all()

    def _run(self, request: _Request) -> None:
        start = time.perf_counter()

        def progress(event) -> None:
            if request.gen != self._gen:
                raise _Superseded
            if time.perf_counter() - start < self.stream_after:
                return
            status = {"state": "computing", "message": "", "layer": event.layer, "n_layers": event.n_layers,
                      "n_regions": event.n_regions}
            last = event.layer + 1 == event.n_layers
            self._publish(request, event.partial if not last else None, status, layer=event.layer, n_layers=event.n_layers)

        try:
            # Interactive-sized partitions run on one thread: with the browser busy on another core,
            # torch's spinning worker threads would make them several times slower.
            last = self._partition
            threads = 1 if last is not None and last.n_regions < SINGLE_THREAD_BELOW else None
            p = compute_partition(request.model, request.plane, device=request.device, max_regions=request.max_regions,
                                  levels=request.levels, progress=progress, threads=threads)
        except _Superseded:
            return
        except RegionBudgetExceeded as exc:
            self._show_error(str(exc), "budget", request.gen)
            return
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user, in the widget
            message = str(exc) if isinstance(exc, SplineCamError) else f"{type(exc).__name__}: {exc}"
            self._show_error(message, "error", request.gen)
            return
        status = {"state": "idle", "message": "", "layer": -1, "n_layers": 0, "n_regions": p.n_regions}
        self._publish(request, p, status)

    def _publish(self, request: _Request, p, status: dict, layer: int = -1, n_layers: int = 0) -> None:
        """Send a (partial or final) partition, or only a status, if the request is still the newest."""
        with self._lock:
            if request.gen != self._gen:
                return
            with self.hold_sync():
                if p is not None:
                    self._seq += 1
                    geometry = encode_geometry(p, seq=self._seq, frame=request.frame, layer=layer, n_layers=n_layers)
                    style = encode_style(region_colors(p, self.color_by, n_layers or None), seq=self._seq,
                                         mode=self.color_by)
                    self.geometry, self.coloring = geometry, style
                    if not p.is_partial:
                        self._partition, self._published_seq = p, self._seq
                self.status = status
                self.error = None

    def _show_error(self, message: str, state: str, gen: int | None = None) -> None:
        with self._lock:
            if gen is not None and gen != self._gen:
                return
            with self.hold_sync():
                self.status = {"state": state, "message": message, "layer": -1, "n_layers": 0,
                               "n_regions": 0 if self._partition is None else self._partition.n_regions}
                self.error = message

    # --- public API ------------------------------------------------------------------
    @property
    def partition(self):
        """The partition currently drawn (the last complete one), or None."""
        return self._partition

    def save_png(self, path, scale: float = 2.0, width: int = 800, **options) -> None:
        """Write the current partition as a PNG of ``width * scale`` pixels, rendered in Python.

        Any resolution works (no screen involved); in the ``"class"`` mode each pixel takes
        its own class, so the decision regions are exact.  ``options`` go to
        :func:`~splinecam_widget.export.png.render_partition`.
        """
        from .export.png import save_png

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
        from .export import save_svg

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
        from .export import partition_to_bokeh

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
        from .export.html import save_widget_html

        self.wait()
        return save_widget_html(self, path, **options)

    def wait(self, timeout: float | None = None):
        """Block until every requested computation has finished; return :attr:`partition`.

        Raises
        ------
        TimeoutError
            If the computations are still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._pending is not None or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"the partition is still being computed after {timeout} s")
                self._wake.wait(left)
        return self._partition

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
        images = slope_images(slope)
        if images is not None:
            rgba, scales = images
            response.update(kind="image", image_shape=list(rgba.shape[1:3]), scales=scales.tolist())
            out.append(rgba.tobytes())
        return response, out

