#!/usr/bin/env bash
# Create .venv with everything needed to run the demo and the tests.
# CPU torch is installed first, so pip never resolves plain `torch` to a multi-GB CUDA build;
# a user with a GPU can install their own torch into .venv instead (any torch >= 2.1 works).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/pip install --quiet "torch==2.13.0"
fi
.venv/bin/pip install --quiet -e ".[test]"
