"""The notebook widget: a live canvas of the exact partition, and comparisons of several networks.

Public: :class:`SplineCamWidget`, :func:`compare` and :class:`Comparison`.  The private
modules, in the order data flows through them:

- ``_widget``: traits, validation, and what each change triggers;
- ``_worker``: the background thread (newest request wins, stale results never published);
- ``_wire``: the binary encoding of partitions for the front end;
- ``_overlay``, ``_data``, ``_images``: dataset points near the slice, pictures of inputs;
- ``_requests``: answers to the front end's requests;
- ``_compare``, ``_exports``: side-by-side views, figures (checkpoints live in ``splinecam_widget.checkpoints``,
  shared with the analyses).
"""

from ._compare import Comparison, compare
from ._widget import SplineCamWidget

__all__ = ["Comparison", "SplineCamWidget", "compare"]
