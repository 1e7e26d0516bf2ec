"""The documentation's gallery: run the example notebooks and keep the pictures they make.

An MkDocs hook (``hooks:`` in ``mkdocs.yml``): before every ``mkdocs build`` or ``mkdocs serve``
it writes ``docs/gallery/`` (git-ignored). By hand: ``.venv/bin/python scripts/docs/gallery.py``.

Each notebook of ``GALLERY`` runs top to bottom in a fresh kernel (nbclient, offline, as
``tests/test_examples.py`` runs them), in a temporary folder; the pictures it writes (``.png``,
``.svg``, ``.gif``) are kept. A notebook that writes none gets one more cell, which saves each
widget or comparison it made with its ``save_png``. ``docs/gallery/index.md`` shows them under
the notebook's title and introduction, with the notebook to download.

``examples/widget_demo.ipynb`` is left out: it is the notebook the browser tests drive, and its
pictures are those of the quickstart. Two notebooks run at a time, one torch thread each.
``SPLINECAM_DOCS_GALLERY=reuse`` keeps a gallery that is already there (quick edits of the prose).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
OUT = ROOT / "docs" / "gallery"
GALLERY = (
    "quickstart",
    "compare_architectures",
    "digits_slice",
    "training_evolution",
    "local_complexity",
    "implicit_shape",
)
"""Notebooks shown, in page order (the slowest, compare_architectures, starts first)."""
PICTURES = (".png", ".svg", ".gif")
WIDE = 1200
"""Pictures wider than this many pixels (side-by-side comparisons) take the page's width."""
SHOWN_WIDTH = 560
"""Width on the page of the others (they are drawn at twice the resolution, for sharp screens)."""
SNAPSHOT = """\
from splinecam_widget import Comparison as _Comparison, SplineCamWidget as _Widget
for _name, _value in list(globals().items()):
    if isinstance(_value, (_Widget, _Comparison)) and not _name.startswith("_"):
        _value.save_png(f"{_name}.png", width=450, scale=2)
"""


@dataclass
class Entry:
    """One notebook's part of the gallery."""

    stem: str
    title: str
    introduction: str
    pictures: list[str]
    seconds: float
    snapshot: bool
    """Whether the pictures are the widgets saved after the last cell (the notebook wrote none)."""


def _introduction(nb) -> tuple[str, str]:
    """The notebook's title (its first ``# `` heading) and the first paragraph after it."""
    first = next(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    lines = first.strip().splitlines()
    title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("#") else "Untitled"
    body = "\n".join(lines[1:]).strip().split("\n\n")[0]
    return title, body


def run_notebook(stem: str, out: Path) -> Entry:
    """Execute ``examples/<stem>.ipynb`` in a temporary folder; copy its pictures to ``out/<stem>/``."""
    import nbclient
    import nbformat

    source = EXAMPLES / f"{stem}.ipynb"
    nb = nbformat.read(source, as_version=4)
    title, introduction = _introduction(nb)
    start = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # two kernels share the cores
    with tempfile.TemporaryDirectory(prefix=f"gallery-{stem}-") as folder:
        client = nbclient.NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        with client.setup_kernel(env=env):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            written = [p for p in Path(folder).iterdir() if p.suffix in PICTURES]
            snapshot = not written
            if snapshot:
                nb.cells.append(nbformat.v4.new_code_cell(SNAPSHOT))
                client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
                written = [p for p in Path(folder).iterdir() if p.suffix in PICTURES]
        target = out / stem
        target.mkdir(parents=True, exist_ok=True)
        for picture in sorted(written):
            shutil.copy2(picture, target / picture.name)
    shutil.copy2(source, out / stem / source.name)
    pictures = [p.name for p in sorted(written)]
    return Entry(stem, title, introduction, pictures, time.perf_counter() - start, snapshot)


def _width(picture: Path) -> float:
    """Width of a picture in pixels (an SVG's ``width`` attribute)."""
    if picture.suffix == ".svg":
        import xml.etree.ElementTree as ET

        return float(ET.parse(picture).getroot().get("width", "0").rstrip("px") or 0)
    from PIL import Image

    with Image.open(picture) as image:
        return image.size[0]


def write_page(entries: list[Entry], out: Path) -> None:
    """``index.md``: each notebook's title, introduction and pictures."""
    lines = [
        "# Gallery",
        "",
        "Pictures made by the example notebooks in `examples/`. Every documentation build runs",
        "the notebooks again (`scripts/docs/gallery.py`), so these are what the code draws today.",
        "A notebook that saves no picture of its own is shown through its widgets' `save_png`.",
        "",
    ]
    for entry in entries:
        lines += [f"## {entry.title}", "", entry.introduction, ""]
        lines += [f"Notebook: `examples/{entry.stem}.ipynb` ([download]({entry.stem}/{entry.stem}.ipynb))", ""]
        for name in entry.pictures:
            if entry.snapshot:
                caption = f"`{Path(name).stem}.save_png(...)`: the notebook's widget `{Path(name).stem}` as a figure"
            else:
                caption = f"`{name}`, written by the notebook"
            size = "" if _width(out / entry.stem / name) > WIDE else f'{{ width="{SHOWN_WIDTH}" }}'
            lines += [f"![{name} from {entry.stem}]({entry.stem}/{name}){size}", "", caption, ""]
    (out / "index.md").write_text("\n".join(lines), encoding="utf-8")


def build(out: Path = OUT, notebooks=GALLERY, workers: int = 2) -> list[Entry]:
    """Run the notebooks (``workers`` at a time) and write the gallery into ``out`` afresh."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        entries = list(pool.map(lambda stem: run_notebook(stem, out), notebooks))
    write_page(entries, out)
    return entries


def on_startup(command: str, dirty: bool) -> None:
    """MkDocs hook: write the gallery before the site is built."""
    import logging

    log = logging.getLogger("mkdocs.hooks.gallery")
    if os.environ.get("SPLINECAM_DOCS_GALLERY") == "reuse" and (OUT / "index.md").exists():
        log.info("gallery: reusing %s (SPLINECAM_DOCS_GALLERY=reuse)", OUT)
        return
    start = time.perf_counter()
    entries = build()
    times = ", ".join(f"{e.stem} {e.seconds:.0f} s" for e in entries)
    log.info("gallery: %d notebooks run in %.0f s (%s)", len(entries), time.perf_counter() - start, times)


if __name__ == "__main__":
    for entry in build(notebooks=sys.argv[1:] or GALLERY):
        print(f"{entry.stem}: {', '.join(entry.pictures) or 'no pictures'} ({entry.seconds:.0f} s)")
