"""A throwaway JupyterLab server and notebook driving helpers (end-to-end tests and benchmarks)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

OUTPUT = ".jp-OutputArea-output"

KERNEL_EXEC = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, silent: false, store_history: false });
  let out = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") out += msg.content.text;
    if (msg.header.msg_type === "error") out += "ERROR " + msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  return out;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path) -> dict:
    """The environment of a throwaway server: every Jupyter, IPython and XDG setting under ``home``."""
    return dict(
        os.environ,
        HOME=str(home),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
        XDG_CONFIG_HOME=str(home / "config"),
    )


@contextlib.contextmanager
def serve(cmd: list[str], home: Path, ready: str, timeout: float = 60, any_answer: bool = False):
    """Run a server until the block ends, after waiting until ``ready`` (a URL) answers.

    With ``any_answer`` an HTTP error counts as an answer (the server is up); otherwise
    only a success does.
    """
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(cmd, env=server_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(ready, timeout=2)
                break
            except urllib.error.HTTPError:
                if any_answer:
                    break
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{cmd[2]} did not start") from None
                time.sleep(0.3)
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{cmd[2]} did not start") from None
                time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def jupyterlab(root: Path, home: Path, timeout: float = 60):
    """Run ``jupyter lab`` over ``root`` with its settings under ``home``; yield (base url, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.expose_app_in_browser=True",
    ]
    # no "would you like to get notified about Jupyter news?" toast over the screenshots
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    base = f"http://127.0.0.1:{port}"
    with serve(cmd, home, f"{base}/api/status?token={token}", timeout):
        yield base, token


def wait_for_kernel(page) -> None:
    """Wait until the notebook open in JupyterLab or Notebook 7 has a ready kernel (else the first run is lost)."""
    page.wait_for_function(
        "window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext",
        timeout=60_000,
    )
    page.evaluate("""async () => {
      const p = window.jupyterapp.shell.currentWidget;
      await p.context.ready; await p.sessionContext.ready; await p.sessionContext.session.kernel.info;
    }""")


def open_notebook(page, base: str, token: str, name: str, run_cells: int):
    """Open a notebook, run its first ``run_cells`` cells through the UI, wait for the widget; return run(code)."""
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")  # reset: no notebooks restored from earlier tests
    wait_for_kernel(page)
    for _ in range(run_cells):
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
    page.wait_for_selector(f"{OUTPUT} .scw[data-drawn-seq]", timeout=60_000)

    def run(code: str) -> str:
        out = page.evaluate(KERNEL_EXEC, code)
        if "ERROR" in out:
            raise RuntimeError(out)
        return out

    return run


def wait_drawn(page, seq: int, timeout: float = 30_000) -> None:
    """Wait until the widget has drawn the geometry with this seq."""
    page.wait_for_function(f"document.querySelector('{OUTPUT} .scw').dataset.drawnSeq === '{seq}'", timeout=timeout)
