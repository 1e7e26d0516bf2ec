// Legend: the colour mode's classes or layers, or its colour bar (slope, output); below it,
// the labels of the data points when they are drawn.

import { fmt } from "./tooltip.js";

/** @typedef {import("./decode.js").Legend} Legend */

/**
 * @param {HTMLElement} el
 * @param {Array<Legend | null>} legends  blocks, top to bottom; null ones are skipped
 */
export function renderLegend(el, legends) {
  el.replaceChildren();
  const shown = legends.filter((legend) => legend !== null);
  el.style.display = shown.length ? "block" : "none";
  for (const legend of shown) renderBlock(el, legend);
}

/**
 * @param {HTMLElement} el
 * @param {Legend} legend
 */
function renderBlock(el, legend) {
  const title = document.createElement("div");
  title.className = "scw-legend-title";
  title.textContent = legend.title;
  el.append(title);
  if (legend.kind === "categorical") {
    const list = document.createElement("div");
    if (legend.dots) list.className = "scw-legend-dots";
    for (const item of legend.items ?? []) {
      const row = document.createElement("div");
      row.className = "scw-legend-item";
      const swatch = document.createElement("span");
      swatch.className = legend.dots ? "scw-swatch scw-dot" : "scw-swatch";
      swatch.style.background = item.color;
      const label = document.createElement("span");
      label.textContent = item.label;
      row.append(swatch, label);
      list.append(row);
    }
    el.append(list);
    return;
  }
  const bar = document.createElement("div");
  bar.className = "scw-colorbar";
  bar.style.background = `linear-gradient(to right, ${(legend.colors ?? []).join(", ")})`;
  const labels = document.createElement("div");
  labels.className = "scw-colorbar-labels";
  for (const x of [legend.min ?? 0, legend.max ?? 1]) {
    const span = document.createElement("span");
    span.textContent = fmt(x);
    labels.append(span);
  }
  el.append(bar, labels);
}
