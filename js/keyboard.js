// Keys, while the widget has the focus (never otherwise: the notebook keeps its shortcuts):
// arrows pan, + and - zoom about the centre, Escape cancels a computation or drops the tooltip.
// Arrows and +/- act when the plot has the focus (a click on it gives it); Escape anywhere in the
// widget. The plot and the toolbar's controls carry `data-lm-suppress-shortcuts` (layout.js,
// toolbar.js), so JupyterLab leaves these keys to them.

/** Part of the view an arrow key pans by (Shift: half the view). */
const PAN_STEP = 0.1;
/** Zoom factor of one + key. */
const ZOOM_STEP = 1.25;

/**
 * @typedef {object} KeyHandlers
 * @property {(dx: number, dy: number) => void} pan   move the picture by (dx, dy) CSS pixels
 * @property {(factor: number) => void} zoom          about the centre (> 1 zooms in)
 * @property {() => void} end                          a key's pan or zoom is done
 * @property {() => boolean} escape                    cancel or close something; false if there was nothing
 * @property {() => { width: number, height: number }} size  of the plot, CSS pixels
 */

/**
 * @param {HTMLElement} root  the widget (Escape)
 * @param {HTMLElement} plot  the focusable plot (arrows, +/-); a pointer press on its canvas focuses it
 * @param {KeyHandlers} h
 * @returns {() => void} removes the listeners
 */
export function attachKeyboard(root, plot, h) {
  /** @param {KeyboardEvent} e */
  const keydown = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    let handled = false;
    if (e.key === "Escape") {
      handled = h.escape();
    } else if (e.target === plot) {
      const { width, height } = h.size();
      const step = e.shiftKey ? 0.5 : PAN_STEP;
      /** @type {Record<string, () => void>} */
      const actions = {
        ArrowLeft: () => h.pan(step * width, 0),
        ArrowRight: () => h.pan(-step * width, 0),
        ArrowUp: () => h.pan(0, step * height),
        ArrowDown: () => h.pan(0, -step * height),
        "+": () => h.zoom(ZOOM_STEP),
        "=": () => h.zoom(ZOOM_STEP),
        "-": () => h.zoom(1 / ZOOM_STEP),
        _: () => h.zoom(1 / ZOOM_STEP),
      };
      const action = actions[e.key];
      if (action) {
        action();
        h.end();
        handled = true;
      }
    }
    if (handled) {
      e.preventDefault(); // no page scroll
      e.stopPropagation(); // no notebook shortcut
    }
  };
  /** @param {PointerEvent} e  a press on the picture (not on the slider or the tooltip's buttons) */
  const press = (e) => {
    if (e.target instanceof HTMLCanvasElement) plot.focus({ preventScroll: true });
  };
  root.addEventListener("keydown", keydown);
  plot.addEventListener("pointerdown", press);
  return () => {
    root.removeEventListener("keydown", keydown);
    plot.removeEventListener("pointerdown", press);
  };
}
