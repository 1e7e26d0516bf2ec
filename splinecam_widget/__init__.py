"""splinecam-widget: exact linear regions of piecewise-linear networks on 2D slices.

>>> from splinecam_widget import Slice, partition
>>> p = partition(model.eval(), Slice.from_anchors(three_inputs))
"""

from .compare import Comparison, compare
from .engine import LayerProgress, partition
from .export import partition_to_svg
from .errors import RegionBudgetExceeded, SplineCamError, UnsupportedModelError, VerificationError
from .network import SUPPORTED_MODULES, PiecewiseLinear, declare_piecewise_linear
from .partition import Partition
from .sampling import local_density
from .slice import Slice, named_domain, square_domain
from .widget import SplineCamWidget

__all__ = [
    "Comparison",
    "LayerProgress",
    "Partition",
    "PiecewiseLinear",
    "RegionBudgetExceeded",
    "SUPPORTED_MODULES",
    "Slice",
    "SplineCamWidget",
    "SplineCamError",
    "UnsupportedModelError",
    "VerificationError",
    "compare",
    "declare_piecewise_linear",
    "local_density",
    "named_domain",
    "partition",
    "partition_to_svg",
    "square_domain",
]
__version__ = "0.1.0"
