"""The exact partition engine: convex clipping, layer by layer, compiled on the CPU or in torch.

The entry point is :func:`splinecam_widget.engine.compute.partition`; the modules, from
the bottom up: ``polygons`` (batched convex polygons and clipping), ``split`` (cutting by
the lines of an activation layer), ``argmax`` and ``maxsplit`` (argmax cells, max-pooling),
``cuts`` (the torch backend: both, in rounds), ``compiled`` and ``flat`` (the compiled
backend: numba kernels on flat polygons), ``backends`` (which one runs), ``layers`` (the
depth-first layer loop), ``boundary`` and ``class_cells`` (decision boundaries),
``compute`` (``partition()``) and ``many`` (``partition_many()``).  The invariants and
tolerances are in ``docs/design.md``.

This ``__init__`` imports nothing, so that a module can use one engine primitive (the
partition's class cells use ``argmax``) without loading ``compute`` and what it imports.
"""
