r"""Command line: ``splinecam-widget density`` measures local density at data points, over checkpoints.

Examples
--------
splinecam-widget density --model net.pt --data X.npy --radius 0.5 --slices 4 -o density.csv
splinecam-widget density --model net.pt --checkpoints step*.pt --data X.npy --split is_train.npy \
    --radius 0.5 --workers 2 -o density.png
splinecam-widget density --model net.pt --data X.npy --radius 0.5 --scheduler tcp://10.0.0.5:8786 -o d.parquet

The table has one row per checkpoint and point (columns checkpoint, checkpoint_label,
point, split, label, local_density); a .png plots its mean per checkpoint, one line per
split, with a band of one standard deviation over the points.  --measure complexity
counts neurons whose sign changes over a frame of --directions directions instead (the
grokking papers' local complexity).  Checkpoint and model files are read without
running code from them unless you pass --trust-model-file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

from ..errors import SplineCamError
from ..files import load_array, load_checkpoint_file
from ..local.complexity import DEFAULT_DIRECTIONS, local_complexity
from ..local.density import MAX_SIDES, check_sides, local_density
from ..local.tables import split_names
from .common import check_output, help_text, load_model

FORMATS = (".csv", ".parquet", ".png")


def add_parser(commands) -> None:
    """Add the ``density`` command to the subcommands of the main parser."""
    command = commands.add_parser(
        "density",
        help="local density (or complexity) at data points, per checkpoint: a CSV/Parquet table or a PNG plot",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--model",
        help="package.module:attribute or a torch.save file: the network, or the architecture of state-dict "
        "checkpoints (optional when every checkpoint file holds a module)",
    )
    command.add_argument("--checkpoints", nargs="+", metavar="FILE", help="torch.save files, one per checkpoint")
    command.add_argument("--data", required=True, help=".npy file of points, shape (M, *input_shape)")
    command.add_argument("--labels", help=".npy file of M labels (a column of the table)")
    command.add_argument("--split", help=".npy file of M booleans (True: train) or M names (the split column)")
    command.add_argument("--radius", type=float, required=True, help="radius of the disk (or frame) around a point")
    command.add_argument("--slices", type=int, help="random planes per point (--measure density; default 1)")
    command.add_argument(
        "--sides", type=int, default=64, help=f"vertices of the disk's polygon, 3 to {MAX_SIDES} (default 64)"
    )
    command.add_argument("--seed", type=int, default=0, help="seed of the random planes (default 0)")
    command.add_argument("--measure", choices=("density", "complexity"), default="density")
    command.add_argument("--directions", type=int, help="frame directions of --measure complexity (default 25)")
    where = command.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster of this scheduler")
    where.add_argument("--workers", type=int, help="run on a new local Dask cluster of N worker processes")
    command.add_argument("--batch-size", type=int, help="points per task (default: up to 64)")
    command.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    command.add_argument("--max-regions", type=int, default=2_000_000, help="per slice")
    command.add_argument("-o", "--output", required=True, help=f"output file: {', '.join(FORMATS)}")
    command.add_argument(
        "--trust-model-file",
        action="store_true",
        help="read --model and --checkpoints with full pickle: runs code from the files; only for files you trust",
    )
    command.set_defaults(run=density)


def read_inputs(args):
    """Points, labels and split from their .npy files, checked against each other."""
    points = load_array(args.data, "--data")
    if points.ndim < 2 or len(points) == 0 or points.dtype.kind not in "biuf":
        raise SplineCamError(
            f"--data {args.data!r}: expected numbers of shape (M, *input_shape), got {points.dtype} {points.shape}"
        )
    extras = {}
    for option, what in (("labels", "--labels"), ("split", "--split")):
        path = getattr(args, option)
        if path is None:
            continue
        values = load_array(path, what)
        if values.shape != (len(points),):
            raise SplineCamError(
                f"{what} {path!r}: expected one value per point of --data, shape ({len(points)},), got {values.shape}"
            )
        extras[option] = values
    if "split" in extras:
        try:
            split_names(extras["split"], len(points))
        except SplineCamError as exc:
            raise SplineCamError(f"--split {args.split!r}: {exc}") from None
    return points, extras


def read_networks(args):
    """The model and the checkpoints (modules or state dicts) with their labels (file names)."""
    if args.checkpoints is None:
        if args.model is None:
            raise SplineCamError("give --model (the network), or --checkpoints (one file per checkpoint)")
        return load_model(args.model, args.trust_model_file), None, None
    items = [load_checkpoint_file(path, "--checkpoints", args.trust_model_file) for path in args.checkpoints]
    model = None if args.model is None else load_model(args.model, args.trust_model_file)
    if model is None and not all(isinstance(item, torch.nn.Module) for item in items):
        raise SplineCamError("--checkpoints hold state dicts: give --model, the architecture they are loaded into")
    labels = [os.path.splitext(os.path.basename(path))[0] for path in args.checkpoints]
    return model, items, labels


def connect(args):
    """The Dask client the options ask for (``None``: compute in this process)."""
    if args.scheduler is None and args.workers is None:
        return None
    from ..local.cluster import local_cluster

    if args.workers is not None:
        if args.workers < 1:
            raise SplineCamError(f"--workers must be a positive integer, got {args.workers}")
        print(f"starting a local Dask cluster of {args.workers} workers ...", file=sys.stderr)
        return local_cluster(args.workers)
    try:
        from distributed import Client
    except ImportError:
        raise SplineCamError('--scheduler needs Dask: pip install "splinecam-widget[dask]"') from None
    try:
        return Client(args.scheduler)  # waits distributed.comm.timeouts.connect (Dask's configuration)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SplineCamError(f"--scheduler {args.scheduler!r}: cannot connect ({exc})") from None


def check_settings(args) -> None:
    """Refuse bad numbers, and options of the other measure, before any work."""
    if not (np.isfinite(args.radius) and args.radius > 0):
        raise SplineCamError(f"--radius must be a positive number, got {args.radius}")
    for option in ("slices", "directions", "batch_size", "max_regions"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise SplineCamError(f"--{option.replace('_', '-')} must be a positive integer, got {value}")
    check_sides(args.sides, "--sides")
    if args.measure == "density" and args.directions is not None:
        raise SplineCamError("--directions sets the frame of --measure complexity; density uses --slices")
    if args.measure == "complexity" and args.slices is not None:
        raise SplineCamError("--slices sets the planes of --measure density; complexity uses --directions")


def density(args) -> None:
    """The ``density`` command."""
    from ..local.tables import write_table

    suffix = check_output(args.output, FORMATS)
    check_settings(args)
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401 - checked before any work
        except ImportError:
            raise SplineCamError(
                f"--output {args.output!r}: writing Parquet needs pyarrow (pip install pyarrow); or write a .csv"
            ) from None
    points, extras = read_inputs(args)
    model, checkpoints, labels = read_networks(args)
    options = {"seed": args.seed, "checkpoints": checkpoints, "checkpoint_labels": labels, "progress": True}
    options.update(as_frame=True, batch_size=args.batch_size, device=args.device, **extras)
    start = time.perf_counter()
    client = options["client"] = connect(args)
    try:
        if args.measure == "density":
            table = local_density(
                model, points, args.radius, args.slices or 1, sides=args.sides, max_regions=args.max_regions, **options
            )
            column = "local_density"
        else:
            table = local_complexity(model, points, args.radius, args.directions, **options)
            column = "local_complexity"
    finally:
        if client is not None:
            client.close()
    if suffix == ".png":
        from ..local.plot import save_measure_plot

        save_measure_plot(table, args.output, column, title=plot_title(args, points))
    else:
        write_table(table, args.output)
    n_checkpoints = table["checkpoint"].nunique()
    print(
        f"{column.replace('_', ' ')} at {len(points):,} points x {n_checkpoints} checkpoint"
        f"{'s' if n_checkpoints > 1 else ''}: mean {table[column].mean():.4g} in "
        f"{time.perf_counter() - start:.1f} s -> {args.output}",
        file=sys.stderr,
    )


def plot_title(args, points: np.ndarray) -> str:
    """The plot's title: the measure and its settings."""
    if args.measure == "density":
        slices = args.slices or 1
        planes = f"{slices} plane{'s' if slices > 1 else ''}"
        return f"Local density: regions in a disk of radius {args.radius:g}, {planes} per point"
    directions = args.directions or min(DEFAULT_DIRECTIONS, int(np.prod(points.shape[1:])))
    return f"Local complexity: neurons changing sign, radius {args.radius:g}, {directions} directions"
