// Tooltip: what the hovered region computes, laid out as a small table, the full
// input-space slope when Python sends it, and the hovered or pinned data point.

import { outputsAt } from "./decode.js";
import { rgbaCanvas } from "./thumbnails.js";

/** @typedef {import("./decode.js").Geometry} Geometry */

/** Outputs shown in full; with more, the rows with the largest values at the cursor. */
export const MAX_ROWS = 8;
/** Longer side of a data point's picture in its menu (CSS pixels). */
const SAMPLE_IMAGE_SIZE = 64;

/**
 * @typedef {object} RegionInfo
 * @property {number} region
 * @property {number} area
 * @property {boolean} partial
 * @property {string} progress         "layer l of L" while partial
 * @property {Float64Array | null} values   (K) outputs at the cursor
 * @property {number} predicted        argmax class (K > 1), or -1
 * @property {Array<{ k: number, du: number, dv: number, offset: number, value: number }>} rows  shown rows of the affine map
 * @property {number} nOutputs
 */

/**
 * The numbers the tooltip shows for region r at plane point (u, v).
 *
 * @param {Geometry} g
 * @param {number} r
 * @param {number} u
 * @param {number} v
 * @returns {RegionInfo}
 */
export function regionInfo(g, r, u, v) {
  const values = outputsAt(g, r, u, v);
  const K = g.nOutputs;
  let predicted = -1;
  /** @type {RegionInfo["rows"]} */
  let rows = [];
  if (values && g.affine) {
    const affine = g.affine;
    if (K > 1) predicted = values.indexOf(Math.max(...values));
    const order = [...values.keys()];
    if (K > MAX_ROWS) order.sort((a, b) => values[b] - values[a]);
    rows = order.slice(0, MAX_ROWS).map((k) => {
      const i = (r * K + k) * 3;
      const du = affine[i],
        dv = affine[i + 1];
      return { k, du, dv, offset: affine[i + 2] - du * g.shift[0] - dv * g.shift[1], value: values[k] };
    });
  }
  return {
    region: r,
    area: g.areas[r],
    partial: g.partial,
    progress: `layer ${g.layer + 1} of ${g.nLayers}`,
    values,
    predicted,
    rows,
    nOutputs: K,
  };
}

/**
 * @param {number} x
 * @returns {string}
 */
export function fmt(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(3);
  return x
    .toPrecision(4)
    .replace(/(\.\d*?)0+$/, "$1")
    .replace(/\.$/, "");
}

/**
 * @template {keyof HTMLElementTagNameMap} T
 * @param {T} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[T]}
 */
function h(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  // Enter or Space on a focused button presses it instead of running a JupyterLab shortcut
  if (tag === "button") e.setAttribute("data-lm-suppress-shortcuts", "true");
  return e;
}

/**
 * Fill the tooltip element.
 *
 * @param {HTMLElement} el
 * @param {RegionInfo} info
 * @param {{ pinned: boolean, levels: number[], onSlope: (() => void) | null }} opts
 */
export function renderTooltip(el, info, opts) {
  el.replaceChildren();
  const head = h("div", "scw-tt-head");
  head.append(h("b", "", `region ${info.region}`));
  if (opts.pinned) head.append(h("span", "scw-tt-pin", "pinned · click it again to close"));
  el.append(head);
  if (info.values && info.nOutputs > 1) {
    el.append(h("div", "scw-tt-class", `class ${info.predicted}  (output ${fmt(info.values[info.predicted])})`));
  } else if (info.values) {
    const level = opts.levels[0] ?? 0;
    const side = info.values[0] > level ? "above" : "below";
    el.append(h("div", "scw-tt-value", `value ${fmt(info.values[0])}  (${side} level ${fmt(level)})`));
  }
  el.append(h("div", "scw-tt-area", `area ${fmt(info.area)}`));
  if (info.partial) {
    el.append(h("div", "scw-tt-partial", `partial partition: ${info.progress}`));
    return;
  }
  el.append(h("div", "scw-tt-caption", "output = slope · (u, v) + offset"));
  const table = h("table", "scw-tt-affine");
  const header = h("tr");
  for (const name of ["k", "∂/∂u", "∂/∂v", "offset", "here"]) header.append(h("th", "", name));
  table.append(header);
  for (const row of info.rows) {
    const tr = h("tr");
    if (row.k === info.predicted) tr.className = "scw-tt-top";
    for (const x of [String(row.k), fmt(row.du), fmt(row.dv), fmt(row.offset), fmt(row.value)])
      tr.append(h("td", "", x));
    table.append(tr);
  }
  el.append(table);
  if (info.nOutputs > info.rows.length) {
    el.append(h("div", "scw-tt-more", `top ${info.rows.length} of ${info.nOutputs} outputs at the cursor`));
  }
  if (opts.onSlope) {
    const button = h("button", "scw-tt-button", "input-space slope");
    button.type = "button";
    button.addEventListener("click", opts.onSlope, { once: true });
    el.append(button);
  }
}

/**
 * @typedef {object} SlopeResponse
 * @property {number} region
 * @property {number[]} shape        [K, ...input_shape]
 * @property {"image" | "vector"} kind
 * @property {number[]} [image_shape] [height, width] of each class image
 * @property {number[]} [scales]      per output: the |slope| that maps to full colour
 * @property {string} [error]
 */

/**
 * Show the full input-space slope of a region below the affine table.
 *
 * @param {HTMLElement} el  the tooltip element
 * @param {SlopeResponse} res
 * @param {DataView[]} buffers  [float32 slope values, RGBA images when kind is "image"]
 */
export function renderSlope(el, res, buffers) {
  el.querySelector(".scw-tt-slope")?.remove();
  el.querySelector(".scw-tt-button")?.remove();
  const box = h("div", "scw-tt-slope");
  el.append(box);
  if (res.error) {
    box.append(h("div", "scw-tt-error", res.error));
    return;
  }
  const [K, ...inner] = res.shape;
  const D = inner.reduce((a, b) => a * b, 1);
  box.append(h("div", "scw-tt-caption", `input-space slope of region ${res.region} (${K} × ${inner.join("×")})`));
  if (res.kind === "image" && res.image_shape && buffers[1]) {
    const [H, W] = res.image_shape;
    const { buffer, byteOffset } = buffers[1];
    const grid = h("div", "scw-tt-images");
    for (let k = 0; k < K; k++) {
      const cell = h("figure", "scw-tt-image");
      const canvas = rgbaCanvas(new Uint8Array(buffer, byteOffset + k * H * W * 4, H * W * 4), W, H);
      cell.append(canvas, h("figcaption", "", `${k}  ±${fmt(res.scales?.[k] ?? 0)}`));
      grid.append(cell);
    }
    box.append(grid);
    return;
  }
  const values = new Float32Array(
    buffers[0].buffer.slice(buffers[0].byteOffset, buffers[0].byteOffset + buffers[0].byteLength),
  );
  const table = h("table", "scw-tt-affine");
  const cols = Math.min(D, MAX_ROWS);
  for (let k = 0; k < Math.min(K, MAX_ROWS); k++) {
    const tr = h("tr");
    tr.append(h("th", "", String(k)));
    for (let d = 0; d < cols; d++) tr.append(h("td", "", fmt(values[k * D + d])));
    if (D > cols) tr.append(h("td", "", `… ${D - cols} more`));
    table.append(tr);
  }
  box.append(table);
}

/**
 * @typedef {object} SampleInfo
 * @property {number} row             row of the point in the user's array
 * @property {{ label: string, color: string } | null} label  null when unlabelled
 * @property {number} distance        to the plane, in input space
 * @property {{ title: string, value: number } | null} [value]  the point's value (local density), if shown
 */

/**
 * @typedef {object} SampleMenu  what a pinned data point offers
 * @property {string[]} anchorLabels
 * @property {HTMLCanvasElement | null} image  picture of the point (image inputs)
 * @property {string | null} error    why the last "use as" failed
 * @property {boolean} busy           a "use as" request is on its way
 * @property {(anchor: number) => void} onUse
 */

/**
 * Fill the tooltip with a data point; pinned, with its picture and one "use as" button per anchor.
 *
 * @param {HTMLElement} el
 * @param {SampleInfo} info
 * @param {SampleMenu | null} menu  null while only hovered
 */
export function renderSampleTip(el, info, menu) {
  el.replaceChildren();
  const head = h("div", "scw-tt-head");
  head.append(h("b", "", `sample ${info.row}`));
  if (menu) head.append(h("span", "scw-tt-pin", "pinned · click it again to close"));
  const label = h("div", "scw-tt-label");
  if (info.label) {
    const dot = h("span", "scw-swatch scw-dot");
    dot.style.background = info.label.color;
    label.append(dot, `label ${info.label.label}`);
  } else {
    label.textContent = "unlabelled";
  }
  el.append(head, label, h("div", "scw-tt-distance", `distance to plane ${fmt(info.distance)}`));
  if (info.value) el.append(h("div", "scw-tt-value", `${info.value.title}: ${fmt(info.value.value)}`));
  if (!menu) return;
  if (menu.image) {
    const k = SAMPLE_IMAGE_SIZE / Math.max(menu.image.width, menu.image.height);
    menu.image.style.width = `${Math.round(menu.image.width * k)}px`;
    menu.image.style.height = `${Math.round(menu.image.height * k)}px`;
    const figure = h("div", "scw-tt-sample-image");
    figure.append(menu.image);
    el.append(figure);
  }
  const buttons = h("div", "scw-tt-uses");
  menu.anchorLabels.forEach((name, i) => {
    const button = h("button", "scw-tt-button", `use as ${name}`);
    button.type = "button";
    button.disabled = menu.busy;
    button.addEventListener("click", () => menu.onUse(i), { once: true });
    buttons.append(button);
  });
  el.append(buttons);
  if (menu.error) el.append(h("div", "scw-tt-error", menu.error));
}

/**
 * Put the tooltip next to the cursor, inside the widget.
 *
 * @param {HTMLElement} el
 * @param {number} x  CSS pixels in the widget
 * @param {number} y
 * @param {number} width   widget width
 * @param {number} height  widget height
 */
export function placeTooltip(el, x, y, width, height) {
  el.style.display = "block";
  el.style.left = "0px";
  el.style.top = "0px";
  const w = el.offsetWidth;
  const hgt = el.offsetHeight;
  const left = x + 16 + w > width ? Math.max(0, x - 16 - w) : x + 16;
  const below = y + 16 + hgt <= height;
  const top = below ? y + 16 : Math.max(0, Math.min(y - 16 - hgt, height - hgt));
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
}
