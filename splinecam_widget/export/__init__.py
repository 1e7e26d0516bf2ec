"""Ways out of the notebook: vector pictures, data files, bokeh figures and offline HTML."""

from .bokeh import partition_to_bokeh, save_bokeh_html
from .data import partition_to_geojson, partition_to_npz, save_geojson
from .svg import partition_to_svg, save_svg

__all__ = ["partition_to_bokeh", "partition_to_geojson", "partition_to_npz", "partition_to_svg", "save_bokeh_html",
           "save_geojson", "save_svg"]
