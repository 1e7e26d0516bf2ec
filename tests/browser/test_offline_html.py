"""SplineCamWidget.save_html: one file that draws the partition and shows the tooltip with every request blocked."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
import torch
from conftest import ROOT, SCREENSHOTS, Screen, only_this_file
from PIL import Image

from splinecam_widget import SplineCamError
from splinecam_widget.colors import region_colors
from splinecam_widget.export import html as html_export
from splinecam_widget.widget import SplineCamWidget

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])
HOST = ".splinecam-page"


def mlp(widths):
    """A random ReLU MLP with the given widths."""
    torch.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()


@pytest.fixture(scope="module")
def embed_scripts(bundle):
    """require.js and embed-amd.js copied into static/ by `npm run build`."""
    if not (html_export.REQUIRE_JS.exists() and html_export.EMBED_JS.exists()):
        if shutil.which("npm") is None or not (ROOT / "node_modules" / "requirejs").exists():
            pytest.skip("static/require.js and static/embed-amd.js are missing: run `npm install && npm run build`")
        subprocess.run(["npm", "run", "build"], cwd=ROOT, check=True, capture_output=True)


@pytest.fixture(scope="module")
def widget(embed_scripts):
    w = SplineCamWidget(mlp((2, 16, 16, 3)), ANCHORS, color_by="class", anchor_labels=["cat", "dog", "cow"])
    w.wait(30)
    low, high = w.partition.slice.domain.min(axis=0), w.partition.slice.domain.max(axis=0)
    w.view = [*low.tolist(), *high.tolist()]  # the same square: a known plane-to-page mapping
    w.wait(30)
    return w


def open_offline(browser, path):
    """Open ``path`` offline with every request but the file itself aborted; return (page, aborted, errors)."""
    url = path.resolve().as_uri()
    context = browser.new_context(viewport={"width": 900, "height": 700}, device_scale_factor=1, offline=True)
    route, aborted = only_this_file(url)
    errors: list[str] = []

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.locator(f"{HOST} canvas.scw-overlay").wait_for(state="visible", timeout=20_000)
    page.wait_for_function("document.querySelector('.splinecam-page .scw-status')?.textContent.includes('regions')")
    return page, aborted, errors


def open_regions(p, keep_off):
    """Large regions whose centroid is at least 0.1 away from each point of ``keep_off`` (anchors, boundary)."""
    far = np.min(np.linalg.norm(p.centroids[:, None] - keep_off[None], axis=2), axis=1) > 0.1
    return [r for r in np.argsort(-p.areas) if far[r]][:6]


def test_saved_page_draws_the_partition_and_hovers_offline(browser, widget, tmp_path):
    p = widget.partition
    path = widget.save_html(tmp_path / "widget.html", title="offline check")
    text = path.read_text(encoding="utf-8")
    assert "<script src=" not in text and "application/vnd.jupyter.widget-state+json" in text
    page, aborted, errors = open_offline(browser, path)
    try:
        screen = Screen(page, widget.view, host=HOST)
        base = page.locator(f"{HOST} canvas.scw-base")
        picture = np.asarray(Image.open(io.BytesIO(base.screenshot())).convert("RGB"))
        fills = region_colors(p, "class").fill
        keep_off = np.concatenate([p.slice.anchors_2d, p.boundary.reshape(-1, 2), p.boundary.mean(axis=1)])
        regions = open_regions(p, keep_off)
        assert regions
        for r in regions:  # the geometry (binary buffers, base64 in the page) arrived and is painted
            x, y = screen.local(*p.centroids[r])
            assert picture[int(y), int(x)].tolist() == fills[r, :3].tolist(), f"region {r}"

        r = regions[0]
        u, v = p.centroids[r]
        page.mouse.move(*screen.page_xy(u, v))
        tip = page.locator(f"{HOST} .scw-tooltip")
        tip.wait_for(state="visible")
        tip_text = tip.inner_text()
        values = p.affine[r, :, :2] @ [u, v] + p.affine[r, :, 2]
        assert f"region {r}" in tip_text
        assert f"class {int(np.argmax(values))}" in tip_text
        rows = page.eval_on_selector_all(
            f"{HOST} .scw-tt-affine tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert len(rows) == 1 + p.n_outputs
        for k, row in enumerate(rows[1:]):
            a, b, c = p.affine[r, k]
            np.testing.assert_allclose([float(x) for x in row[1:]], [a, b, c, values[k]], rtol=2e-3, atol=2e-4)
        page_errors = list(errors)  # before the probe, whose failure Chromium logs as an error
        # the blocking is live: a remote fetch from the page fails and is recorded
        probe = "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager/dist/embed-amd.js"
        assert page.evaluate("u => fetch(u).then(() => 'loaded', () => 'blocked')", probe) == "blocked"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "offline_html.png"))
    finally:
        page.context.close()
    assert not page_errors, page_errors
    assert probe in aborted and path.resolve().as_uri() not in aborted, aborted


def test_saving_without_a_partition_is_a_clear_error(embed_scripts, tmp_path):
    w = SplineCamWidget(mlp((2, 16, 16, 3)), ANCHORS, max_regions=2)  # the computation fails: too many regions
    assert w.wait(30) is None
    with pytest.raises(SplineCamError, match="no partition to save: the partition has more than max_regions"):
        w.save_html(tmp_path / "none.html")
    assert not (tmp_path / "none.html").exists()
