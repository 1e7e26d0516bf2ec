// The tooltip's state: what is under the cursor (a data point, else a region), pinned by a
// click, and the requests a pinned tip makes to Python (input-space slope of a region; the
// picture of a data point and "use it as an anchor").

import { typed } from "./decode.js";
import { dataAt, labelOf } from "./data.js";
import { rgbaCanvas } from "./thumbnails.js";
import { regionInfo, renderTooltip, renderSlope, renderSampleTip, placeTooltip } from "./tooltip.js";

/** @typedef {import("./decode.js").Geometry} Geometry */
/** @typedef {import("./data.js").DataSet} DataSet */
/** @typedef {import("./camera.js").Camera} Camera */

/** Pointer closer than this (CSS px) to a data point hovers it. */
const DATA_RADIUS = 6;

/**
 * @typedef {object} TipScene  what the tips read from the widget
 * @property {Camera} camera
 * @property {() => Geometry | null} geometry
 * @property {() => DataSet | null} data        the data points on screen, null when none are drawn
 * @property {(u: number, v: number) => number} regionAt  region at a plane point, or -1
 * @property {() => string[]} anchorLabels
 * @property {() => void} changed               the highlighted region or point changed: repaint the overlay
 */

/** @typedef {{ kind: "region", u: number, v: number, x: number, y: number, region: number, pinned: boolean }} RegionTip */
/**
 * @typedef {{ kind: "sample", index: number, row: number, x: number, y: number, pinned: boolean,
 *   image: HTMLCanvasElement | null, error: string | null, busy: boolean }} SampleTip
 */
/** @typedef {RegionTip | SampleTip} Tip */

export class Tips {
  /**
   * @param {HTMLElement} el  the tooltip element
   * @param {import("./channel.js").Channel} channel  requests to Python
   * @param {AbortSignal} signal  aborts the requests when the view goes away
   * @param {TipScene} scene
   */
  constructor(el, channel, signal, scene) {
    this.el = el;
    this.channel = channel;
    this.signal = signal;
    this.scene = scene;
    /** @type {Tip | null} */
    this.tip = null;
  }

  /** @returns {number} region to outline, -1 if none */
  get region() {
    return this.tip?.kind === "region" ? this.tip.region : -1;
  }

  /** @returns {number} data point to ring, -1 if none */
  get sample() {
    return this.tip?.kind === "sample" ? this.tip.index : -1;
  }

  /**
   * The pointer moved with no button down; `blocked` when it is over an anchor handle.
   *
   * @param {number} x
   * @param {number} y
   * @param {boolean} blocked
   */
  hover(x, y, blocked) {
    if (this.tip?.pinned) return;
    const before = this.#target();
    this.tip = blocked ? null : this.#at(x, y);
    this.#show(null);
    if (this.#target() !== before) this.scene.changed();
  }

  /**
   * A click pins what is under the cursor, or unpins it when it was pinned already.
   *
   * @param {number} x
   * @param {number} y
   */
  click(x, y) {
    const tip = this.#at(x, y);
    const again = tip && this.tip?.pinned && this.#target() === targetOf(tip);
    this.tip = tip && !again ? { ...tip, pinned: true } : null;
    this.#show(null);
    if (this.tip?.kind === "region") this.#requestSlope();
    if (this.tip?.kind === "sample") this.#requestImage(this.tip);
    this.scene.changed();
  }

  /** The pointer left the canvas: drop the tip unless it is pinned. */
  leave() {
    if (this.tip?.pinned) return;
    this.close();
  }

  /** Drop the tip, pinned or not. */
  close() {
    this.tip = null;
    this.el.style.display = "none";
  }

  /** The geometry or the data changed: find the tip's region or point again. */
  refresh() {
    const tip = this.tip;
    if (tip?.kind === "region") {
      tip.region = this.scene.regionAt(tip.u, tip.v);
      this.#locate(tip);
      const geometry = this.scene.geometry();
      this.#show(tip.pinned && geometry && !geometry.partial ? () => this.#requestSlope() : null);
    } else if (tip?.kind === "sample") {
      const data = this.scene.data();
      tip.index = data ? data.row.indexOf(tip.row) : -1;
      if (tip.index < 0) return this.close();
      this.#locate(tip);
      this.#show(null);
    }
  }

  /** The camera zoomed: keep the tip beside its region's point or its data point. */
  place() {
    if (!this.tip || this.el.style.display === "none") return;
    this.#locate(this.tip);
    placeTooltip(this.el, this.tip.x, this.tip.y, this.scene.camera.width, this.scene.camera.height);
  }

  /** @returns {string} what the tip is about, to tell when the highlight changes */
  #target() {
    return this.tip ? targetOf(this.tip) : "";
  }

  /**
   * The hover tip for a CSS point: the data point drawn there, else the region.
   *
   * @param {number} x
   * @param {number} y
   * @returns {Tip | null}
   */
  #at(x, y) {
    const { camera } = this.scene;
    const data = this.scene.data();
    const index = data ? dataAt(data, camera, x, y, DATA_RADIUS) : -1;
    if (data && index >= 0) {
      /** @type {SampleTip} */
      const tip = {
        kind: "sample",
        index,
        row: data.row[index],
        x,
        y,
        pinned: false,
        image: null,
        error: null,
        busy: false,
      };
      this.#locate(tip);
      return tip;
    }
    const [u, v] = camera.toPlane(x, y);
    const region = this.scene.regionAt(u, v);
    return region >= 0 ? { kind: "region", u, v, x, y, region, pinned: false } : null;
  }

  /**
   * Screen position of the tip's plane point (a sample tip sits at its data point).
   *
   * @param {Tip} tip
   */
  #locate(tip) {
    const { camera } = this.scene;
    const data = this.scene.data();
    if (tip.kind === "region") [tip.x, tip.y] = camera.toScreen(tip.u, tip.v);
    else if (data) [tip.x, tip.y] = camera.toScreen(data.uv[2 * tip.index], data.uv[2 * tip.index + 1]);
  }

  /** @param {(() => void) | null} onSlope  offer the input-space slope with a button */
  #show(onSlope) {
    const tip = this.tip;
    const geometry = this.scene.geometry();
    const data = this.scene.data();
    if (tip?.kind === "region" && geometry && tip.region >= 0) {
      const info = regionInfo(geometry, tip.region, tip.u, tip.v);
      renderTooltip(this.el, info, { pinned: tip.pinned, levels: geometry.levels, onSlope });
    } else if (tip?.kind === "sample" && data) {
      const info = {
        row: tip.row,
        label: labelOf(data, tip.index),
        distance: data.distance[tip.index],
        value: data.value ? { title: data.valueLegend?.title ?? "value", value: data.value[tip.index] } : null,
      };
      const { image, error, busy } = tip;
      const onUse = (/** @type {number} */ anchor) => this.#useAsAnchor(tip, anchor);
      renderSampleTip(
        this.el,
        info,
        tip.pinned ? { anchorLabels: this.scene.anchorLabels(), image, error, busy, onUse } : null,
      );
    } else {
      this.el.style.display = "none";
      return;
    }
    placeTooltip(this.el, tip.x, tip.y, this.scene.camera.width, this.scene.camera.height);
  }

  #requestSlope() {
    const tip = this.tip;
    const geometry = this.scene.geometry();
    if (tip?.kind !== "region" || !geometry || geometry.partial || tip.region < 0) return;
    const { region } = tip;
    const seq = geometry.seq;
    this.channel
      .request("input_slope", { region, seq }, { signal: this.signal })
      .then(([res, buffers]) => {
        const now = this.scene.geometry();
        if (this.tip === tip && tip.pinned && tip.region === region && now && now.seq === seq) {
          renderSlope(this.el, /** @type {any} */ (res), buffers);
          placeTooltip(this.el, tip.x, tip.y, this.scene.camera.width, this.scene.camera.height);
        }
      })
      .catch((err) => {
        if (!this.signal.aborted) renderSlope(this.el, { region, shape: [0], kind: "vector", error: String(err) }, []);
      });
  }

  /**
   * Ask Python for the picture of a pinned data point (image inputs); without one, the menu has none.
   *
   * @param {SampleTip} tip
   */
  #requestImage(tip) {
    this.channel
      .request("data_image", { row: tip.row }, { signal: this.signal })
      .then(([res, buffers]) => {
        const shape = /** @type {{ shape: [number, number] | null }} */ (res).shape;
        if (this.tip !== tip || !shape || !buffers[0]) return;
        tip.image = rgbaCanvas(typed(buffers[0], Uint8Array), shape[1], shape[0]);
        this.#show(null);
      })
      .catch(() => {
        // no kernel (a saved page) or no picture: the menu works without it
      });
  }

  /**
   * "use as <anchor>": Python replaces the anchor by the point and sends the new slice.
   *
   * @param {SampleTip} tip
   * @param {number} anchor
   */
  #useAsAnchor(tip, anchor) {
    /** @param {string | null} error */
    const done = (error) => {
      if (this.tip !== tip) return;
      if (error === null) {
        this.close();
        this.scene.changed();
        return;
      }
      Object.assign(tip, { busy: false, error });
      this.#show(null);
    };
    Object.assign(tip, { busy: true, error: null });
    this.#show(null);
    this.channel
      .request("use_as_anchor", { row: tip.row, anchor }, { signal: this.signal })
      .then(([res]) => {
        const { ok, error } = /** @type {{ ok?: boolean, error?: string }} */ (res ?? {});
        done(ok ? null : (error ?? "the kernel did not use the point"));
      })
      .catch((err) => {
        if (!this.signal.aborted) done(String(err));
      });
  }
}

/**
 * @param {Tip} tip
 * @returns {string}
 */
function targetOf(tip) {
  return tip.kind === "region" ? `region ${tip.region}` : `sample ${tip.row}`;
}
