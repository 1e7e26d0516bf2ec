"""Ways out of the notebook: vector pictures, data files, bokeh figures and offline HTML.

bokeh is imported only when a bokeh export runs (``import splinecam_widget`` never loads it).
"""

from .data import partition_to_geojson, partition_to_npz, save_geojson
from .svg import partition_to_svg, save_svg


def partition_to_bokeh(partition, **options):
    """The partition as an interactive bokeh figure.

    See :func:`splinecam_widget.export.bokeh.partition_to_bokeh`.
    """
    from .bokeh import partition_to_bokeh as to_bokeh

    return to_bokeh(partition, **options)


def save_bokeh_html(partition, path, **options):
    """Write the bokeh figure as one self-contained HTML file.

    See :func:`splinecam_widget.export.bokeh.save_bokeh_html`.
    """
    from .bokeh import save_bokeh_html as save

    return save(partition, path, **options)


__all__ = [
    "partition_to_bokeh",
    "partition_to_geojson",
    "partition_to_npz",
    "partition_to_svg",
    "save_bokeh_html",
    "save_geojson",
    "save_svg",
]
