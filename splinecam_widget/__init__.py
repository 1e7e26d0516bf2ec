"""splinecam-widget: exact linear regions of piecewise-linear networks on 2D slices.

>>> from splinecam_widget import Slice, partition
>>> p = partition(model.eval(), Slice.from_anchors(three_inputs))
"""

from ._version import __version__
from .engine.class_cells import ClassCells
from .engine.compute import LayerProgress, partition
from .engine.many import partition_many
from .errors import FileWriteError, RegionBudgetExceeded, SplineCamError, UnsupportedModelError, VerificationError
from .export import partition_to_svg
from .local import local_cluster, local_complexity, local_density
from .network import SUPPORTED_MODULES, PiecewiseLinear, declare_piecewise_linear
from .partition import Partition
from .sampling import BoundarySamples
from .slice import Slice, named_domain, square_domain
from .stats import PartitionStats
from .widget import Comparison, SplineCamWidget, compare

__all__ = [
    "BoundarySamples",
    "ClassCells",
    "Comparison",
    "FileWriteError",
    "LayerProgress",
    "Partition",
    "PartitionStats",
    "PiecewiseLinear",
    "RegionBudgetExceeded",
    "SUPPORTED_MODULES",
    "Slice",
    "SplineCamError",
    "SplineCamWidget",
    "UnsupportedModelError",
    "VerificationError",
    "__version__",
    "compare",
    "declare_piecewise_linear",
    "local_cluster",
    "local_complexity",
    "local_density",
    "named_domain",
    "partition",
    "partition_many",
    "partition_to_svg",
    "square_domain",
]
