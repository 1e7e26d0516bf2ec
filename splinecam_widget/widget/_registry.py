"""A widget nobody refers to is garbage-collected, with its worker thread and its partition.

ipywidgets keeps every widget in a module-level registry, and its comm (registered with
the kernel's comm manager) calls it back through a bound method: both hold the widget
until ``close()``.  A widget created and dropped (say, in a loop that saves pictures)
would keep its thread and its partition until the kernel ends.  So a
:class:`~splinecam_widget.SplineCamWidget` leaves the registry once built and its comm
calls it through a weak method: when nothing else refers to it, it is collected, its
``__del__`` closes it, and its worker's thread ends (the worker holds it weakly too).

As soon as its model id is handed out (it is displayed, put in a container, linked,
embedded), a front end may refer to it where Python cannot see, so it goes back into the
registry, like every ipywidget, until ``close()``.  See ``docs/design.md``, "Threading".
"""

from __future__ import annotations

import weakref

import ipywidgets.widgets.widget as ipywidgets_widget
import traitlets


def _weak_callback(method):
    """A callable calling the bound ``method`` while its object lives, and doing nothing after."""
    ref = weakref.WeakMethod(method)

    def call(*args, **kwargs):
        bound = ref()
        return None if bound is None else bound(*args, **kwargs)

    return call


def _registry() -> dict | None:
    """The registry of open widgets of ipywidgets (a private name: None if a version lacks it)."""
    registry = getattr(ipywidgets_widget, "_instances", None)
    return registry if hasattr(registry, "pop") else None


class WeaklyHeld(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: held weakly until its id is handed out.

    Reads the widget's ``_closed``; the widget calls :meth:`_hold_weakly` once its comm is open.
    """

    _weakly_held = False

    def _hold_weakly(self) -> None:
        """Leave ipywidgets' registry and have the comm call back through a weak method."""
        registry, comm = _registry(), self.comm
        if registry is None or comm is None:
            return
        model_id = comm.comm_id
        if registry.get(model_id) is self:
            del registry[model_id]
        comm.on_msg(_weak_callback(self._handle_msg))
        self._weakly_held = True

    def _hold_strongly(self) -> None:
        """Back into ipywidgets' registry: the widget lives until ``close()``, like every ipywidget."""
        if not self._weakly_held:
            return
        self._weakly_held = False
        registry, comm = _registry(), self.comm
        if registry is not None and comm is not None and not self._closed:
            registry[comm.comm_id] = self

    @property
    def model_id(self):
        """The id of the widget's model; handing it out keeps the widget until ``close()``.

        Displaying the widget, putting it in a container, linking it and embedding it all
        read this id: a front end may then refer to the widget, so ipywidgets' registry
        holds it from now on.
        """
        self._hold_strongly()
        return super().model_id
