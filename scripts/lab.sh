#!/usr/bin/env bash
# Open the quickstart notebook in JupyterLab (run scripts/setup.sh first). Extra arguments go to jupyter lab.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=()
if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi  # Jupyter refuses root without it (containers, CI machines)
exec .venv/bin/jupyter lab "${extra[@]}" "$@" examples/quickstart.ipynb
