"""The ``splinecam-widget`` command: ``render`` draws one slice, ``density`` measures many.

Errors the user can fix are one line on stderr and exit status 2 (see :func:`main`).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import SplineCamError
from . import density, render


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    main_parser = argparse.ArgumentParser(
        prog="splinecam-widget",
        description="Exact linear regions of piecewise-linear torch networks on 2D slices.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    render.add_parser(commands)
    density.add_parser(commands)
    return main_parser


def main(argv=None) -> int:
    """Entry point of the ``splinecam-widget`` command: 0 on success, 2 with one line on stderr on error."""
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except SplineCamError as exc:
        print(f"splinecam-widget: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output could not be written (disk full, permissions changed meanwhile, ...)
        print(f"splinecam-widget: error: cannot write {args.output!r}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
