"""Local measures of a network around data points, at scale: region density and sign-change complexity.

Public: :func:`local_density`, :func:`local_complexity` and :func:`local_cluster` (also
importable from ``splinecam_widget``).  The modules: ``density`` and ``complexity`` (the
two measures), ``tasks`` (cutting a run into tasks of (checkpoint, block of points), the
seeds, running them here), ``cluster`` (the same tasks on Dask, imported only when used),
``tables`` (tidy pandas tables, CSV and Parquet) and ``plot`` (the PNG figure of the
command line).
"""

from .cluster import local_cluster
from .complexity import local_complexity
from .density import local_density

__all__ = ["local_cluster", "local_complexity", "local_density"]
