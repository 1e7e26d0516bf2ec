// Pointer interaction on the canvas: drag anchors, pan, wheel and pinch zoom, hover, click.

/**
 * @typedef {object} InteractionHandlers
 * @property {(x: number, y: number) => number} anchorAt      handle under a CSS point, or -1
 * @property {(i: number) => void} onAnchorGrab               a drag of anchor i begins
 * @property {(i: number, x: number, y: number) => void} onAnchorMove  every pointer move while dragging anchor i
 * @property {(i: number) => void} onAnchorRelease             the drag of anchor i ended
 * @property {(dx: number, dy: number) => void} onPan         the background was dragged by (dx, dy) CSS pixels
 * @property {(x: number, y: number, factor: number) => void} onZoom  zoom about a CSS point (> 1 zooms in)
 * @property {() => void} onCameraEnd                          a pan, wheel step or pinch ended
 * @property {(x: number, y: number) => void} onHover         the pointer moved with no button down
 * @property {() => void} onLeave                              the pointer left the canvas
 * @property {(x: number, y: number) => void} onClick          press and release without moving
 * @property {() => void} onReset                              double click: show the whole domain
 */

const CLICK_SLOP = 4;

/**
 * @param {HTMLElement} target  element that receives the pointer events
 * @param {InteractionHandlers} h
 * @returns {() => void} removes every listener
 */
export function attachInteraction(target, h) {
  /** @type {Map<number, { x: number, y: number }>} */
  const pointers = new Map();
  /** @type {{ kind: "anchor" | "pan" | "pinch" | null, anchor: number, x0: number, y0: number, moved: boolean }} */
  const gesture = { kind: null, anchor: -1, x0: 0, y0: 0, moved: false };

  /** @param {PointerEvent | WheelEvent | MouseEvent} e */
  const local = (e) => {
    const rect = target.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };

  const pinchState = () => {
    const [a, b] = [...pointers.values()];
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, d: Math.hypot(a.x - b.x, a.y - b.y) };
  };

  /** @param {PointerEvent} e */
  const down = (e) => {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    const p = local(e);
    pointers.set(e.pointerId, p);
    try {
      target.setPointerCapture(e.pointerId);
    } catch {
      // the pointer is already gone (released, or synthetic): the gesture still works inside the canvas
    }
    if (pointers.size === 2) {
      if (gesture.kind === "anchor") h.onAnchorRelease(gesture.anchor);
      gesture.kind = "pinch";
      return;
    }
    const anchor = h.anchorAt(p.x, p.y);
    Object.assign(gesture, { kind: anchor >= 0 ? "anchor" : "pan", anchor, x0: p.x, y0: p.y, moved: false });
    if (anchor >= 0) h.onAnchorGrab(anchor);
    target.style.cursor = anchor >= 0 ? "grabbing" : "move";
    e.preventDefault();
  };

  /** @param {PointerEvent} e */
  const move = (e) => {
    const p = local(e);
    const prev = pointers.get(e.pointerId);
    if (!prev) {
      target.style.cursor = h.anchorAt(p.x, p.y) >= 0 ? "grab" : "crosshair";
      h.onHover(p.x, p.y);
      return;
    }
    if (gesture.kind === "pinch" && pointers.size === 2) {
      const before = pinchState();
      pointers.set(e.pointerId, p);
      const after = pinchState();
      h.onPan(after.x - before.x, after.y - before.y);
      if (before.d > 0) h.onZoom(after.x, after.y, after.d / before.d);
      return;
    }
    pointers.set(e.pointerId, p);
    if (Math.hypot(p.x - gesture.x0, p.y - gesture.y0) > CLICK_SLOP) gesture.moved = true;
    if (gesture.kind === "anchor") h.onAnchorMove(gesture.anchor, p.x, p.y);
    else if (gesture.kind === "pan" && gesture.moved) h.onPan(p.x - prev.x, p.y - prev.y);
  };

  /** @param {PointerEvent} e */
  const up = (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.delete(e.pointerId);
    const p = local(e);
    if (gesture.kind === "anchor") {
      h.onAnchorMove(gesture.anchor, p.x, p.y);
      h.onAnchorRelease(gesture.anchor);
    } else if (gesture.kind === "pan") {
      if (gesture.moved) h.onCameraEnd();
      else if (e.type === "pointerup") h.onClick(p.x, p.y);
    } else if (gesture.kind === "pinch") {
      h.onCameraEnd();
    }
    if (pointers.size === 0) {
      gesture.kind = null;
      target.style.cursor = "crosshair";
    } else if (gesture.kind === "pinch") {
      const [rest] = [...pointers.values()];
      Object.assign(gesture, { kind: "pan", anchor: -1, x0: rest.x, y0: rest.y, moved: true });
    }
  };

  /** @param {WheelEvent} e */
  const wheel = (e) => {
    e.preventDefault();
    const p = local(e);
    const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    h.onZoom(p.x, p.y, Math.exp(-e.deltaY * lines * 0.0015));
    h.onCameraEnd();
  };

  /** @param {MouseEvent} e */
  const dblclick = (e) => {
    e.preventDefault();
    h.onReset();
  };

  const leave = () => {
    if (pointers.size === 0) h.onLeave();
  };

  /** @type {Array<[string, any, AddEventListenerOptions?]>} */
  const listeners = [
    ["pointerdown", down],
    ["pointermove", move],
    ["pointerup", up],
    ["pointercancel", up],
    ["pointerleave", leave],
    ["wheel", wheel, { passive: false }],
    ["dblclick", dblclick],
  ];
  for (const [type, fn, opts] of listeners) target.addEventListener(type, fn, opts);
  target.style.touchAction = "none";
  target.style.cursor = "crosshair";
  return () => {
    for (const [type, fn, opts] of listeners) target.removeEventListener(type, fn, opts);
  };
}
