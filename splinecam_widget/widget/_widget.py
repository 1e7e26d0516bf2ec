"""SplineCamWidget: the live partition canvas in the notebook.

The widget owns the data: it validates what the user passes (``_validation.py``), has its
:class:`~._worker.PartitionWorker` run the exact engine off the kernel's main thread
whenever the slice changes, colours the regions, and sends the result to the front end
(``js/``) as binary buffers (``_wire.py``).  The front end owns the camera, the drawing,
hit-testing, dragging, the tooltip, the toolbar and the legend's layout; it asks Python
for what traits do not hold through a request channel (``_channel.py``, ``_requests.py``).

How the anchors move (a new plane, or handles dragged on the same plane) and the undo of
a move live in ``_anchors.py``; the jobs filed with the worker and what is shown of their
results, in ``_publishing.py``; why a widget never displayed is collected when dropped,
in ``_registry.py``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import anywidget
import traitlets

from ..checkpoints import Checkpoints
from ..errors import SplineCamError
from ..slice import Slice
from ._anchors import AnchorMoves
from ._data import DataOverlayMethods
from ._exports import WidgetExports
from ._overlay import DataOverlay
from ._publishing import Shown, WorkerOwner
from ._registry import WeaklyHeld
from ._requests import FrontEndRequests
from ._validation import VISIBLE_PARTS, ColorMode, Flag, Margin, TraitValidation, VisibleParts
from ._worker import PartitionWorker

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


class SplineCamWidget(
    AnchorMoves,
    WidgetExports,
    DataOverlayMethods,
    FrontEndRequests,
    TraitValidation,
    WorkerOwner,
    WeaklyHeld,
    anywidget.AnyWidget,
):
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
    visible : sequence of str, optional
        What is drawn over the coloured regions: any of ``"edges"`` (region edges),
        ``"boundary"`` (decision boundary), ``"anchors"`` (handles and thumbnails) and
        ``"data"`` (the points of :meth:`show_data`); default all.  Hidden anchors cannot
        be dragged, hidden points cannot be hovered.  Downloaded and saved figures follow it.
    toolbar : bool
        Show the toolbar: colour mode, what is drawn, reset view, undo of the last
        anchor move, PNG and SVG downloads, the status with a cancel button.
    legend : bool
        Show the legend (beside the plot when the widget is wide, below it when narrow;
        it can be collapsed).  A comparison shows one legend for all its views instead.

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
    color_by, visible, toolbar, legend, view : see Parameters
        Set them from Python or from the toolbar; each change shows on both sides.
        ``view`` is the visible rectangle ``[u0, v0, u1, v1]`` (None: the whole domain).
    status : dict
        What the status line shows: ``state`` (``"idle"``, ``"computing"``,
        ``"cancelled"``, ``"error"`` or ``"budget"``), ``message``, ``layer`` and
        ``n_layers`` while computing, ``n_regions``, and ``seconds``: how long the last
        computation took (while computing: so far).
    can_undo : bool
        Whether :meth:`undo_anchor_move` has a move to undo (read only).
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
    height = traitlets.TraitType(480).tag(sync=True)  # any value reaches check_pixels, as every picture size
    checkpoint = traitlets.Int(0).tag(sync=True)
    checkpoint_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    link_group = traitlets.Unicode("").tag(sync=True)
    color_by = ColorMode("slope").tag(sync=True)
    visible = VisibleParts(list(VISIBLE_PARTS)).tag(sync=True)
    toolbar = Flag(True).tag(sync=True)
    legend = Flag(True).tag(sync=True)

    # --- Python side only ---
    model = traitlets.Any()
    anchors = traitlets.Any()
    domain = traitlets.Any("square")
    margin = Margin(0.25)
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
        visible=VISIBLE_PARTS,
        toolbar: bool = True,
        legend: bool = True,
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
        self._front_end_change = False  # true while a front end's update is applied
        self._init_anchor_moves()
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
            visible=visible,
            toolbar=toolbar,
            legend=legend,
            **extra,
        )
        self._hold_weakly()  # collected when dropped, until its id is handed out (_registry.py)
        self._open_channel()
        self._ready = True
        self.anchors = anchors

    def set_state(self, sync_data):
        """Apply a state update from a front end; a refused value is rolled back and shown, not raised.

        traitlets has already restored the traits when the validation error arrives here;
        the front end is sent the restored values so that it shows them too.
        """
        self._front_end_change = True
        try:
            super().set_state(sync_data)
        except traitlets.TraitError as exc:
            self.publish_error(None, str(exc), "error")
            self.send_state([name for name in sync_data if name in self.keys])
        finally:
            self._front_end_change = False

    @contextlib.contextmanager
    def hold_trait_notifications(self):
        """Notify each change as it is made (ipywidgets' ``set_state`` and traitlets hold them).

        traitlets holds them by swapping ``notify_change`` on the instance: a change made
        meanwhile on another thread (a result the worker publishes, anchors set from a
        thread) was held too, fired on the wrong thread, lost, or broke the update
        ("dictionary changed size during iteration").  Held or not, each reaction reads
        the traits' current values (see ``_anchors.py``).
        """
        yield

    # --- other changes ------------------------------------------------------------------
    @traitlets.observe("checkpoint")
    def _new_checkpoint(self, change):
        if self._checkpoints is not None:
            self.model = self._checkpoints.model(change["new"])

    # --- public API ------------------------------------------------------------------
    def close(self, wait: bool = True) -> None:
        """Close the widget: its views disappear and its worker thread stops (``wait``: joined).

        Its partition, data and checkpoints are released; later changes do nothing.
        """
        if self._closed:
            return
        self._closed = True
        self._worker.close(wait=wait)
        self._close_channel()
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
        """Garbage collection (of a widget never displayed, see ``_registry.py``) closes it; its thread ends."""
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

    def cancel(self) -> bool:
        """Abandon the running computation at its next layer; return whether one was running.

        The picture drawn so far stays (a partial partition while streaming) and the
        status says "cancelled"; :attr:`partition` stays the last complete partition.
        The next change (a drag, a zoom, ...) computes again.  The toolbar's cancel
        button and the Escape key call this.
        """
        with self._worker.publication():
            if self._closed or not self._worker.busy:
                return False
            self._worker.cancel()
            self.status = {
                "state": "cancelled",
                "message": "cancelled",
                "layer": -1,
                "n_layers": 0,
                "n_regions": 0 if self._shown is None else self._shown.partition.n_regions,
            }
            self.error = None
        return True

    def on_partition(self, callback) -> None:
        """Call ``callback(widget, partition)`` (on the worker thread) after each complete partition is drawn."""
        self._partition_listeners.append(callback)

    def wait(self, timeout: float | None = None):
        """Block until every requested computation has finished; return :attr:`partition`.

        Then what is shown (:attr:`partition`, ``anchors_2d``, the picture) is computed
        on the plane of the current ``anchors``, however many threads set them.

        Raises
        ------
        TimeoutError
            If the computations are still running after ``timeout`` seconds.
        """
        self._worker.wait(timeout, until=self._shows_anchors)
        return self._final
