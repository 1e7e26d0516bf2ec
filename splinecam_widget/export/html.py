"""The live widget as one standalone HTML file that works offline.

The page holds everything it needs inline: require.js, the ipywidgets HTML
manager (``@jupyter-widgets/html-manager``'s ``embed-amd.js``), anywidget's AMD
front end, and the widget state, whose ``_esm`` trait is the built front-end
bundle and whose binary buffers (the geometry) travel base64-encoded.  No request
leaves the page; there is no kernel, so what the traits hold works (drawing, pan,
zoom, the hover tooltip with each region's affine map) and what needs Python (a
recomputation, a region's input-space slope) does not.

require.js and ``embed-amd.js`` are copied next to the bundle by ``npm run build``
(``splinecam_widget/static/``) and ship in the wheel.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import anywidget
from ipywidgets.embed import dependency_state, embed_data, escape_script

from ..errors import SplineCamError
from ..files import write_text
from .sizes import check_pixels

STATIC = Path(__file__).resolve().parents[1] / "static"
REQUIRE_JS = STATIC / "require.js"
EMBED_JS = STATIC / "embed-amd.js"
ANYWIDGET_JS = Path(anywidget.__file__).parent / "nbextension" / "index.js"
_ANONYMOUS_DEFINE = re.compile(r"^define\(\[", re.MULTILINE)

_PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>body {{ margin: 16px; font-family: sans-serif; }} .splinecam-page {{ max-width: {width}px; }}</style>
<script>{require_js}</script>
<script>{anywidget_js}</script>
<script>{embed_js}</script>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
</head>
<body>
<div class="splinecam-page">
<script type="application/vnd.jupyter.widget-view+json">{view}</script>
</div>
</body>
</html>
"""


def _read(path: Path) -> str:
    if not path.exists():
        raise SplineCamError(f"{path} is missing: run `npm install && npm run build` to build the front end")
    return path.read_text(encoding="utf-8")


def _named_anywidget_define() -> str:
    """Anywidget's AMD module with its ``define`` named "anywidget" (an anonymous one fails inline)."""
    source = _read(ANYWIDGET_JS)
    source, n = _ANONYMOUS_DEFINE.subn('define("anywidget", [', source)
    if n != 1:
        raise SplineCamError(
            f"expected one anonymous define in {ANYWIDGET_JS}, found {n}: unsupported anywidget version"
        )
    return source


def widget_to_html(widget, title: str = "splinecam", width: int = 720) -> str:
    """A standalone HTML page showing ``widget`` with its current state.

    Parameters
    ----------
    widget : SplineCamWidget
        The widget to embed; its traits (geometry, colours, anchors, view) are
        copied as they are now.
    title : str
        Title of the page.
    width : int
        Largest width of the widget in the page, in CSS pixels.

    Returns
    -------
    str
        The HTML document; every script and the state are inline.

    Raises
    ------
    SplineCamError
        If the widget has no partition to show, or the front-end files are missing.
    """
    width = check_pixels(width)
    if widget.geometry is None:
        raise SplineCamError(f"there is no partition to save: {widget.error or 'nothing computed yet'}")
    data = embed_data(views=[widget], drop_defaults=False, state=dependency_state([widget], drop_defaults=False))
    if not data["manager_state"]["state"][widget.model_id]["state"].get("_esm"):
        raise SplineCamError("the widget state has no front-end module (_esm): cannot embed it")
    return _PAGE.format(
        title=html.escape(title),
        width=width,
        require_js=escape_script(_read(REQUIRE_JS)),
        anywidget_js=escape_script(_named_anywidget_define()),
        embed_js=escape_script(_read(EMBED_JS)),
        state=escape_script(json.dumps(data["manager_state"])),
        view=escape_script(json.dumps(data["view_specs"][0])),
    )


def save_widget_html(widget, path, **options) -> Path:
    """Write :func:`widget_to_html` of ``widget`` to ``path`` (UTF-8, atomically); return the path.

    ``options`` go to :func:`widget_to_html` (``title``, ``width``).
    """
    return write_text(path, widget_to_html(widget, **options))
