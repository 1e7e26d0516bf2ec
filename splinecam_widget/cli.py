"""Command line: ``splinecam-widget render`` computes a partition and writes a picture or data file.

Examples
--------
splinecam-widget render -o moons.png                       # the built-in two-moons demo
splinecam-widget render --model mypkg.nets:classifier --anchors three.npy --color-by class -o slice.svg
splinecam-widget render --model net.pt --anchors three.npy -o slice.geojson
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from .colors import MODES
from .engine.compute import LayerProgress, partition
from .errors import SplineCamError
from .slice import DOMAIN_KINDS, Slice

FORMATS = (".png", ".svg", ".html", ".npz", ".geojson")


def load_model(spec: str) -> nn.Module:
    """A model from ``package.module:attr`` (a module, or a callable returning one) or a file.

    Files may hold a pickled module (``torch.save(model, path)``) or a TorchScript
    module whose layers are ``torch.nn`` layers (``torch.jit.script(model).save(path)``).
    """
    if os.path.exists(spec):
        return load_model_file(spec)
    if ":" not in spec:
        raise SplineCamError(f"--model {spec!r}: no such file, and not of the form package.module:attribute")
    module_name, _, attribute = spec.partition(":")
    try:
        target = importlib.import_module(module_name)
    except ImportError as exc:
        raise SplineCamError(f"--model {spec!r}: cannot import {module_name!r} ({exc})") from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise SplineCamError(f"--model {spec!r}: {module_name} has no attribute {attribute!r}")
        target = getattr(target, part)
    model = target if isinstance(target, nn.Module) else target() if callable(target) else target
    if not isinstance(model, nn.Module):
        raise SplineCamError(f"--model {spec!r} is a {type(model).__name__}, not a torch.nn.Module")
    return model


def load_model_file(path: str) -> nn.Module:
    """Read a pickled module or a TorchScript module from ``path``."""
    try:
        scripted = torch.jit.load(path, map_location="cpu")
    except (RuntimeError, ValueError):
        scripted = None
    if scripted is not None:
        return unscript(scripted)
    try:
        model = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch.load raises many kinds for a file it cannot read
        raise SplineCamError(f"--model {path!r}: not a saved torch model ({type(exc).__name__}: {exc})") from None
    if not isinstance(model, nn.Module):
        raise SplineCamError(
            f"--model {path!r} holds a {type(model).__name__}; save the module itself with torch.save(model, path)"
        )
    return model


def unscript(scripted) -> nn.Module:
    """Rebuild ``torch.nn`` layers from a TorchScript module (their constructor arguments are attributes)."""
    name = scripted.original_name
    if name == "Sequential":
        return nn.Sequential(*[unscript(child) for child in scripted.children()]).train(scripted.training)
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise SplineCamError(
            f"the TorchScript file holds a {name}, which is not a torch.nn layer; save the module with "
            "torch.save(model, path) or pass --model package.module:attribute"
        )
    arguments = {}
    for parameter in list(inspect.signature(cls.__init__).parameters)[1:]:
        if parameter == "bias" and hasattr(scripted, "bias"):
            arguments["bias"] = scripted.bias is not None
        elif parameter in ("device", "dtype"):
            continue
        elif hasattr(scripted, parameter):
            arguments[parameter] = getattr(scripted, parameter)
    layer = cls(**arguments)
    layer.load_state_dict(scripted.state_dict())
    return layer.train(scripted.training)


def write(result, path: str, color_by: str, width: int, scale: float) -> None:
    """Write ``result`` in the format given by the file name's suffix."""
    from .export import save_bokeh_html, save_geojson, save_svg
    from .export.png import save_png

    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".png":
        save_png(result, path, color_by=color_by, width=width, scale=scale)
    elif suffix == ".svg":
        save_svg(result, path, color_by=color_by, width=width)
    elif suffix == ".html":  # an interactive bokeh page with every resource inline
        save_bokeh_html(result, path, color_by=color_by, width=width)
    elif suffix == ".npz":
        result.to_npz(path)
    elif suffix == ".geojson":
        save_geojson(result, path)
    else:
        raise SplineCamError(f"--output {path!r}: the suffix must be one of {', '.join(FORMATS)}")


def render(args) -> None:
    """The ``render`` command."""
    if args.model is None:
        from .demo import demo_anchors, two_moons_mlp

        print("training the built-in demo: an MLP on two moons ...", file=sys.stderr)
        model, points, labels = two_moons_mlp()
        anchors = demo_anchors(points, labels) if args.anchors is None else load_anchors(args.anchors)
    else:
        if args.anchors is None:
            raise SplineCamError(
                "--model needs --anchors: an .npy file holding three model inputs, shape (3, *input_shape)"
            )
        model, anchors = load_model(args.model), load_anchors(args.anchors)
    plane = Slice.from_anchors(anchors, domain=args.domain, margin=args.margin)
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
    write(result, args.output, args.color_by, args.width, args.scale)
    print(
        f"{result.n_regions:,} regions, {len(result.boundary):,} boundary segments in "
        f"{time.perf_counter() - start:.2f} s -> {args.output}",
        file=sys.stderr,
    )


def load_anchors(path: str) -> np.ndarray:
    """Three model inputs from an ``.npy`` file."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SplineCamError(f"--anchors {path!r}: cannot read an .npy array ({exc})") from None


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    main_parser = argparse.ArgumentParser(
        prog="splinecam-widget",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "render",
        help="compute a partition and write PNG, SVG, HTML, NPZ or GeoJSON",
        description=__doc__,
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
    command.add_argument("-o", "--output", default="splinecam.png", help=f"output file: {', '.join(FORMATS)}")
    return main_parser


def main(argv=None) -> int:
    """Entry point of the ``splinecam-widget`` command."""
    args = parser().parse_args(argv)
    try:
        render(args)
    except SplineCamError as exc:
        print(f"splinecam-widget: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
