// Decoding of the binary scene the Python side sends (see splinecam_widget/encoding.py).

/**
 * @typedef {object} Geometry
 * @property {number} seq          computation id; a style applies only to the geometry with the same seq
 * @property {number} frame        plane frame id; it changes when the anchors are set from Python
 * @property {boolean} partial     true while the partition is still being computed (after `layer`)
 * @property {number} layer        last activation layer included (0-based)
 * @property {number} nLayers      number of activation layers of the model
 * @property {number} nRegions     R
 * @property {number} nOutputs     K
 * @property {[number, number]} shift  plane point that vertex and boundary coordinates are relative to
 * @property {Float32Array} vertices   (N*2) polygon vertices, relative to `shift`
 * @property {Int32Array} offsets      (R+1) region r owns vertices offsets[r] .. offsets[r+1]-1 (CCW, unclosed)
 * @property {Float32Array} areas      (R) region areas in plane units
 * @property {Int16Array} edgeLayer  (N) activation layer that made the edge from each vertex to the next; -1 = domain
 * @property {Float32Array | null} affine   (R*K*3) output k on region r: a*(u-shift[0]) + b*(v-shift[1]) + c; null while partial
 * @property {Float32Array} boundary   (S*4) decision-boundary segments u0 v0 u1 v1, relative to `shift`
 * @property {Array<[number, number]>} domain  the polygon that was partitioned (absolute plane coordinates)
 * @property {number[]} levels         output levels of the boundary (single-output models)
 */

/**
 * @typedef {object} LegendItem
 * @property {string} label
 * @property {string} color  CSS colour
 */

/**
 * @typedef {object} Legend
 * @property {"categorical" | "colorbar"} kind
 * @property {string} title
 * @property {LegendItem[]} [items]   categorical entries
 * @property {string[]} [colors]      colour-bar stops, low to high
 * @property {number} [min]           colour-bar value at the first stop
 * @property {number} [max]           colour-bar value at the last stop
 * @property {boolean} [dots]         round swatches (data points; set by the front end)
 */

/**
 * @typedef {object} Style
 * @property {number} seq                 geometry seq these colours belong to
 * @property {string} mode                colour mode name
 * @property {Uint32Array} fill           (R) region colours, RGBA bytes packed as in ImageData
 * @property {Uint32Array | null} edgePalette  colour of edges made by layer l at index l+1; null = theme colour
 * @property {Legend | null} legend
 * @property {ClassCells | null} cells    class mode: boundary regions cut into exact class pieces, painted over them
 */

/**
 * @typedef {object} ClassCells
 * @property {Float32Array} vertices  (M*2) relative to the geometry's `shift`
 * @property {Int32Array} offsets     (C+1)
 * @property {Uint32Array} fill       (C) packed RGBA
 */

/**
 * A typed array over the bytes of a DataView, copying only when the view is not aligned.
 * Python sends empty arrays as null: they decode to empty arrays.
 *
 * @template {Float64Array | Float32Array | Int32Array | Int16Array | Uint32Array | Uint8Array} T
 * @param {DataView | ArrayBuffer | Uint8Array | null} data
 * @param {{ new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T, BYTES_PER_ELEMENT: number }} Type
 * @returns {T}
 */
export function typed(data, Type) {
  if (data === null) return new Type(new ArrayBuffer(0), 0, 0);
  const view = data instanceof ArrayBuffer ? new DataView(data) : data;
  const size = Type.BYTES_PER_ELEMENT;
  if (!view || typeof view.byteLength !== "number") {
    throw new Error(
      `expected a binary buffer, got ${Object.prototype.toString.call(data)} ${JSON.stringify(data)?.slice(0, 80)}`,
    );
  }
  if (view.byteLength % size !== 0) {
    throw new Error(`buffer of ${view.byteLength} bytes is not a whole number of ${size}-byte items`);
  }
  if (view.byteOffset % size === 0) {
    return new Type(view.buffer, view.byteOffset, view.byteLength / size);
  }
  const copy = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return new Type(copy, 0, view.byteLength / size);
}

/**
 * @param {any} raw  the `geometry` trait value
 * @returns {Geometry | null}
 */
export function decodeGeometry(raw) {
  if (!raw || raw.offsets == null) return null;
  const nRegions = raw.n_regions;
  const nOutputs = raw.n_outputs;
  const offsets = typed(raw.offsets, Int32Array);
  const vertices = typed(raw.vertices, Float32Array);
  if (offsets.length !== nRegions + 1 || offsets[nRegions] * 2 !== vertices.length) {
    throw new Error(
      `geometry buffers disagree: ${nRegions} regions, ${offsets.length} offsets, ${vertices.length / 2} vertices`,
    );
  }
  const affine = raw.partial ? null : typed(raw.affine, Float32Array);
  if (affine && affine.length !== nRegions * nOutputs * 3) {
    throw new Error(`affine buffer has ${affine.length} numbers, expected ${nRegions * nOutputs * 3}`);
  }
  return {
    seq: raw.seq,
    frame: raw.frame,
    partial: Boolean(raw.partial),
    layer: raw.layer,
    nLayers: raw.n_layers,
    nRegions,
    nOutputs,
    shift: raw.shift,
    vertices,
    offsets,
    areas: typed(raw.areas, Float32Array),
    edgeLayer: typed(raw.edge_layer, Int16Array),
    affine,
    boundary: typed(raw.boundary, Float32Array),
    domain: raw.domain,
    levels: raw.levels ?? [],
  };
}

/**
 * @param {any} raw  the `coloring` trait value
 * @returns {Style | null}
 */
export function decodeStyle(raw) {
  if (!raw || raw.seq == null) return null;
  return {
    seq: raw.seq,
    mode: raw.mode,
    fill: typed(raw.fill, Uint32Array),
    edgePalette: raw.edge_palette == null ? null : typed(raw.edge_palette, Uint32Array),
    legend: raw.legend ?? null,
    cells: raw.cells
      ? {
          vertices: typed(raw.cells.vertices, Float32Array),
          offsets: typed(raw.cells.offsets, Int32Array),
          fill: typed(raw.cells.fill, Uint32Array),
        }
      : null,
  };
}

/**
 * Values of every output at a plane point on region r.
 *
 * @param {Geometry} geometry
 * @param {number} r
 * @param {number} u  absolute plane coordinate
 * @param {number} v  absolute plane coordinate
 * @returns {Float64Array | null}  (K) or null when the partition is partial
 */
export function outputsAt(geometry, r, u, v) {
  const { affine, nOutputs, shift } = geometry;
  if (!affine) return null;
  const du = u - shift[0];
  const dv = v - shift[1];
  const out = new Float64Array(nOutputs);
  for (let k = 0; k < nOutputs; k++) {
    const i = (r * nOutputs + k) * 3;
    out[k] = affine[i] * du + affine[i + 1] * dv + affine[i + 2];
  }
  return out;
}
