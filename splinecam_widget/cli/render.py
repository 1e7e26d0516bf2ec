"""Command line: ``splinecam-widget render`` computes a partition and writes a picture or data file.

(``splinecam-widget density`` measures local density at data points: see ``density.py``.)

Examples
--------
splinecam-widget render -o moons.png                       # the built-in two-moons demo
splinecam-widget render --model mypkg.nets:classifier --anchors three.npy --color-by class -o slice.svg
splinecam-widget render --model net.pt --anchors three.npy -o slice.geojson

Model files are read without running code from them: ``torch.save(model, path)`` of
torch.nn layers loads as is; a file naming other classes, or a TorchScript file, is
refused unless you pass --trust-model-file.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from ..colors import MODES
from ..engine.compute import LayerProgress, partition
from ..errors import SplineCamError
from ..export.png import picture_frame
from ..export.sizes import check_picture
from ..files import load_array
from ..slice import DOMAIN_KINDS, Slice
from .common import check_output, help_text, load_model

FORMATS = (".png", ".svg", ".html", ".npz", ".geojson")


def write(result, path: str, color_by: str, width: int, scale: float, legend: bool = True) -> None:
    """Write ``result`` in the format given by the file name's suffix (pictures with their legend)."""
    from ..export import save_bokeh_html, save_geojson, save_svg
    from ..export.png import save_png

    suffix = check_output(path, FORMATS)
    if suffix == ".png":
        save_png(result, path, color_by=color_by, width=width, scale=scale, legend=legend)
    elif suffix == ".svg":
        save_svg(result, path, color_by=color_by, width=width, legend=legend)
    elif suffix == ".html":  # an interactive bokeh page with every resource inline
        save_bokeh_html(result, path, color_by=color_by, width=width, legend=legend)
    elif suffix == ".npz":
        result.to_npz(path)
    elif suffix == ".geojson":
        save_geojson(result, path)


def render(args) -> None:
    """The ``render`` command."""
    suffix = check_output(args.output, FORMATS)
    check_picture(args.width, args.scale, ("--width", "--scale"))
    if args.model is None:
        from ..demo import demo_anchors, two_moons_mlp

        print("training the built-in demo: an MLP on two moons ...", file=sys.stderr)
        model, points, labels = two_moons_mlp()
        anchors = demo_anchors(points, labels) if args.anchors is None else load_anchors(args.anchors)
    else:
        if args.anchors is None:
            raise SplineCamError(
                "--model needs --anchors: an .npy file holding three model inputs, shape (3, *input_shape)"
            )
        model, anchors = load_model(args.model, args.trust_model_file), load_anchors(args.anchors)
    plane = Slice.from_anchors(anchors, domain=args.domain, margin=args.margin)
    if suffix == ".png":
        picture_frame(plane.domain, args.width, args.scale)  # refuse a picture too large before computing
    start = time.perf_counter()

    def progress(event: LayerProgress) -> None:
        print(
            f"  layer {event.layer + 1}/{event.n_layers}: {event.n_regions:,} regions "
            f"({time.perf_counter() - start:.1f} s)",
            file=sys.stderr,
        )

    result = partition(
        model, plane, device=args.device, max_regions=args.max_regions, levels=args.levels, progress=progress
    )
    write(result, args.output, args.color_by, args.width, args.scale, legend=not args.no_legend)
    print(
        f"{result.n_regions:,} regions, {len(result.boundary):,} boundary segments in "
        f"{time.perf_counter() - start:.2f} s -> {args.output}",
        file=sys.stderr,
    )


def load_anchors(path: str) -> np.ndarray:
    """Three model inputs from an ``.npy`` file (never unpickled)."""
    return load_array(path, "--anchors")


def add_parser(commands) -> None:
    """The ``render`` subcommand and its options."""
    command = commands.add_parser(
        "render",
        help="compute a partition and write PNG, SVG, HTML, NPZ or GeoJSON",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--model", help="package.module:attribute, or a torch.save / TorchScript file (default: the demo)"
    )
    command.add_argument("--anchors", help=".npy file with three inputs, shape (3, *input_shape)")
    command.add_argument("--domain", choices=DOMAIN_KINDS, default="square")
    command.add_argument("--margin", type=float, default=0.25)
    command.add_argument("--color-by", choices=MODES, default="class")
    command.add_argument("--levels", type=float, nargs="+", help="level sets drawn for a one-output network")
    command.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    command.add_argument("--max-regions", type=int, default=2_000_000)
    command.add_argument("--width", type=int, default=800, help="picture width in pixels")
    command.add_argument("--scale", type=float, default=1.0, help="PNG resolution multiplier")
    command.add_argument("--no-legend", action="store_true", help="leave out the legend or colour bar")
    command.add_argument("-o", "--output", default="splinecam.png", help=f"output file: {', '.join(FORMATS)}")
    command.add_argument(
        "--trust-model-file",
        action="store_true",
        help="read --model with full pickle (or TorchScript): runs code from the file; only for files you trust",
    )
    command.set_defaults(run=render)
