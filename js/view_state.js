// Everything one view of the widget remembers between events, in one object. The traits are
// the model's; this is what the view decoded from them and what the user is doing with it.
// The timing machinery keeps its own small state next to its rule: the frame request in
// paint.js, the drag back-pressure in anchor_sync.js, the last sent view in view_sync.js.

import { readTheme } from "./theme.js";

/**
 * @typedef {object} ViewState
 * @property {import("./decode.js").Geometry | null} geometry  the partition on screen, from the `geometry` trait
 * @property {import("./decode.js").Style | null} style   its colours, from `coloring`; null while they
 *     belong to another computation (another seq or region count) or could not be read
 * @property {import("./pick.js").RegionIndex | null} index  hit test of `geometry`, built on the first hover
 * @property {import("./data.js").DataSet | null} data     data points near the plane, from `data`
 * @property {HTMLCanvasElement[] | null} thumbnails  the anchors' pictures, from `anchor_images`
 * @property {number | null} fittedFrame  plane frame the camera was last fitted to; null: fit on the next geometry
 * @property {Array<[number, number]>} anchors  anchor positions on the plane as drawn: the trait's,
 *     or the user's during a drag (anchor_sync.js writes them)
 * @property {number} dragging     anchor being dragged, -1 if none (anchor_sync.js writes it)
 * @property {number} hoverAnchor  anchor handle under the pointer, -1 if none
 * @property {import("./theme.js").Theme} theme  colours read from the page's CSS variables
 * @property {number} dpr          device pixels per CSS pixel the canvases were sized for
 * @property {Map<string, string>} decodeErrors  why the front end could not read a trait, by trait
 * @property {Set<string>} visible  what is drawn over the regions: "edges", "boundary", "anchors", "data"
 */

/**
 * @param {Array<[number, number]>} anchors  the `anchors_2d` trait
 * @param {HTMLElement} root  the widget's root element (its CSS variables give the theme)
 * @param {string[] | undefined} visible  the `visible` trait
 * @returns {ViewState}
 */
export function createViewState(anchors, root, visible) {
  return {
    geometry: null,
    style: null,
    index: null,
    data: null,
    thumbnails: null,
    fittedFrame: null,
    anchors: copyAnchors(anchors),
    dragging: -1,
    hoverAnchor: -1,
    theme: readTheme(root),
    dpr: window.devicePixelRatio || 1,
    decodeErrors: new Map(),
    visible: new Set(visible ?? ["edges", "boundary", "anchors", "data"]),
  };
}

/**
 * @param {Array<[number, number]>} anchors
 * @returns {Array<[number, number]>} a copy the view may change without touching the trait's value
 */
export function copyAnchors(anchors) {
  return anchors.map(([u, v]) => [u, v]);
}

/**
 * @param {ViewState} state
 * @returns {import("./data.js").DataSet | null} the data points, when they belong to the plane on screen
 */
export function planeData({ data, geometry }) {
  return data && geometry && data.frame === geometry.frame && data.n > 0 ? data : null;
}

/**
 * @param {ViewState} state
 * @returns {import("./data.js").DataSet | null} the data points drawn: on the plane on screen, and not hidden
 */
export function shownData(state) {
  return state.visible.has("data") ? planeData(state) : null;
}
