// Camera: the map between plane coordinates (u right, v up) and CSS pixels of the canvas.

/** @typedef {[number, number, number, number]} Rect  u0, v0, u1, v1 with u0 < u1 and v0 < v1 */

export class Camera {
  /**
   * @param {number} width   canvas width in CSS pixels
   * @param {number} height  canvas height in CSS pixels
   */
  constructor(width, height) {
    this.width = width;
    this.height = height;
    /** plane point at the canvas centre */
    this.cu = 0;
    this.cv = 0;
    /** CSS pixels per plane unit */
    this.scale = 1;
  }

  /** @returns {Camera} an independent copy */
  clone() {
    const c = new Camera(this.width, this.height);
    c.cu = this.cu;
    c.cv = this.cv;
    c.scale = this.scale;
    return c;
  }

  /**
   * @param {number} width
   * @param {number} height
   */
  resize(width, height) {
    this.width = width;
    this.height = height;
  }

  /**
   * @param {number} u
   * @param {number} v
   * @returns {[number, number]} CSS pixel position
   */
  toScreen(u, v) {
    return [(u - this.cu) * this.scale + this.width / 2, (this.cv - v) * this.scale + this.height / 2];
  }

  /**
   * @param {number} x  CSS pixels from the left edge
   * @param {number} y  CSS pixels from the top edge
   * @returns {[number, number]} plane point
   */
  toPlane(x, y) {
    return [this.cu + (x - this.width / 2) / this.scale, this.cv - (y - this.height / 2) / this.scale];
  }

  /**
   * Show the whole rectangle, centred, with a margin in CSS pixels.
   *
   * @param {Rect} rect
   * @param {number} [margin]
   */
  fit(rect, margin = 0) {
    const [u0, v0, u1, v1] = rect;
    const w = Math.max(this.width - 2 * margin, 1);
    const h = Math.max(this.height - 2 * margin, 1);
    const du = Math.max(u1 - u0, Number.MIN_VALUE);
    const dv = Math.max(v1 - v0, Number.MIN_VALUE);
    this.cu = (u0 + u1) / 2;
    this.cv = (v0 + v1) / 2;
    this.scale = Math.min(w / du, h / dv);
  }

  /**
   * Centre on a plane point at a zoom.
   *
   * @param {number} cu
   * @param {number} cv
   * @param {number} scale  CSS pixels per plane unit
   */
  lookAt(cu, cv, scale) {
    this.cu = cu;
    this.cv = cv;
    this.scale = scale;
  }

  /**
   * Move the picture by a drag of (dx, dy) CSS pixels.
   *
   * @param {number} dx
   * @param {number} dy
   */
  panBy(dx, dy) {
    this.cu -= dx / this.scale;
    this.cv += dy / this.scale;
  }

  /**
   * Zoom by `factor` keeping the plane point under (x, y) fixed.
   *
   * @param {number} x
   * @param {number} y
   * @param {number} factor  > 1 zooms in
   */
  zoomAt(x, y, factor) {
    const [u, v] = this.toPlane(x, y);
    this.scale *= factor;
    this.cu = u - (x - this.width / 2) / this.scale;
    this.cv = v + (y - this.height / 2) / this.scale;
  }

  /** @returns {Rect} the plane rectangle the canvas shows */
  visibleRect() {
    const [u0, v1] = this.toPlane(0, 0);
    const [u1, v0] = this.toPlane(this.width, this.height);
    return [u0, v0, u1, v1];
  }

  /**
   * Affine map from plane coordinates relative to `shift` to device pixels: x = sx*du + ox, y = sy*dv + oy.
   *
   * @param {[number, number]} shift
   * @param {number} dpr  device pixels per CSS pixel
   * @returns {{ sx: number, sy: number, ox: number, oy: number }}
   */
  deviceTransform(shift, dpr) {
    const s = this.scale * dpr;
    return {
      sx: s,
      sy: -s,
      ox: ((shift[0] - this.cu) * this.scale + this.width / 2) * dpr,
      oy: ((this.cv - shift[1]) * this.scale + this.height / 2) * dpr,
    };
  }
}

/**
 * Bounding rectangle of plane points.
 *
 * @param {ArrayLike<[number, number]>} points
 * @returns {Rect}
 */
export function boundsOf(points) {
  let u0 = Infinity,
    v0 = Infinity,
    u1 = -Infinity,
    v1 = -Infinity;
  for (let i = 0; i < points.length; i++) {
    const [u, v] = points[i];
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  return [u0, v0, u1, v1];
}
