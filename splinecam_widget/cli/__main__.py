"""``python -m splinecam_widget.cli``."""

import sys

from . import main

sys.exit(main())
