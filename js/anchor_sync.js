// Anchor positions between the view and Python (the `anchors_2d` trait), with back-pressure.
//
// While the user drags an anchor, its position goes to Python at most every ANCHOR_SYNC_MS
// (30 ms). Every position Python receives starts a computation of the new plane, and a newer
// position cancels the one running. So while a sent position has not come back drawn (a new
// geometry, or an error), the next one goes only after ANCHOR_AWAIT_MS (500 ms): each update
// then gets drawn, instead of cancelling the previous computation, and a slow network still
// shows the plane under the drag every half second. When the geometry comes back the latest
// position goes at once (an error only ends the wait; the next move sends). On release the
// final position is always sent, unless Python has it already.
//
// The other way, positions set in the kernel replace the drawn ones, except during a drag:
// there the user's hand wins, and the release sends its position back.

import { throttle } from "./timing.js";
import { copyAnchors } from "./view_state.js";

/** Anchor positions go to Python at most this often while dragging (ms)... */
const ANCHOR_SYNC_MS = 30;
/** ...and, while a sent position has not come back drawn, only after this long (ms). */
const ANCHOR_AWAIT_MS = 500;

/**
 * @typedef {object} AnchorState  the part of the view state this class writes (see view_state.js)
 * @property {Array<[number, number]>} anchors  positions on the plane as drawn
 * @property {number} dragging  anchor being dragged, -1 if none
 */

export class AnchorSync {
  /**
   * @param {import("@anywidget/types").AnyModel<import("./widget.js").Model>} model
   * @param {AnchorState} state
   */
  constructor(model, state) {
    this.model = model;
    this.state = state;
    /** when the last position was sent, until a geometry (or an error) comes back; -Infinity: not waiting */
    this.awaitingSince = -Infinity;
    this.throttled = throttle(() => this.send(), ANCHOR_SYNC_MS);
  }

  /**
   * The user dragged anchor `i` to a plane point.
   *
   * @param {number} i
   * @param {[number, number]} uv
   */
  move(i, uv) {
    this.state.dragging = i;
    this.state.anchors[i] = uv;
    if (performance.now() - this.awaitingSince > ANCHOR_AWAIT_MS) this.throttled.call();
  }

  /** The drag ended: send the final position now. */
  release() {
    this.throttled.cancel();
    this.send();
    this.state.dragging = -1;
  }

  /** A geometry came back: stop waiting, and send the position the drag has reached. */
  drawn() {
    this.awaitingSince = -Infinity;
    if (this.state.dragging >= 0) this.throttled.call();
  }

  /** An error came back (or was cleared): stop waiting; the next move sends. */
  failed() {
    this.awaitingSince = -Infinity;
  }

  /**
   * `anchors_2d` changed: take the trait's positions, unless a drag is on.
   *
   * @returns {boolean} whether the drawn positions changed
   */
  received() {
    if (this.state.dragging >= 0) return false;
    this.state.anchors = copyAnchors(this.model.get("anchors_2d"));
    return true;
  }

  /** Drop a pending send (the view goes away). */
  cancel() {
    this.throttled.cancel();
  }

  /** @private */
  send() {
    const anchors = this.state.anchors;
    const sent = this.model.get("anchors_2d");
    if (sent.every(([u, v], i) => u === anchors[i][0] && v === anchors[i][1])) return;
    this.model.set("anchors_2d", copyAnchors(anchors));
    this.model.save_changes();
    this.awaitingSince = performance.now();
  }
}
