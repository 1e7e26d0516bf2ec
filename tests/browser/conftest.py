"""Fixtures for the browser tests: the built bundle, a local http server, headless Chromium.

Chromium comes from Debian (``apt-get install chromium``); Playwright drives it without
downloading a browser.  The tests are skipped, with the reason, when it is missing.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "splinecam_widget" / "static" / "widget.js"
CHROMIUM = os.environ.get("SPLINECAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("SPLINECAM_SCREENSHOTS", Path(tempfile.gettempdir()) / "splinecam-screenshots"))


def _bundle_is_stale() -> bool:
    if not BUNDLE.exists():
        return True
    built = BUNDLE.stat().st_mtime
    return any(src.stat().st_mtime > built for src in (ROOT / "js").glob("*.js"))


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The esbuild bundle, rebuilt when a js/ source is newer."""
    if _bundle_is_stale():
        if shutil.which("npm") is None or not (ROOT / "node_modules").exists():
            pytest.skip(
                "the front-end bundle is not built and npm / node_modules are missing: run `npm install && npm run build`"
            )
        subprocess.run(["npm", "run", "build"], cwd=ROOT, check=True, capture_output=True)
    return BUNDLE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(bundle):
    """Base URL of an http server over the repository root (ES modules need http)."""
    handler = functools.partial(_QuietHandler, directory=str(ROOT))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set SPLINECAM_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory, bundle):
    """A JupyterLab server over an empty folder the tests put notebooks in: (base url, token, folder)."""
    pytest.importorskip("jupyterlab")
    from labserver import jupyterlab

    root = tmp_path_factory.mktemp("lab")
    with jupyterlab(root, tmp_path_factory.mktemp("home")) as (base, token):
        yield base, token, root


@pytest.fixture
def page(browser, server):
    """A fresh harness page (fake model) with `window.harness` ready; console errors fail the test."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/tests/browser/harness.html")
    page.wait_for_function("window.harnessReady === true")
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def only_this_file(url: str):
    """A Playwright route handler letting ``url`` through and aborting (and recording) every other request.

    Returns ``(handler, aborted)``: register the handler with ``context.route("**/*", handler)``.
    """
    aborted: list[str] = []

    def handler(route):
        if route.request.url == url:
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    return handler, aborted


def screenshot(page, name: str, selector: str = "#host") -> Path:
    """Save a PNG of the widget for a human to look at (in $SPLINECAM_SCREENSHOTS)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.locator(selector).first.screenshot(path=str(path))
    return path


class Screen:
    """The canvas of a mounted view (the ``index``-th under ``host``): size, plane-to-page mapping for a known view rectangle."""

    def __init__(self, page, view, host: str = "#host", index: int = 0):
        box = page.locator(f"{host} canvas.scw-overlay").nth(index).bounding_box()
        self.page, self.left, self.top = page, box["x"], box["y"]
        self.width, self.height = box["width"], box["height"]
        u0, v0, u1, v1 = view
        self.cu, self.cv = (u0 + u1) / 2, (v0 + v1) / 2
        self.scale = min(self.width / (u1 - u0), self.height / (v1 - v0))

    def local(self, u: float, v: float) -> tuple[float, float]:
        """CSS pixel in the canvas where the plane point (u, v) is drawn."""
        return (u - self.cu) * self.scale + self.width / 2, (self.cv - v) * self.scale + self.height / 2

    def page_xy(self, u: float, v: float) -> tuple[float, float]:
        """Page coordinates of the plane point (u, v), for page.mouse."""
        x, y = self.local(u, v)
        return self.left + x, self.top + y

    def pixel(self, u: float, v: float) -> list[int]:
        """RGBA of the exact picture at the plane point (u, v)."""
        x, y = self.local(u, v)
        return self.page.evaluate("([x, y]) => harness.pixel(x, y)", [x, y])


def pytest_collection_modifyitems(config, items):
    """Every test here drives a real browser (marker ``browser``); the real front ends also get ``jupyter``."""
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == here:
            item.add_marker(pytest.mark.browser)
            if path.name.startswith(("test_jupyterlab", "test_frontends")):
                item.add_marker(pytest.mark.jupyter)
