"""Ways out of the notebook: data files (and, with the widget, pictures)."""

from .data import partition_to_geojson, partition_to_npz, save_geojson

__all__ = ["partition_to_geojson", "partition_to_npz", "save_geojson"]
