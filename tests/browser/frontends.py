"""Throwaway Notebook 7, Voilà and marimo servers, and the notebook / app the front-end tests open in them.

Each front end shows the same widget (``widget_source``); a probe in the kernel writes what Python
sees (anchors, view, colour mode, the partition's slice, ...) to a JSON file after every change, so a
test reads Python's side the same way in every front end, code cells or not (Voilà, ``marimo run``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import textwrap
import time
from pathlib import Path

import nbformat
from labserver import _free_port, serve

PROBE_POINT = (0.3, -0.4)
"""A plane point whose region the probe reports (the tests hover and click it)."""

WIDGET = """
import json, os, threading
import numpy as np
import torch
from splinecam_widget import SplineCamWidget

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                          torch.nn.ReLU(), torch.nn.Linear(16, 3)).eval()
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2, 2))  # 2x2 "images": anchors, data points and slopes are shown as pictures
y = rng.integers(0, 3, size=40)
w = SplineCamWidget(net, np.array([[[-1.0, -1.0], [0.0, 0.0]], [[1.0, -1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 0.5]]]),
                    color_by="class", height=360, visible=["edges", "boundary", "anchors"])
w.view = [-2.0, -2.0, 2.0, 2.0]
w.show_data(X, y)

_probe_lock = threading.Lock()

def _probe(*_):
    p = w.partition
    state = {{
        "anchors_2d": w.anchors_2d, "view": w.view, "color_by": w.color_by, "visible": w.visible,
        "can_undo": w.can_undo, "seq": (w.geometry or {{}}).get("seq"),
        "n_regions": None if p is None else p.n_regions,
        "domain": None if p is None else p.slice.domain.tolist(),
        "slice_anchors": None if p is None else p.slice.anchors_2d.tolist(),
        "probe_region": None if p is None else int(p.region_at(np.array([{point}]))[0]),
        "data_uv": None if p is None else p.slice.to_plane(X.reshape(len(X), -1)).tolist(),
        "x2_row": int(next((i for i, x in enumerate(X) if np.array_equal(x, w.anchors[2])), -1)),
    }}
    with _probe_lock:
        with open({probe!r} + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace({probe!r} + ".tmp", {probe!r})

w.on_partition(_probe)
w.observe(_probe, names=["anchors_2d", "view", "color_by", "visible", "can_undo"])
_probe()
"""


def widget_source(probe: Path) -> str:
    """Python that builds the widget ``w`` and its probe writing to ``probe``."""
    return WIDGET.format(probe=str(probe), point=list(PROBE_POINT))


def read_probe(probe: Path) -> dict | None:
    try:
        return json.loads(probe.read_text())
    except (OSError, ValueError):
        return None


def wait_probe(probe: Path, done, timeout: float = 30.0) -> dict:
    """Poll the probe until ``done(state)``; return the state (the last one on timeout, for the assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        state = read_probe(probe)
        if state is not None and done(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"Python never reached the expected state; last probe: {state}")
        time.sleep(0.1)


def write_notebook(path: Path, probe: Path) -> Path:
    """A notebook whose one code cell shows the widget (Voilà shows it without the code)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(widget_source(probe) + "w")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def write_marimo_app(path: Path, probe: Path) -> Path:
    """A marimo app: the widget as ``mo.ui.anywidget``, and a cell that reacts to its value."""
    build = textwrap.indent(widget_source(probe), "    ")
    path.write_text(
        "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    import marimo as mo\n"
        f"{build}\n    view = mo.ui.anywidget(w)\n    view\n    return (mo, view)\n\n\n"
        "@app.cell\ndef _(mo, view):\n"
        "    mo.md(f\"Python sees x1 at {[round(x, 3) for x in view.value['anchors_2d'][1]]}\")\n    return\n\n\n"
        'if __name__ == "__main__":\n    app.run()\n'
    )
    return path


@contextlib.contextmanager
def notebook7(root: Path, home: Path):
    """``jupyter notebook`` (Notebook 7) over ``root``; yield (base url, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "notebook", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1"]
    cmd += [f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    cmd += ["--JupyterNotebookApp.expose_app_in_browser=True"]
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, home, f"{base}/api/status?token={token}", any_answer=True):
        yield base, token


@contextlib.contextmanager
def voila(notebook: Path, home: Path):
    """``voila NOTEBOOK``: the notebook as a page without code; yield its url."""
    port = _free_port()
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}"]
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, home, f"{base}/voila/api/ready", any_answer=True):
        yield base


@contextlib.contextmanager
def marimo_run(app: Path, home: Path):
    """``marimo run APP`` (the app mode: cells run on open, code hidden), following the system theme."""
    (home / "config" / "marimo").mkdir(parents=True, exist_ok=True)
    (home / "config" / "marimo" / "marimo.toml").write_text('[display]\ntheme = "system"\n')
    port = _free_port()
    cmd = [sys.executable, "-m", "marimo", "run", str(app), "--headless", "--host", "127.0.0.1", "-p", str(port)]
    cmd += ["--no-token", "--no-sandbox", "--no-check"]
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, home, f"{base}/health", any_answer=True):
        yield base
