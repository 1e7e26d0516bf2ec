"""Every test session starts with the compiled kernels ready, so tests that use the default
backend test what users get on the CPU (otherwise the first tens of seconds would run on the
torch backend while the kernels compile: see ``engine/backends.py``)."""

import pytest

from splinecam_widget.engine.backends import warm_up


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels_ready():
    warm_up()
