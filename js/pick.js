// Hit-testing: which region contains a plane point, without a round trip to Python.

/**
 * A uniform grid over the partition's bounding box; each cell lists the regions whose
 * bounding boxes touch it (CSR layout), so a query tests a handful of convex polygons.
 */
export class RegionIndex {
  /**
   * @param {Float32Array} vertices  (N*2) relative to the geometry's shift
   * @param {Int32Array} offsets     (R+1)
   */
  constructor(vertices, offsets) {
    this.vertices = vertices;
    this.offsets = offsets;
    const R = offsets.length - 1;
    const boxes = new Float64Array(4 * R);
    let u0 = Infinity,
      v0 = Infinity,
      u1 = -Infinity,
      v1 = -Infinity;
    for (let r = 0; r < R; r++) {
      let a = Infinity,
        b = Infinity,
        c = -Infinity,
        d = -Infinity;
      for (let k = offsets[r]; k < offsets[r + 1]; k++) {
        const u = vertices[2 * k],
          v = vertices[2 * k + 1];
        if (u < a) a = u;
        if (u > c) c = u;
        if (v < b) b = v;
        if (v > d) d = v;
      }
      boxes.set([a, b, c, d], 4 * r);
      if (a < u0) u0 = a;
      if (b < v0) v0 = b;
      if (c > u1) u1 = c;
      if (d > v1) v1 = d;
    }
    const n = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(R))));
    this.n = n;
    this.u0 = u0;
    this.v0 = v0;
    this.du = (u1 - u0) / n || 1;
    this.dv = (v1 - v0) / n || 1;
    const counts = new Int32Array(n * n + 1);
    this.#visit(boxes, R, (cell) => {
      counts[cell + 1]++;
    });
    for (let i = 0; i < n * n; i++) counts[i + 1] += counts[i];
    this.start = counts;
    this.items = new Int32Array(counts[n * n]);
    const fill = counts.slice(0, n * n);
    this.#visit(boxes, R, (cell, r) => {
      this.items[fill[cell]++] = r;
    });
  }

  /**
   * @param {Float64Array} boxes
   * @param {number} R
   * @param {(cell: number, r: number) => void} fn
   */
  #visit(boxes, R, fn) {
    for (let r = 0; r < R; r++) {
      const i0 = this.#col(boxes[4 * r]),
        i1 = this.#col(boxes[4 * r + 2]);
      const j0 = this.#row(boxes[4 * r + 1]),
        j1 = this.#row(boxes[4 * r + 3]);
      for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) fn(j * this.n + i, r);
    }
  }

  /** @param {number} u */
  #col(u) {
    return Math.min(this.n - 1, Math.max(0, Math.floor((u - this.u0) / this.du)));
  }

  /** @param {number} v */
  #row(v) {
    return Math.min(this.n - 1, Math.max(0, Math.floor((v - this.v0) / this.dv)));
  }

  /**
   * @param {number} u  relative to the geometry's shift
   * @param {number} v
   * @returns {number} region index, or -1 outside every region
   */
  regionAt(u, v) {
    if (!(u >= this.u0 && v >= this.v0 && u <= this.u0 + this.n * this.du && v <= this.v0 + this.n * this.dv))
      return -1;
    const cell = this.#row(v) * this.n + this.#col(u);
    for (let i = this.start[cell]; i < this.start[cell + 1]; i++) {
      const r = this.items[i];
      if (containsPoint(this.vertices, this.offsets[r], this.offsets[r + 1], u, v)) return r;
    }
    return -1;
  }
}

/**
 * Whether a CCW convex polygon (closed edges included) contains a point.
 *
 * @param {Float32Array} vertices
 * @param {number} k0  first vertex
 * @param {number} k1  one past the last vertex
 * @param {number} u
 * @param {number} v
 * @returns {boolean}
 */
export function containsPoint(vertices, k0, k1, u, v) {
  if (k1 - k0 < 3) return false;
  for (let k = k0; k < k1; k++) {
    const next = k + 1 === k1 ? k0 : k + 1;
    const ua = vertices[2 * k],
      va = vertices[2 * k + 1];
    const cross = (vertices[2 * next] - ua) * (v - va) - (vertices[2 * next + 1] - va) * (u - ua);
    if (cross < 0) return false;
  }
  return true;
}

/**
 * Index of the anchor handle within `radius` CSS pixels of (x, y), nearest first; -1 if none.
 *
 * @param {Array<[number, number]>} handles  CSS pixel positions
 * @param {number} x
 * @param {number} y
 * @param {number} radius
 * @returns {number}
 */
export function handleAt(handles, x, y, radius) {
  let best = -1;
  let bestD = radius * radius;
  handles.forEach(([hx, hy], i) => {
    const d = (hx - x) ** 2 + (hy - y) ** 2;
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}
