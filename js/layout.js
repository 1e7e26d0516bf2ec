// The widget's DOM: two stacked canvases (exact picture, overlay) and the HTML panels over them.

const CSS = `
.scw { position: relative; width: 100%; overflow: hidden; user-select: none;
  background: var(--jp-layout-color0, #fff); color: var(--jp-ui-font-color0, #1a1a1a);
  font: 12px var(--jp-ui-font-family, system-ui, -apple-system, sans-serif);
  border: 1px solid var(--jp-border-color2, #e0e0e0); box-sizing: border-box; }
.scw canvas { position: absolute; left: 0; top: 0; display: block; }
.scw-panel { position: absolute; padding: 4px 6px; border-radius: 3px; pointer-events: none;
  background: color-mix(in srgb, var(--jp-layout-color0, #fff) 85%, transparent);
  border: 1px solid var(--jp-border-color2, #e0e0e0); }
.scw-bottom { position: absolute; left: 6px; right: 6px; bottom: 6px; display: flex; flex-wrap: wrap-reverse;
  justify-content: space-between; align-items: flex-end; gap: 4px; pointer-events: none; }
.scw-bottom .scw-panel { position: static; }
.scw-status { color: var(--jp-ui-font-color1, var(--jp-ui-font-color0, #333)); }
.scw-controls { margin-left: auto; display: flex; align-items: center; gap: 6px; pointer-events: auto; }
.scw-controls input { width: 150px; margin: 0; accent-color: var(--jp-brand-color1, #1976d2); cursor: pointer; }
.scw-checkpoint-label { min-width: 90px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.scw-legend { right: 6px; top: 6px; max-height: calc(100% - 24px); overflow: hidden; }
.scw-legend-title { font-weight: 600; margin-bottom: 2px; }
.scw-legend-title ~ .scw-legend-title { margin-top: 6px; }
.scw-legend-item { display: flex; align-items: center; gap: 4px; line-height: 16px; }
.scw-legend-dots { display: flex; flex-wrap: wrap; column-gap: 8px; max-width: 160px; }
.scw-swatch { width: 12px; height: 12px; border: 1px solid var(--jp-border-color1, #bbb); }
.scw-swatch.scw-dot { width: 7px; height: 7px; border-radius: 50%; border-color: rgba(0, 0, 0, .8); }
.scw-colorbar { width: 140px; height: 10px; border: 1px solid var(--jp-border-color1, #bbb); }
.scw-colorbar-labels { display: flex; justify-content: space-between; width: 142px; }
.scw-progress { position: absolute; left: 0; top: 0; height: 3px; width: 0; transition: width 80ms linear;
  background: var(--jp-brand-color1, #1976d2); }
.scw-banner { position: absolute; left: 6px; right: 6px; top: 8px; padding: 6px 8px; border-radius: 3px;
  display: none; white-space: pre-wrap; pointer-events: none;
  background: var(--jp-error-color3, #fdecea); color: var(--jp-error-color0, #b71c1c);
  border: 1px solid var(--jp-error-color1, #d32f2f); }
.scw-banner.scw-warn { background: var(--jp-warn-color3, #fff8e1); color: var(--jp-warn-color0, #8d6e00);
  border-color: var(--jp-warn-color1, #f9a825); }
.scw-tooltip { position: absolute; display: none; max-width: 360px; padding: 6px 8px; border-radius: 4px;
  background: var(--jp-layout-color1, #fff); color: var(--jp-ui-font-color0, #1a1a1a);
  border: 1px solid var(--jp-border-color1, #bbb); box-shadow: 0 2px 6px rgba(0,0,0,.2); pointer-events: auto; }
.scw-tt-head { display: flex; gap: 8px; align-items: baseline; }
.scw-tt-pin, .scw-tt-caption, .scw-tt-more, .scw-tt-partial { color: var(--jp-ui-font-color2, #757575); }
.scw-tt-affine { border-collapse: collapse; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.scw-tt-affine td, .scw-tt-affine th { padding: 0 5px; text-align: right; }
.scw-tt-top td { font-weight: 700; }
.scw-tt-button { margin-top: 4px; font: inherit; cursor: pointer; }
.scw-tooltip canvas { position: static; image-rendering: pixelated; border: 1px solid var(--jp-border-color2, #ddd); }
.scw-tt-images { display: flex; flex-wrap: wrap; gap: 4px; }
.scw-tt-image { margin: 0; text-align: center; font-size: 10px; }
.scw-tt-image canvas { width: 56px; height: 56px; }
.scw-tt-label { display: flex; align-items: center; gap: 5px; }
.scw-tt-sample-image { margin-top: 4px; line-height: 0; }
.scw-tt-uses { display: flex; flex-wrap: wrap; gap: 4px; }
.scw-tt-error { color: var(--jp-error-color1, #d32f2f); }
`;

/**
 * @typedef {object} Layout
 * @property {HTMLDivElement} root
 * @property {HTMLCanvasElement} base      exact picture
 * @property {HTMLCanvasElement} overlay   anchors and hover; receives pointer events
 * @property {HTMLDivElement} status
 * @property {HTMLDivElement} controls    checkpoint slider; receives pointer events
 * @property {HTMLDivElement} legend
 * @property {HTMLDivElement} progress
 * @property {HTMLDivElement} banner
 * @property {HTMLDivElement} tooltip
 */

/**
 * @param {HTMLElement} el  the output element anywidget gives the view
 * @param {number} height   CSS pixels
 * @returns {Layout}
 */
export function createLayout(el, height) {
  const style = document.createElement("style");
  style.textContent = CSS;
  const root = document.createElement("div");
  root.className = "scw";
  root.style.height = `${height}px`;
  /** @param {string} className */
  const div = (className) => {
    const d = document.createElement("div");
    d.className = className;
    return d;
  };
  const base = document.createElement("canvas");
  base.className = "scw-base";
  const overlay = document.createElement("canvas");
  overlay.className = "scw-overlay";
  const layout = {
    root,
    base,
    overlay,
    status: div("scw-panel scw-status"),
    controls: div("scw-panel scw-controls"),
    legend: div("scw-panel scw-legend"),
    progress: div("scw-progress"),
    banner: div("scw-banner"),
    tooltip: div("scw-tooltip"),
  };
  layout.legend.style.display = "none";
  const bottom = div("scw-bottom");
  bottom.append(layout.status, layout.controls);
  root.append(base, overlay, layout.progress, bottom, layout.legend, layout.banner, layout.tooltip);
  el.append(style, root);
  return layout;
}
