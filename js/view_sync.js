// The camera's window between the view and Python (the `view` trait).
//
// The visible rectangle goes to Python VIEW_SETTLE_MS (150 ms) after panning or zooming stops,
// not on every frame of the gesture. Every `view` the model holds comes back to this view as a
// change, its own included: a `view` equal to what this view sent is that echo, and must not
// refit the camera (the user may have moved on since). Any other `view` is Python's, and the
// camera shows it. `view = null` means: fit the camera to the domain (double click, or Python).

import { debounce } from "./timing.js";

/** The visible rectangle goes to Python this long after panning or zooming stops (ms). */
const VIEW_SETTLE_MS = 150;

/**
 * @typedef {object} ViewTarget  what the view does with a `view` from Python
 * @property {() => void} fitDomain  `view` is null: fit the camera to the domain and redraw
 * @property {() => void} redraw     the camera was fitted to Python's `view`: redraw
 */

export class ViewSync {
  /**
   * @param {import("@anywidget/types").AnyModel<import("./widget.js").Model>} model
   * @param {import("./camera.js").Camera} camera
   * @param {ViewTarget} target
   */
  constructor(model, camera, target) {
    this.model = model;
    this.camera = camera;
    this.target = target;
    /** @type {string | null} JSON of the last view this view sent, to recognise its echo */
    this.sent = null;
    this.settled = debounce(() => this.send(), VIEW_SETTLE_MS);
  }

  /** The camera moved (pan, zoom, or a linked view): send the window once it settles. */
  moved() {
    this.settled.call();
  }

  /** `view` changed: fit the domain (null), show Python's window, or ignore this view's echo. */
  received() {
    const view = this.model.get("view");
    if (view === null) {
      this.sent = null;
      this.target.fitDomain();
    } else if (JSON.stringify(view) !== this.sent) {
      this.camera.fit(view);
      this.target.redraw();
    }
  }

  /** The user asked for the whole domain: `view = null`, in Python and here. */
  reset() {
    this.model.set("view", null);
    this.model.save_changes();
    this.received();
  }

  /** Drop a pending send (the view goes away). */
  cancel() {
    this.settled.cancel();
  }

  /** @private */
  send() {
    const view = this.camera.visibleRect();
    this.sent = JSON.stringify(view);
    this.model.set("view", view);
    this.model.save_changes();
  }
}
