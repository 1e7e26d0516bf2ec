// Painting the two canvases, coalesced into animation frames: any number of requests between
// two frames paint once. The exact picture is redrawn when something it shows changed; while a
// slow picture (over LIVE_REDRAW_MS) is panned or zoomed, a moved copy of the last one stands in
// and the exact picture follows once the camera rests. The overlay is repainted every frame.

import { SceneRenderer, drawOverlay } from "./draw.js";
import { debounce } from "./timing.js";

/** Above this exact-drawing time (ms), pan and zoom move the last picture and redraw exactly when idle. */
const LIVE_REDRAW_MS = 24;
/** ...that long (ms) after the last camera move. */
const SETTLE_EXACT_MS = 120;

/** @typedef {"exact" | "preview" | "overlay"} Repaint  what changed: the picture, the camera, the overlay only */

export class Painter {
  /**
   * @param {import("./layout.js").Layout} layout
   * @param {import("./camera.js").Camera} camera
   * @param {import("./view_state.js").ViewState} state  geometry, style, theme and dpr are read from it
   * @param {() => import("./draw.js").OverlayState} overlay  what the overlay shows now
   */
  constructor(layout, camera, state, overlay) {
    this.layout = layout;
    this.camera = camera;
    this.state = state;
    this.overlay = overlay;
    this.renderer = new SceneRenderer(layout.base);
    this.overlayCtx = /** @type {CanvasRenderingContext2D} */ (layout.overlay.getContext("2d"));
    /** requested animation frame, 0 if none */
    this.frame = 0;
    /** the next frame redraws the exact picture */
    this.wantExact = false;
    /** the next frame moves the last picture to the camera (or redraws it exactly when there is none) */
    this.wantPreview = false;
    this.settleExact = debounce(() => this.schedule("exact"), SETTLE_EXACT_MS);
  }

  /**
   * Size both canvases.
   *
   * @param {number} width   CSS pixels
   * @param {number} height  CSS pixels
   * @param {number} dpr     device pixels per CSS pixel
   */
  resize(width, height, dpr) {
    const overlay = this.layout.overlay;
    this.renderer.resize(width, height, dpr);
    overlay.width = Math.round(width * dpr);
    overlay.height = Math.round(height * dpr);
    overlay.style.width = `${width}px`;
    overlay.style.height = `${height}px`;
  }

  /** @param {Repaint} what */
  schedule(what) {
    if (what === "exact") this.wantExact = true;
    if (what === "preview") this.wantPreview = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.paint());
  }

  /** The camera moved: redraw exactly if that is fast, else move the last picture until the camera rests. */
  cameraMoved() {
    if (this.renderer.lastMs <= LIVE_REDRAW_MS) this.schedule("exact");
    else {
      this.schedule("preview");
      this.settleExact.call();
    }
  }

  /** Drop the pending frame and redraw (the view goes away). */
  cancel() {
    this.settleExact.cancel();
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  /** @private */
  paint() {
    const { renderer, camera, state, layout } = this;
    this.frame = 0;
    if (this.wantExact || (this.wantPreview && !renderer.preview(camera, state.theme))) {
      renderer.render(state.geometry, state.style, camera, state.theme, state.visible);
      // for automation: which computation is on screen, and how long drawing it took
      layout.root.dataset.drawnSeq = String(state.geometry ? state.geometry.seq : -1);
      layout.root.dataset.drawMs = renderer.lastMs.toFixed(1);
    }
    layout.root.dataset.view = JSON.stringify(camera.visibleRect()); // for automation: the plane window shown
    this.wantExact = this.wantPreview = false;
    this.overlayCtx.setTransform(state.dpr, 0, 0, state.dpr, 0, 0);
    drawOverlay(this.overlayCtx, camera.width, camera.height, this.overlay(), camera, state.theme);
  }
}
