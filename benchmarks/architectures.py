"""Real architectures against the cost of their own forward pass, in one run.

Run:  .venv/bin/python benchmarks/architectures.py [--width 1.0] [--half-width 1e-3] [--only NAME] [--repeats N]

The models are tests/zoo.py's torchvision- and timm-style architectures at their
published widths (``--width`` scales the channels), random initialisation with seed 0,
BatchNorm statistics randomised, float64, eval mode.  The slice is the plane through three
random 3x64x64 images, on a square of ``--half-width`` around their centroid.  For each
model it prints the regions, the engine's time (``partition()`` with conversion; median
of the repeats after one warm-up), the time of converting the model alone, the peak
resident memory added, the time of one forward pass of a batch of 3 x (regions + 1)
images through the same model in float64, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from common import PeakMemory, timed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from zoo import ZOO, build  # noqa: E402

from splinecam_widget import Slice, partition, square_domain  # noqa: E402
from splinecam_widget.engine.backends import warm_up
from splinecam_widget.network.convert import from_torch  # noqa: E402

SHAPE = (3, 64, 64)


def main() -> None:
    warm_up()  # the compiled kernels, before any clock starts
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0, help="channel multiplier (1.0: published widths)")
    parser.add_argument("--half-width", type=float, default=1e-3, help="half-width of the square window")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", help="run the models whose name contains this text")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    anchors = torch.rand(3, *SHAPE, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    plane = Slice.from_anchors(anchors, domain=square_domain(args.half_width))
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, "
        f"width {args.width}, half-width {args.half_width:g}, inputs {SHAPE}"
    )
    partition(build("alexnet", 0.0625), plane)  # load torch.fx's lazy imports once, outside the timings
    header = (
        f"{'model':20} {'regions':>8} {'engine s':>9} {'convert s':>9} {'peak MB':>8} {'forward s':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for name in ZOO:
        if args.only and args.only not in name:
            continue
        model = build(name, args.width).to(args.device)
        engine, result = timed(lambda model=model: partition(model, plane, device=args.device), args.repeats)
        convert, _ = timed(lambda model=model: from_torch(model, SHAPE, torch.device(args.device)), args.repeats)
        with PeakMemory() as memory:
            partition(model, plane, device=args.device)
        batch = torch.rand(3 * (result.n_regions + 1), *SHAPE, dtype=torch.float64, device=args.device)

        def forward(batch=batch, model=model):
            with torch.no_grad():
                out = model(batch)
            if out.is_cuda:
                torch.cuda.synchronize()

        reference, _ = timed(forward, args.repeats)
        ratios.append(engine / reference)
        print(
            f"{name:20} {result.n_regions:8d} {engine:9.3f} {convert:9.3f} {memory.peak / 2**20:8.0f} "
            f"{reference:9.4f} {engine / reference:6.1f}",
            flush=True,
        )
    if ratios:
        print(f"largest ratio {max(ratios):.1f} (bar: 30, goal: 10)")


if __name__ == "__main__":
    main()
