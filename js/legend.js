// Legend (classes, layers) or colour bar (slope, output) of the current colour mode.

import { fmt } from "./tooltip.js";

/** @typedef {import("./decode.js").Legend} Legend */

/**
 * @param {HTMLElement} el
 * @param {Legend | null} legend
 */
export function renderLegend(el, legend) {
  el.replaceChildren();
  el.style.display = legend ? "block" : "none";
  if (!legend) return;
  const title = document.createElement("div");
  title.className = "scw-legend-title";
  title.textContent = legend.title;
  el.append(title);
  if (legend.kind === "categorical") {
    for (const item of legend.items ?? []) {
      const row = document.createElement("div");
      row.className = "scw-legend-item";
      const swatch = document.createElement("span");
      swatch.className = "scw-swatch";
      swatch.style.background = item.color;
      const label = document.createElement("span");
      label.textContent = item.label;
      row.append(swatch, label);
      el.append(row);
    }
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
