// Drawing: the exact picture (regions, edges, domain, decision boundary) and the overlay
// (hovered region, data points, anchor thumbnails and handles), plus a transformed copy of
// the last picture for pan/zoom.

import { PixelBuffer, fillPolygons, drawEdges } from "./raster.js";
import { drawData } from "./data.js";
import { drawThumbnails } from "./thumbnails.js";

/** @typedef {import("./decode.js").Geometry} Geometry */
/** @typedef {import("./decode.js").Style} Style */
/** @typedef {import("./camera.js").Camera} Camera */
/** @typedef {import("./theme.js").Theme} Theme */

const SEGMENTS_PER_PATH = 500;

export class SceneRenderer {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    this.snapshot = document.createElement("canvas");
    /** @type {PixelBuffer | null} */
    this.buffer = null;
    /** @type {Camera | null} camera of the last exact picture */
    this.drawnCamera = null;
    /** whether `snapshot` still has to receive a copy of the last exact picture */
    this.snapshotStale = false;
    this.dpr = 1;
    /** milliseconds taken by the last exact picture */
    this.lastMs = 0;
  }

  /**
   * @param {number} width   CSS pixels
   * @param {number} height  CSS pixels
   * @param {number} dpr     device pixels per CSS pixel
   */
  resize(width, height, dpr) {
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    this.dpr = dpr;
    for (const c of [this.canvas, this.snapshot]) {
      c.width = w;
      c.height = h;
    }
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.buffer = new PixelBuffer(w, h);
    this.drawnCamera = null;
  }

  /**
   * Draw the partition exactly for `camera`.
   *
   * @param {Geometry | null} geometry
   * @param {Style | null} style  colours of `geometry` (same seq), or null to draw it uncoloured
   * @param {Camera} camera
   * @param {Theme} theme
   * @param {Set<string>} visible  "edges" and "boundary" are drawn when in it
   */
  render(geometry, style, camera, theme, visible) {
    const t0 = performance.now();
    const buffer = /** @type {PixelBuffer} */ (this.buffer);
    buffer.clear(theme.backgroundRGBA);
    if (geometry) {
      const t = camera.deviceTransform(geometry.shift, this.dpr);
      const fill = style ?? uniformStyle(geometry.nRegions, theme);
      fillPolygons(buffer, geometry.vertices, geometry.offsets, fill.fill, t);
      // exact class pieces of the regions the decision boundary crosses, over their region's colour
      if (style?.cells) fillPolygons(buffer, style.cells.vertices, style.cells.offsets, style.cells.fill, t);
      const palette = style?.edgePalette;
      /** @type {(layer: number) => number} */
      const colorOf = palette ? (layer) => palette[Math.min(layer + 1, palette.length - 1)] : () => theme.edgeRGBA;
      if (visible.has("edges")) drawEdges(buffer, geometry.vertices, geometry.offsets, geometry.edgeLayer, colorOf, t);
    }
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.putImageData(buffer.image, 0, 0);
    if (geometry) {
      this.ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      drawDomain(this.ctx, geometry.domain, camera, theme);
      if (visible.has("boundary")) drawBoundary(this.ctx, geometry, camera, theme);
    }
    this.snapshotStale = true;
    this.drawnCamera = camera.clone();
    this.lastMs = performance.now() - t0;
  }

  /**
   * Show the last exact picture moved and scaled to `camera` (cheap; used while panning or zooming).
   *
   * @param {Camera} camera
   * @param {Theme} theme
   * @returns {boolean} false when there is no picture to move
   */
  preview(camera, theme) {
    const c0 = this.drawnCamera;
    if (!c0) return false;
    if (this.snapshotStale) {
      // the canvas still holds the exact picture: keep a copy to move around
      const snap = /** @type {CanvasRenderingContext2D} */ (this.snapshot.getContext("2d"));
      snap.clearRect(0, 0, this.snapshot.width, this.snapshot.height);
      snap.drawImage(this.canvas, 0, 0);
      this.snapshotStale = false;
    }
    const k = camera.scale / c0.scale;
    const tx = camera.width / 2 - (k * camera.width) / 2 + (c0.cu - camera.cu) * camera.scale;
    const ty = camera.height / 2 - (k * camera.height) / 2 + (camera.cv - c0.cv) * camera.scale;
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(k, 0, 0, k, tx * this.dpr, ty * this.dpr);
    ctx.drawImage(this.snapshot, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    return true;
  }
}

/**
 * @param {number} R
 * @param {Theme} theme
 * @returns {{ fill: Uint32Array }}
 */
function uniformStyle(R, theme) {
  const grey = theme.dark ? 0xff3a3a3a : 0xffeeeeee;
  return { fill: new Uint32Array(R).fill(grey >>> 0) };
}

/**
 * @param {CanvasRenderingContext2D} ctx  in CSS pixel units
 * @param {Array<[number, number]>} domain
 * @param {Camera} camera
 * @param {Theme} theme
 */
function drawDomain(ctx, domain, camera, theme) {
  if (!domain || domain.length < 3) return;
  ctx.beginPath();
  domain.forEach(([u, v], i) => {
    const [x, y] = camera.toScreen(u, v);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.closePath();
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.muted;
  ctx.stroke();
}

/**
 * Decision boundary: bold foreground line over a halo of the background colour.
 *
 * @param {CanvasRenderingContext2D} ctx
 * @param {Geometry} geometry
 * @param {Camera} camera
 * @param {Theme} theme
 */
function drawBoundary(ctx, geometry, camera, theme) {
  const seg = geometry.boundary;
  const S = seg.length / 4;
  if (S === 0) return;
  const [su, sv] = geometry.shift;
  ctx.lineCap = "round";
  for (const [color, width] of [
    [theme.background, 4.5],
    [theme.foreground, 2.25],
  ]) {
    ctx.strokeStyle = /** @type {string} */ (color);
    ctx.lineWidth = /** @type {number} */ (width);
    for (let s0 = 0; s0 < S; s0 += SEGMENTS_PER_PATH) {
      ctx.beginPath();
      for (let s = s0; s < Math.min(S, s0 + SEGMENTS_PER_PATH); s++) {
        const [xa, ya] = camera.toScreen(su + seg[4 * s], sv + seg[4 * s + 1]);
        const [xb, yb] = camera.toScreen(su + seg[4 * s + 2], sv + seg[4 * s + 3]);
        ctx.moveTo(xa, ya);
        ctx.lineTo(xb, yb);
      }
      ctx.stroke();
    }
  }
}

/**
 * @typedef {object} OverlayState
 * @property {Array<[number, number]>} anchors  plane positions
 * @property {string[]} labels
 * @property {number} active    anchor being dragged or hovered, -1 if none
 * @property {Geometry | null} geometry
 * @property {number} region    hovered region, -1 if none
 * @property {import("./data.js").DataSet | null} data  data points to draw, or null
 * @property {number} sample    hovered or pinned data point, -1 if none
 * @property {HTMLCanvasElement[] | null} thumbnails  the anchors' pictures, or null
 */

/**
 * The outline of the hovered region, data points, anchor thumbnails and handles, on the
 * transparent overlay canvas.
 *
 * @param {CanvasRenderingContext2D} ctx  in CSS pixel units (already scaled by the device ratio)
 * @param {number} width
 * @param {number} height
 * @param {OverlayState} state
 * @param {Camera} camera
 * @param {Theme} theme
 */
export function drawOverlay(ctx, width, height, state, camera, theme) {
  ctx.clearRect(0, 0, width, height);
  const { geometry, region } = state;
  if (geometry && region >= 0 && region < geometry.nRegions) {
    const { vertices, offsets, shift } = geometry;
    ctx.beginPath();
    for (let k = offsets[region]; k < offsets[region + 1]; k++) {
      const [x, y] = camera.toScreen(shift[0] + vertices[2 * k], shift[1] + vertices[2 * k + 1]);
      if (k === offsets[region]) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.closePath();
    ctx.lineWidth = 2;
    ctx.strokeStyle = theme.foreground;
    ctx.setLineDash([4, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (state.data) drawData(ctx, state.data, state.sample, camera, theme);
  const handles = state.anchors.map(([u, v]) => camera.toScreen(u, v));
  if (state.thumbnails) drawThumbnails(ctx, state.thumbnails, handles, width, height, theme);
  ctx.font = `600 12px ${theme.font}`;
  ctx.textBaseline = "middle";
  handles.forEach(([x, y], i) => {
    const r = i === state.active ? 9 : 7;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = theme.background;
    ctx.fill();
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = theme.foreground;
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fillStyle = theme.foreground;
    ctx.fill();
    const label = state.labels[i] ?? `x${i}`;
    ctx.lineWidth = 3;
    ctx.strokeStyle = theme.background;
    ctx.strokeText(label, x + r + 4, y - r);
    ctx.fillStyle = theme.foreground;
    ctx.fillText(label, x + r + 4, y - r);
  });
}
