"""The two ways the anchors move, and the undo of the last move.

- setting ``anchors`` (from Python, or a data point used as anchor) defines a **new
  plane**: a new frame, the whole domain in view (:meth:`AnchorMoves._new_plane`);
- dragging a handle in the front end changes ``anchors_2d``: the handles **move on the
  same plane**, whose frame stays, so the camera does not jump
  (:meth:`AnchorMoves._moved_anchors`).  ``anchors`` then follows the handles: it always
  equals the plane's anchors in input space, which is how the first path tells that
  nothing new was asked.

Undo (:meth:`AnchorMoves.undo_anchor_move`) puts the handles back where they were before
the last move of the same plane: one drag in the front end (from grabbing the handle to
releasing it, however many positions reached Python on the way), or one ``anchors_2d``
set from Python.  The front end says when a drag begins (the ``begin_anchor_move``
request, which reaches Python before the drag's first position).
"""

from __future__ import annotations

import numpy as np
import traitlets

from ..errors import SplineCamError
from ..slice import Slice, named_domain


class AnchorMoves(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: new planes, moved handles, undo.

    Reads and writes the widget's ``_plane`` and ``_frame``, under its worker's
    publication lock; reads ``_ready``, ``_closed``, ``_worker``, ``_data`` and
    ``_front_end_change`` (true while a front end's update is applied); calls ``_request``
    and ``publish_error``.
    """

    # True when undo_anchor_move() has something to undo (set by Python only; the toolbar reads it)
    can_undo = traitlets.Bool(False).tag(sync=True)

    def _init_anchor_moves(self) -> None:
        self._plane_anchors = None  # the value of ``anchors`` the shown plane was made for
        self._replanning = False  # true while _new_plane resets the view (under the lock)
        self._plane_listeners: list = []
        self._moved_listeners: list = []
        self._undo: list | None = None  # anchors_2d before the last move on this plane
        self._drag_begun = False  # a drag began in the front end and has not moved yet
        self._undoing = False

    def _on_plane(self, anchors) -> bool:
        """True when ``anchors`` are exactly the current plane's anchors (so nothing new is asked)."""
        plane = self._plane
        return plane is not None and np.array_equal(anchors, plane.to_input(plane.anchors_2d))

    def _shows_anchors(self) -> bool:
        """True when the plane shown (and computed) is the plane of the current ``anchors``."""
        plane_anchors = self._plane_anchors
        return self._closed or plane_anchors is None or np.array_equal(self.anchors, plane_anchors)

    @traitlets.observe("anchors", "domain", "margin")
    def _new_plane(self, change):
        """Anchors set from Python (or a new domain rule): a new plane frame, the whole domain in view.

        Under the worker's publication lock, from the traits' current values, not the
        change's: when several threads set ``anchors``, the last of these reactions to run
        sees the last value set, and files the newest job (see ``docs/design.md``, "Threading").
        """
        with self._worker.publication():
            changed = self._plane_through_anchors(change["name"])
        if changed:
            for listener in list(self._plane_listeners):
                listener(self)  # outside the lock: listeners move other widgets

    def _plane_through_anchors(self, name: str) -> bool:
        """Make the plane through the current anchors the one shown and computed; False if it already is."""
        anchors = self.anchors
        if not self._ready or self._closed or anchors is None:
            return False
        if name == "anchors" and self._on_plane(anchors):
            self._plane_anchors = anchors  # the handles were dragged: anchors follow them (_moved_anchors)
            return False
        plane = Slice.from_anchors(anchors, self.domain, self.margin)
        self._worker.cancel()  # nothing computed on the old plane is published from now on
        self._plane, self._plane_anchors = plane, anchors
        self._frame += 1
        self._remember(None)  # a move on the old plane cannot be undone on this one
        with self.hold_sync():  # not hold_trait_notifications: it would swallow other threads' changes
            self.anchors_2d = plane.anchors_2d.tolist()  # the plane's own: _moved_anchors does nothing
            self._replanning = True  # the view's reaction need not file a job: it is filed below
            try:
                self.view = None
            finally:
                self._replanning = False
            self.data = None if self._data is None else self._data.encode(plane, self._frame)
        self._request()
        return True

    @traitlets.observe("anchors_2d")
    def _moved_anchors(self, change):
        """Handles dragged in the front end: the same plane frame, new anchors and domain.

        Under the worker's publication lock, from the current ``anchors_2d`` (see :meth:`_new_plane`).
        """
        with self._worker.publication():
            moved = self._move_handles()
        if moved:
            for listener in list(self._moved_listeners):
                listener(self)

    def _move_handles(self) -> bool:
        """Move the plane's anchors to the current ``anchors_2d``; False if they are there already."""
        plane = self._plane
        if plane is None or self._closed or np.array_equal(self.anchors_2d, plane.anchors_2d):
            return False
        anchors_2d = np.asarray(self.anchors_2d, dtype=np.float64)
        try:
            domain = named_domain(anchors_2d, self.domain, self.margin) if isinstance(self.domain, str) else self.domain
            moved = Slice(plane.origin, plane.basis, domain, plane.input_shape, anchors_2d=anchors_2d)
        except SplineCamError as exc:
            self.publish_error(None, str(exc), "error")
            return False
        self._record_move(plane.anchors_2d.tolist())
        self._plane = moved
        self.anchors = moved.to_input(anchors_2d)  # on the plane: not a new one (see _new_plane)
        self._request()
        return True

    def on_new_plane(self, callback) -> None:
        """Call ``callback(widget)`` after ``anchors`` set from Python moved the widget to a new plane."""
        self._plane_listeners.append(callback)

    def on_anchors_moved(self, callback) -> None:
        """Call ``callback(widget)`` after the handles were dragged on the same plane (``anchors_2d``)."""
        self._moved_listeners.append(callback)

    # --- undo ---------------------------------------------------------------------------
    def undo_anchor_move(self) -> None:
        """Put the anchor handles back where they were before the last move on this plane.

        A move is one drag in the front end (grab to release) or one ``anchors_2d`` set
        from Python.  One step only: after an undo there is nothing left to undo until
        the next move (:attr:`can_undo`).  The toolbar's undo button calls this.

        Raises
        ------
        SplineCamError
            If there is no move to undo (none yet, or the plane changed since).
        """
        with self._worker.publication():
            before = self._undo
            if before is None:
                raise SplineCamError("there is no anchor move to undo on this plane")
            self._remember(None)
        self._undoing = True
        try:
            self.anchors_2d = before
        finally:
            self._undoing = False

    def _anchor_move_begins(self) -> None:
        """The front end grabbed a handle: its first position to arrive starts a new move."""
        self._drag_begun = True

    def _record_move(self, before: list) -> None:
        """``anchors_2d`` moves from ``before``: remember it, unless a drag goes on or this is an undo."""
        if self._undoing:
            return
        if self._front_end_change and not self._drag_begun:
            return  # a later position of the same drag: the record keeps where it started
        self._drag_begun = False
        self._remember(before)

    def _remember(self, before: list | None) -> None:
        self._undo = before
        self.can_undo = before is not None

    def _follow_anchor_move(self, source) -> None:
        """Move the handles to ``source``'s (a comparison's views move together), with its undo record."""
        self._undoing = True  # the source keeps the record of the move; this view copies it
        try:
            self.anchors_2d = source.anchors_2d
        finally:
            self._undoing = False
        self._remember(source._undo)
