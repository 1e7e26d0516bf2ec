// The widget's DOM: the toolbar, then the plot (two stacked canvases, the exact picture and the
// overlay, with the HTML panels over them) and the legend beside it (wide) or below it (narrow).
// The legend is never drawn over the plot.

import { styleElement } from "./styles.js";

/**
 * @typedef {object} Layout
 * @property {HTMLDivElement} root
 * @property {HTMLDivElement} toolbar   controls and status (toolbar.js); hidden with `toolbar = false`
 * @property {HTMLDivElement} body      plot and legend, side by side or stacked
 * @property {HTMLDivElement} plot      the canvases and panels; focusable, receives the keys
 * @property {HTMLCanvasElement} base      exact picture
 * @property {HTMLCanvasElement} overlay   anchors and hover; receives pointer events
 * @property {HTMLDivElement} bottom    panels at the bottom of the plot
 * @property {HTMLDivElement} status    status line: in the toolbar, or in a panel on the plot without one
 * @property {HTMLDivElement} controls  checkpoint slider; receives pointer events
 * @property {HTMLDivElement} legend
 * @property {HTMLDivElement} progress
 * @property {HTMLDivElement} banner
 * @property {HTMLDivElement} tooltip
 */

/**
 * @param {string} className
 * @returns {HTMLDivElement}
 */
export function div(className) {
  const d = document.createElement("div");
  d.className = className;
  return d;
}

/**
 * @param {HTMLElement} el  the output element anywidget gives the view
 * @param {number} height   CSS pixels of the plot
 * @returns {Layout}
 */
export function createLayout(el, height) {
  const root = div("scw");
  const base = document.createElement("canvas");
  base.className = "scw-base";
  const overlay = document.createElement("canvas");
  overlay.className = "scw-overlay";
  const layout = {
    root,
    toolbar: div("scw-toolbar"),
    body: div("scw-body"),
    plot: div("scw-plot"),
    base,
    overlay,
    bottom: div("scw-bottom"),
    status: div("scw-status"),
    controls: div("scw-panel scw-controls"),
    legend: div("scw-legend"),
    progress: div("scw-progress"),
    banner: div("scw-banner"),
    tooltip: div("scw-tooltip"),
  };
  const { plot } = layout;
  plot.style.height = `${height}px`;
  // the plot takes the keyboard when clicked or tabbed to (keyboard.js); JupyterLab's shortcuts
  // then leave the keys to it (Lumino looks for this attribute on the focused element itself)
  plot.tabIndex = 0;
  plot.setAttribute("data-lm-suppress-shortcuts", "true");
  plot.setAttribute("role", "application");
  plot.setAttribute("aria-label", "linear regions: drag the anchors, drag to pan, wheel to zoom, arrows and +/-");
  layout.legend.style.display = "none";
  layout.bottom.append(layout.controls);
  plot.append(base, overlay, layout.progress, layout.bottom, layout.banner, layout.tooltip);
  layout.body.append(plot, layout.legend);
  root.append(layout.toolbar, layout.body);
  el.append(styleElement(), root);
  return layout;
}

/**
 * Put the status line in the toolbar (shown) or in a panel at the bottom left of the plot.
 *
 * @param {Layout} layout
 * @param {HTMLElement} slot  the toolbar's place for it
 * @param {boolean} toolbar  whether the toolbar is shown
 */
export function placeStatus(layout, slot, toolbar) {
  layout.toolbar.style.display = toolbar ? "" : "none";
  layout.status.classList.toggle("scw-panel", !toolbar);
  if (toolbar) slot.prepend(layout.status);
  else layout.bottom.prepend(layout.status);
}
