#!/usr/bin/env bash
# Create .venv with everything needed to run the demo and the tests.
# CPU torch is installed first, so pip never resolves plain `torch` to a multi-GB CUDA build;
# a user with a GPU can install their own torch into .venv instead (any torch >= 2.1 works).
# Installing the package builds the front end with npm (Node.js 18+ must be on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium (never a downloaded browser); install it when we can.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/pip install --quiet "torch==2.13.0"
fi
.venv/bin/pip install --quiet -e ".[test,docs]"
