// Rasteriser of convex polygons and thin lines into a 32-bit pixel buffer.
//
// Canvas 2D needs one path per polygon and leaves hairline seams between neighbours;
// scanline filling at pixel centres paints every pixel exactly once with the region that
// contains its centre, and is an order of magnitude faster for 100k polygons.

/** @typedef {{ sx: number, sy: number, ox: number, oy: number }} Transform  device x = sx*u + ox, y = sy*v + oy */

/**
 * A pixel target: `pixels` views the bytes of `image` (RGBA, as packed by ImageData).
 */
export class PixelBuffer {
  /**
   * @param {number} width   device pixels
   * @param {number} height  device pixels
   */
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.image = new ImageData(Math.max(width, 1), Math.max(height, 1));
    this.pixels = new Uint32Array(this.image.data.buffer);
    /** per-row span scratch of the polygon being filled */
    this.left = new Float64Array(this.height);
    this.right = new Float64Array(this.height);
  }

  /** @param {number} color packed RGBA */
  clear(color) {
    this.pixels.fill(color);
  }
}

let xs = new Float64Array(64);
let ys = new Float64Array(64);

/**
 * Fill every polygon with its colour; pixels whose centre lies in no polygon are left as they are.
 *
 * @param {PixelBuffer} target
 * @param {Float32Array} vertices  (N*2)
 * @param {Int32Array} offsets     (R+1)
 * @param {Uint32Array} colors     (R) packed RGBA
 * @param {Transform} t
 */
export function fillPolygons(target, vertices, offsets, colors, t) {
  const { width: W, height: H, pixels, left, right } = target;
  const { sx, sy, ox, oy } = t;
  const R = offsets.length - 1;
  for (let r = 0; r < R; r++) {
    const k0 = offsets[r];
    const n = offsets[r + 1] - k0;
    if (n < 3) continue;
    if (n > xs.length) {
      xs = new Float64Array(2 * n);
      ys = new Float64Array(2 * n);
    }
    let xmin = Infinity,
      xmax = -Infinity,
      ymin = Infinity,
      ymax = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = sx * vertices[2 * (k0 + i)] + ox;
      const y = sy * vertices[2 * (k0 + i) + 1] + oy;
      xs[i] = x;
      ys[i] = y;
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
    if (xmax < 0 || xmin > W) continue;
    const row0 = Math.max(0, Math.ceil(ymin - 0.5));
    const row1 = Math.min(H, Math.ceil(ymax - 0.5));
    if (row1 <= row0) continue;
    left.fill(Infinity, row0, row1);
    right.fill(-Infinity, row0, row1);
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const xa = xs[i],
        ya = ys[i],
        xb = xs[j],
        yb = ys[j];
      if (ya === yb) continue;
      const lo = Math.max(row0, Math.ceil(Math.min(ya, yb) - 0.5));
      const hi = Math.min(row1, Math.ceil(Math.max(ya, yb) - 0.5));
      const slope = (xb - xa) / (yb - ya);
      for (let row = lo; row < hi; row++) {
        const x = xa + (row + 0.5 - ya) * slope;
        if (x < left[row]) left[row] = x;
        if (x > right[row]) right[row] = x;
      }
    }
    const color = colors[r];
    for (let row = row0; row < row1; row++) {
      const a = Math.max(0, Math.ceil(left[row] - 0.5));
      const b = Math.min(W, Math.ceil(right[row] - 0.5));
      if (b > a) pixels.fill(color, row * W + a, row * W + b);
    }
  }
}

/**
 * Blend `color` into one pixel with weight w in [0, 1] (the pixel stays opaque).
 *
 * @param {Uint32Array} pixels
 * @param {number} i
 * @param {number} color  packed RGBA; its alpha scales w
 * @param {number} w
 */
function blend(pixels, i, color, w) {
  const a = w * ((color >>> 24) / 255);
  const p = pixels[i];
  const r = (p & 255) + ((color & 255) - (p & 255)) * a;
  const g = ((p >>> 8) & 255) + (((color >>> 8) & 255) - ((p >>> 8) & 255)) * a;
  const b = ((p >>> 16) & 255) + (((color >>> 16) & 255) - ((p >>> 16) & 255)) * a;
  pixels[i] = (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Anti-aliased 1-pixel line between device points, sampled at pixel centres along its major axis.
 *
 * @param {PixelBuffer} target
 * @param {number} x0
 * @param {number} y0
 * @param {number} x1
 * @param {number} y1
 * @param {number} color packed RGBA
 */
export function drawLine(target, x0, y0, x1, y1, color) {
  const { width: W, height: H, pixels } = target;
  const steep = Math.abs(y1 - y0) > Math.abs(x1 - x0);
  let a0 = steep ? y0 : x0,
    b0 = steep ? x0 : y0,
    a1 = steep ? y1 : x1,
    b1 = steep ? x1 : y1;
  if (a0 > a1) {
    [a0, a1] = [a1, a0];
    [b0, b1] = [b1, b0];
  }
  const major = steep ? H : W;
  const minor = steep ? W : H;
  const grad = a1 === a0 ? 0 : (b1 - b0) / (a1 - a0);
  const start = Math.max(0, Math.ceil(a0 - 0.5));
  const end = Math.min(major, Math.ceil(a1 - 0.5));
  for (let m = start; m < end; m++) {
    const b = b0 + (m + 0.5 - a0) * grad - 0.5;
    const lo = Math.floor(b);
    const frac = b - lo;
    if (lo >= 0 && lo < minor) blend(pixels, steep ? m * W + lo : lo * W + m, color, 1 - frac);
    if (lo + 1 >= 0 && lo + 1 < minor) blend(pixels, steep ? m * W + lo + 1 : (lo + 1) * W + m, color, frac);
  }
}

/**
 * Draw each edge between two regions once (the copy walked in increasing (u, v) order).
 * Edges on the domain boundary (layer -1) are skipped: the domain outline is drawn apart.
 *
 * @param {PixelBuffer} target
 * @param {Float32Array} vertices
 * @param {Int32Array} offsets
 * @param {Int16Array} edgeLayer  (N) layer of each edge
 * @param {(layer: number) => number} colorOf  packed RGBA of edges made by a layer
 * @param {Transform} t
 */
export function drawEdges(target, vertices, offsets, edgeLayer, colorOf, t) {
  const { sx, sy, ox, oy } = t;
  const { width: W, height: H } = target;
  const R = offsets.length - 1;
  for (let r = 0; r < R; r++) {
    const k0 = offsets[r];
    const k1 = offsets[r + 1];
    for (let k = k0; k < k1; k++) {
      const layer = edgeLayer[k];
      if (layer < 0) continue;
      const next = k + 1 === k1 ? k0 : k + 1;
      const ua = vertices[2 * k],
        va = vertices[2 * k + 1];
      const ub = vertices[2 * next],
        vb = vertices[2 * next + 1];
      if (ua > ub || (ua === ub && va >= vb)) continue;
      const xa = sx * ua + ox,
        ya = sy * va + oy,
        xb = sx * ub + ox,
        yb = sy * vb + oy;
      if ((xa < -1 && xb < -1) || (xa > W + 1 && xb > W + 1) || (ya < -1 && yb < -1) || (ya > H + 1 && yb > H + 1))
        continue;
      drawLine(target, xa, ya, xb, yb, colorOf(layer));
    }
  }
}
