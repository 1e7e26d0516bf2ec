"""The exact partition engine: batched convex clipping in torch, layer by layer.

The entry point is :func:`splinecam_widget.engine.compute.partition`; the modules, from
the bottom up: ``polygons`` (batched convex polygons and clipping), ``split`` (cutting by
the lines of an activation layer), ``argmax`` and ``maxsplit`` (argmax cells, max-pooling),
``cuts`` (one entry for both), ``layers`` (the depth-first layer loop), ``boundary`` and
``class_cells`` (decision boundaries), ``compute`` (``partition()``).  The invariants and
tolerances are in ``docs/design.md``.

This ``__init__`` imports nothing, so that a module can use one engine primitive (the
partition's class cells use ``argmax``) without loading ``compute`` and what it imports.
"""
