"""Validation of the widget's traits: a bad value raises a SplineCamError naming what was expected.

:class:`~splinecam_widget.SplineCamError` is a ``TraitError``, so traitlets rolls a refused
value back; a front end's refused value is rolled back and shown in the widget
(``SplineCamWidget.set_state``).
"""

from __future__ import annotations

import numpy as np
import torch
import traitlets

from ..colors import check_mode
from ..errors import SplineCamError
from ..export.sizes import check_pixels
from ..numbers import is_real
from ..slice import Slice, as_float64_array, convex_polygon

VISIBLE_PARTS = ("edges", "boundary", "anchors", "data")
"""What can be drawn over the coloured regions, in the order of ``visible``."""


def _floats(value) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numeric (ragged lists, strings, ...)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def check_domain(domain):
    """``domain`` if it is "square", "triangle" or an (n, 2) polygon (as float64), else raise."""
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


def check_visible(value) -> list[str]:
    """``value`` (names of :data:`VISIBLE_PARTS`, any order, no repeats) in their canonical order."""
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise SplineCamError(
            f"visible must be a list of names among {', '.join(map(repr, VISIBLE_PARTS))}, got {value!r}"
        )
    names = list(value)
    unknown = [name for name in names if name not in VISIBLE_PARTS]
    if unknown or len(set(names)) != len(names):
        raise SplineCamError(
            f"visible must name each of {', '.join(map(repr, VISIBLE_PARTS))} at most once, got {value!r}"
        )
    return [name for name in VISIBLE_PARTS if name in names]


class Flag(traitlets.Bool):
    """A bool trait refusing anything else (1, "yes", None) with a SplineCamError."""

    def validate(self, obj, value):
        """``value`` if it is a bool (numpy's included), else raise."""
        if not isinstance(value, (bool, np.bool_)):
            raise SplineCamError(f"{self.name} must be True or False, got {value!r}")
        return bool(value)


class ColorMode(traitlets.Unicode):
    """The ``color_by`` trait: a colour mode's name; anything else (5, None, "rainbow") is refused by check_mode.

    A Unicode trait's own check would answer first, in traitlets' words, for a value that is no string.
    """

    def validate(self, obj, value):
        """``value`` if it names a colour mode, else raise."""
        return check_mode(value)


class Margin(traitlets.Float):
    """The ``margin`` trait: a non-negative finite number; anything else ('1', None, -1) is refused in our words.

    A Float trait's own check would answer first, in traitlets' words, for a value that is no number.
    """

    def validate(self, obj, value):
        """``value`` as a float if it is a non-negative finite number, else raise."""
        if not (is_real(value) and np.isfinite(value) and value >= 0):
            raise SplineCamError(f"margin must be a non-negative number such as 0.25, got {value!r}")
        return float(value)


class VisibleParts(traitlets.Any):
    """The ``visible`` trait: names of :data:`VISIBLE_PARTS`, in their canonical order (:func:`check_visible`)."""

    def validate(self, obj, value):
        """``value`` as a list in canonical order, else raise."""
        return check_visible(value)


class TraitValidation(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: one validator per trait a user or a front end sets.

    Reads the widget's ``_plane`` (through ``_on_plane``) and ``_checkpoints``.
    """

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

    @traitlets.validate("domain")
    def _valid_domain(self, proposal):
        return check_domain(proposal["value"])

    @traitlets.validate("height")
    def _valid_height(self, proposal):
        return check_pixels(proposal["value"], "height")

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
