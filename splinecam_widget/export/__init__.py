"""Ways out of the notebook: vector pictures and data files."""

from .data import partition_to_geojson, partition_to_npz, save_geojson
from .svg import partition_to_svg, save_svg

__all__ = ["partition_to_geojson", "partition_to_npz", "partition_to_svg", "save_geojson", "save_svg"]
