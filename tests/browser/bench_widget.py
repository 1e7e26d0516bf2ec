"""Browser benchmarks of the widget (headless Debian Chromium, software rendering).

    .venv/bin/python tests/browser/bench_widget.py [--drags 25] [--drag-only]

Prints JSON with
- first draw of a ~120k-region partition (decode + exact raster + paint), at 1400x1200 CSS px;
- pan and wheel-zoom frame rates over that partition;
- in a real JupyterLab, MLP 2-64-64-64-1: anchor drag (pointer release) to the new partition drawn.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import BUNDLE, CHROMIUM, CHROMIUM_ARGS, ROOT, Screen  # noqa: E402
from labserver import OUTPUT, jupyterlab, open_notebook, wait_drawn  # noqa: E402
from scenes import widget_state  # noqa: E402

FRAME_LOOP = """async ([kind, frames, step]) => {
  const canvas = document.querySelector('#host canvas.scw-overlay');
  const box = canvas.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const opts = (dx) => ({ clientX: x + dx, clientY: y, pointerId: 1, pointerType: 'mouse', button: 0, bubbles: true });
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  await frame();
  if (kind === 'pan') canvas.dispatchEvent(new PointerEvent('pointerdown', opts(0)));
  const t0 = performance.now();
  for (let i = 1; i <= frames; i++) {
    if (kind === 'pan') canvas.dispatchEvent(new PointerEvent('pointermove', opts(i * step)));
    else canvas.dispatchEvent(new WheelEvent('wheel', { clientX: x, clientY: y, deltaY: (i % 20 < 10 ? -1 : 1) * step, bubbles: true, cancelable: true }));
    await frame();
  }
  const elapsed = performance.now() - t0;
  if (kind === 'pan') canvas.dispatchEvent(new PointerEvent('pointerup', opts(frames * step)));
  return frames / (elapsed / 1000);
}"""

DRAG_LOOP = """async ([x0, y0, dx, dy, n]) => {
  const root = document.querySelector('.jp-OutputArea-output .scw');
  const canvas = root.querySelector('canvas.scw-overlay');
  const box = canvas.getBoundingClientRect();
  const ev = (type, x, y) => new PointerEvent(type, { clientX: box.left + x, clientY: box.top + y, pointerId: 1,
                                                      pointerType: 'mouse', button: 0, bubbles: true });
  const drawnAfter = (seq) => new Promise((resolve) => {
    const check = () => Number(root.dataset.drawnSeq) > seq ? resolve(performance.now()) : setTimeout(check, 1);
    check();
  });
  const times = [], draws = [];
  let x = x0, y = y0;
  for (let i = 0; i < n; i++) {
    const sign = i % 2 === 0 ? 1 : -1;
    const seq = Number(root.dataset.drawnSeq);
    const t0 = performance.now();
    canvas.dispatchEvent(ev('pointerdown', x, y));
    x += sign * dx; y += sign * dy;
    canvas.dispatchEvent(ev('pointermove', x, y));
    canvas.dispatchEvent(ev('pointerup', x, y));
    times.push((await drawnAfter(seq)) - t0);
    draws.push(Number(root.dataset.drawMs));
    await new Promise((r) => setTimeout(r, 150));
  }
  return [times, draws];
}"""


def big_partition():
    """About 120k regions: MLP 2-256-256-256-1 on the square of half-width 1.5 (default torch init, seed 0)."""
    import torch

    from splinecam_widget import Slice, partition, square_domain

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 1),
    ).eval()
    half = 1.5
    return partition(model, Slice(np.zeros(2), np.eye(2), square_domain(half)), max_regions=10_000_000), half


def bench_canvas(browser, server) -> dict:
    p, half = big_partition()
    view = [-half, -half, half, half]
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.goto(f"{server}/tests/browser/harness.html")
    page.wait_for_function("window.harnessReady === true")
    page.evaluate("document.getElementById('host').style.width = '1400px'")
    state, _ = widget_state(p, "slope", view=view, height=1200)
    geometry, coloring = state.pop("geometry"), state.pop("coloring")
    page.evaluate("s => harness.mount(s)", state)
    first = []
    for _ in range(3):
        first.append(
            page.evaluate(
                """async ([g, c]) => {
          const root = document.querySelector('#host .scw');
          const seq = String(g.seq);
          root.dataset.drawnSeq = '';
          const t0 = performance.now();
          harness.kernelSet({ geometry: g, coloring: c });
          while (root.dataset.drawnSeq !== seq) await new Promise((r) => requestAnimationFrame(r));
          return [performance.now() - t0, Number(root.dataset.drawMs)];
        }""",
                [geometry, coloring],
            )
        )
    pan = page.evaluate(FRAME_LOOP, ["pan", 60, 4])
    zoom = page.evaluate(FRAME_LOOP, ["zoom", 60, 20])
    page.close()
    return {
        "regions": p.n_regions,
        "canvas_css_px": [1400, 1200],
        "first_draw_ms": [round(t, 1) for t, _ in first],
        "raster_ms": [round(r, 1) for _, r in first],
        "pan_fps": round(pan, 1),
        "zoom_fps": round(zoom, 1),
    }


def bench_drag(browser, drags: int) -> dict:
    import nbformat

    with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as home:
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
        nb.cells = [
            nbformat.v4.new_code_cell(
                "import numpy as np, torch\nfrom splinecam_widget.widget import SplineCamWidget\n"
                "from splinecam_widget.engine.backends import warm_up\nwarm_up()\ntorch.manual_seed(0)\n"
                "model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),\n"
                "    torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)).eval()\n"
                "w = SplineCamWidget(model, np.array([[-0.8, -0.5], [0.8, -0.5], [0.0, 0.8]]), color_by='class', height=500)\nw"
            )
        ]
        nbformat.write(nb, Path(root) / "bench.ipynb")
        with jupyterlab(Path(root), Path(home)) as (base, token):
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            run = open_notebook(page, base, token, "bench.ipynb", run_cells=1)
            # the view is the anchors' square domain (about [-1, 1]^2, the reference workload of DESIGN.md)
            view = json.loads(
                run(
                    "import json\nw.wait()\nd = w.partition.slice.domain\n"
                    "print(json.dumps([*d.min(axis=0).tolist(), *d.max(axis=0).tolist()]))"
                )
            )
            out = json.loads(
                run(
                    f"w.view = {view}\nw.wait()\n"
                    "print(json.dumps({'seq': w.geometry['seq'], 'a': w.anchors_2d, 'n': w.partition.n_regions}))"
                )
            )
            wait_drawn(page, out["seq"])
            page.locator(f"{OUTPUT} .scw").first.scroll_into_view_if_needed()
            screen = Screen(page, view, host=OUTPUT)
            x0, y0 = screen.local(*out["a"][1])
            run(
                "import time\nevents = []\n"
                "w.observe(lambda c: events.append(('anchors', time.perf_counter())), names='anchors_2d')\n"
                "w.observe(lambda c: events.append(('drawn', time.perf_counter())), names='geometry')"
            )
            times, draws = page.evaluate(DRAG_LOOP, [x0, y0, 6, -4, drags])
            kernel = json.loads(
                run(
                    "k, start = [], None\n"
                    "for kind, t in events:\n"
                    "    if kind == 'anchors' and start is None: start = t\n"
                    "    elif kind == 'drawn' and start is not None: k.append(1000 * (t - start)); start = None\n"
                    "print(json.dumps(k))"
                )
            )
            engine = json.loads(
                run(
                    "import time, numpy as np, regioncam\nfrom splinecam_widget import partition\nt, r = [], []\n"
                    "plane = w.partition.slice\n"
                    "for _ in range(10):\n"
                    "    s = time.perf_counter(); partition(w.model, plane, threads=1); t.append(time.perf_counter() - s)\n"
                    "    s = time.perf_counter(); cam = regioncam.Regioncam(float(np.abs(plane.domain).max()))\n"
                    "    cam.linear(plane.basis.T.astype(np.float32), plane.origin.astype(np.float32)); cam.add(w.model)\n"
                    "    r.append(time.perf_counter() - s)\n"
                    "print(json.dumps({'engine_ms': 1000 * sorted(t)[5], 'regioncam_ms': 1000 * sorted(r)[5], "
                    "'n': w.partition.n_regions}))"
                )
            )
            page.close()
    return {
        "model": "MLP 2-64-64-64-1",
        "regions": engine["n"],
        "drag_to_drawn_ms_median": round(statistics.median(times), 1),
        "drag_to_drawn_ms_p90": round(float(np.percentile(times, 90)), 1),
        "kernel_ms_median": round(statistics.median(kernel), 1),
        "front_end_draw_ms_median": round(statistics.median(draws), 1),
        "engine_only_ms_median": round(engine["engine_ms"], 1),
        "regioncam_ms_median (the same square)": round(engine["regioncam_ms"], 1),
        "engine / regioncam": round(engine["engine_ms"] / engine["regioncam_ms"], 2),
        "drag_to_drawn / regioncam": round(statistics.median(times) / engine["regioncam_ms"], 2),
        "rest of the path / total": round(1 - engine["engine_ms"] / statistics.median(times), 2),
        "drags": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drags", type=int, default=25)
    parser.add_argument("--drag-only", action="store_true", help="only the JupyterLab drag (skip the big canvas)")
    args = parser.parse_args()
    if not BUNDLE.exists():
        sys.exit("build the bundle first: npm run build")
    import functools
    import http.server
    import threading

    from conftest import _QuietHandler
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(ROOT)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        result = {} if args.drag_only else {"canvas": bench_canvas(browser, server)}
        result["jupyterlab_drag"] = bench_drag(browser, args.drags)
        browser.close()
    httpd.shutdown()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
