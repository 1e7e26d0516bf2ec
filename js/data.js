// Data overlay: dataset points projected onto the plane (splinecam_widget/overlay.py), read
// from their buffers, drawn as dots on the overlay canvas, and hit-tested in screen space.

import { typed } from "./decode.js";
import { fmt } from "./tooltip.js";

/** @typedef {import("./camera.js").Camera} Camera */
/** @typedef {import("./theme.js").Theme} Theme */
/** @typedef {import("./decode.js").Legend} Legend */
/** @typedef {import("./decode.js").LegendItem} LegendItem */

/**
 * @typedef {object} DataSet
 * @property {number} frame          plane frame the coordinates belong to (drawn only on geometry of this frame)
 * @property {number} n              N
 * @property {Float64Array} uv       (N*2) absolute plane coordinates of each point's projection
 * @property {Float32Array} distance (N) distance of each point to the plane, in input space
 * @property {Int32Array} label      (N) index into `items`, -1 = unlabelled
 * @property {Int32Array} row        (N) row of each point in the array the user passed
 * @property {LegendItem[]} items    one per distinct label
 * @property {number | null} maxDistance  points farther from the plane than this were left out
 * @property {Float32Array | null} value  (N) a value per point (local density), or null
 * @property {Uint8Array | null} color    (N*4) RGBA per point when coloured by value, or null
 * @property {Legend | null} valueLegend  the colour bar of the values, or null
 */

/** Dot radius in CSS pixels. */
const DOT_RADIUS = 3.5;
/** Colour of points without a label. */
const UNLABELLED = "#9e9e9e";

/**
 * @param {any} raw  the `data` trait value
 * @returns {DataSet | null}
 */
export function decodeData(raw) {
  if (!raw || raw.n == null) return null;
  const n = raw.n;
  const data = {
    frame: raw.frame,
    n,
    uv: typed(raw.uv, Float64Array),
    distance: typed(raw.distance, Float32Array),
    label: typed(raw.label, Int32Array),
    row: typed(raw.row, Int32Array),
    items: raw.items ?? [],
    maxDistance: raw.max_distance ?? null,
    value: raw.value ? typed(raw.value, Float32Array) : null,
    color: raw.color ? typed(raw.color, Uint8Array) : null,
    valueLegend: raw.legend ?? null,
  };
  const lengths = [data.uv.length / 2, data.distance.length, data.label.length, data.row.length];
  if (data.value) lengths.push(data.value.length);
  if (data.color) lengths.push(data.color.length / 4);
  if (lengths.some((m) => m !== n))
    throw new Error(`data buffers disagree: ${n} points, buffer lengths ${lengths.join(", ")}`);
  return data;
}

/**
 * @param {DataSet} data
 * @param {number} i  point index
 * @returns {LegendItem | null}  its label, or null when unlabelled
 */
export function labelOf(data, i) {
  return data.items[data.label[i]] ?? null;
}

/**
 * Legend block of the data labels.
 *
 * @param {DataSet} data
 * @returns {Legend}
 */
export function dataLegend(data) {
  if (data.valueLegend) return data.valueLegend;
  const items = [...data.items];
  if (data.label.some((k) => !data.items[k])) items.push({ label: "unlabelled", color: UNLABELLED });
  const title = data.maxDistance === null ? "data" : `data within ${fmt(data.maxDistance)} of the plane`;
  return { kind: "categorical", title, items, dots: true };
}

/**
 * Every point as a dot in its label's colour (one path per colour), the highlighted one ringed.
 *
 * @param {CanvasRenderingContext2D} ctx  in CSS pixel units
 * @param {DataSet} data
 * @param {number} active  highlighted point, -1 if none
 * @param {Camera} camera
 * @param {Theme} theme
 */
export function drawData(ctx, data, active, camera, theme) {
  const { colors, colorOf } = pointColors(data);
  const paths = colors.map(() => new Path2D());
  const r = DOT_RADIUS;
  for (let i = 0; i < data.n; i++) {
    const [x, y] = camera.toScreen(data.uv[2 * i], data.uv[2 * i + 1]);
    if (x < -r || y < -r || x > camera.width + r || y > camera.height + r) continue;
    const path = paths[colorOf[i]];
    path.moveTo(x + r, y);
    path.arc(x, y, r, 0, 2 * Math.PI);
  }
  ctx.lineWidth = 1;
  // the darker of the theme's two colours outlines every dot, on light regions and dark backgrounds alike
  ctx.strokeStyle = theme.dark ? theme.background : theme.foreground;
  paths.forEach((path, k) => {
    ctx.fillStyle = colors[k];
    ctx.fill(path);
    ctx.stroke(path);
  });
  if (active >= 0 && active < data.n) {
    const [x, y] = camera.toScreen(data.uv[2 * active], data.uv[2 * active + 1]);
    ctx.beginPath();
    ctx.arc(x, y, r + 3, 0, 2 * Math.PI);
    ctx.lineWidth = 2;
    ctx.strokeStyle = theme.foreground;
    ctx.stroke();
  }
}

/**
 * The distinct fill colours of the points and each point's index into them: one path per colour.
 *
 * @param {DataSet} data
 * @returns {{ colors: string[], colorOf: Int32Array }}
 */
function pointColors(data) {
  const colorOf = new Int32Array(data.n);
  if (!data.color) {
    for (let i = 0; i < data.n; i++) colorOf[i] = data.items[data.label[i]] ? data.label[i] : data.items.length;
    return { colors: [...data.items.map((item) => item.color), UNLABELLED], colorOf };
  }
  /** @type {Map<string, number>} */
  const seen = new Map();
  for (let i = 0; i < data.n; i++) {
    const c = data.color;
    const css = `rgb(${c[4 * i]},${c[4 * i + 1]},${c[4 * i + 2]})`;
    let k = seen.get(css);
    if (k === undefined) seen.set(css, (k = seen.size));
    colorOf[i] = k;
  }
  return { colors: [...seen.keys()], colorOf };
}

/**
 * The point drawn nearest to a CSS pixel, within `radius`.
 *
 * @param {DataSet} data
 * @param {Camera} camera
 * @param {number} x
 * @param {number} y
 * @param {number} radius  CSS pixels
 * @returns {number} point index, or -1
 */
export function dataAt(data, camera, x, y, radius) {
  const [u, v] = camera.toPlane(x, y);
  let best = -1;
  let bestD = (radius / camera.scale) ** 2;
  for (let i = 0; i < data.n; i++) {
    const d = (data.uv[2 * i] - u) ** 2 + (data.uv[2 * i + 1] - v) ** 2;
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  }
  return best;
}
