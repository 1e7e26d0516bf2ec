// Pictures of inputs: RGBA bytes made into canvases, and the anchors' thumbnails drawn
// beside their handles on the overlay.

import { typed } from "./decode.js";

/** @typedef {import("./theme.js").Theme} Theme */

/** Longer side of an anchor thumbnail (CSS pixels). */
const THUMB_SIZE = 40;
/** Distance from a handle's centre to its thumbnail (CSS pixels): clear of the largest handle. */
const THUMB_GAP = 13;

/**
 * A canvas holding an image given as RGBA bytes, one pixel per image pixel.
 *
 * @param {DataView | Uint8Array} rgba  height*width*4 bytes, rows top to bottom
 * @param {number} width
 * @param {number} height
 * @returns {HTMLCanvasElement}
 */
export function rgbaCanvas(rgba, width, height) {
  const bytes = typed(rgba, Uint8Array);
  if (bytes.length !== width * height * 4) {
    throw new Error(`image of ${bytes.length} bytes is not ${height}×${width} RGBA`);
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const pixels = new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length);
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(
    new ImageData(pixels, width, height),
    0,
    0,
  );
  return canvas;
}

/**
 * @param {any} raw  the `anchor_images` trait value: { shape: [h, w], rgba: [3 buffers] }
 * @returns {HTMLCanvasElement[] | null}
 */
export function decodeAnchorImages(raw) {
  if (!raw || !raw.shape) return null;
  const [height, width] = raw.shape;
  return raw.rgba.map((/** @type {DataView} */ rgba) => rgbaCanvas(rgba, width, height));
}

/**
 * Each anchor's picture beside its handle: left of it where there is room (its label is on
 * the right), else below the label, below or above the handle; always inside the canvas.
 *
 * @param {CanvasRenderingContext2D} ctx  in CSS pixel units
 * @param {HTMLCanvasElement[]} images    one per anchor
 * @param {Array<[number, number]>} handles  CSS pixel positions of the handles
 * @param {number} width   canvas width (CSS pixels)
 * @param {number} height
 * @param {Theme} theme
 */
export function drawThumbnails(ctx, images, handles, width, height, theme) {
  ctx.imageSmoothingEnabled = false;
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.foreground;
  images.forEach((image, i) => {
    if (!handles[i]) return;
    const [x, y] = handles[i];
    const k = THUMB_SIZE / Math.max(image.width, image.height);
    const w = Math.round(image.width * k);
    const h = Math.round(image.height * k);
    /** @type {Array<[number, number]>} top-left corners, in order of preference */
    const spots = [
      [x - THUMB_GAP - w, y - h / 2],
      [x + THUMB_GAP, y + 4],
      [x - w / 2, y + THUMB_GAP],
      [x - THUMB_GAP - w, y - THUMB_GAP - h],
    ];
    const fits = (/** @type {[number, number]} */ [left, top]) =>
      left >= 1 && top >= 1 && left + w <= width - 1 && top + h <= height - 1;
    const [left, top] = spots.find(fits) ?? spots[0];
    const l = Math.round(Math.min(Math.max(left, 1), width - w - 1));
    const t = Math.round(Math.min(Math.max(top, 1), height - h - 1));
    ctx.drawImage(image, l, t, w, h);
    ctx.strokeRect(l - 0.5, t - 0.5, w + 1, h + 1);
  });
  ctx.imageSmoothingEnabled = true;
}
