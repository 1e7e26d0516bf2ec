// The toolbar: colour mode, what is drawn over the regions, reset view, undo of the last anchor
// move, PNG and SVG downloads, and the status with a progress meter and a cancel button.
//
// The settings are traits (`color_by`, `visible`), so Python sees every change and can make its
// own; the actions go to Python through the request channel (widget.js wires them). Controls that
// need Python stay disabled until the kernel has answered once: a saved page has none.

import { progressOf } from "./status.js";
import { div } from "./layout.js";

export const MODES = ["slope", "class", "output", "pattern", "layer"];
export const PARTS = ["edges", "boundary", "anchors", "data"];

const ICONS = {
  reset: "M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4",
  undo: "M5 3 2 6l3 3M2 6h7a4 4 0 0 1 0 8H6",
  download: "M8 2v8M4.5 6.5 8 10l3.5-3.5M3 13.5h10",
  cancel: "M4 4l8 8M12 4l-8 8",
};

/**
 * @typedef {object} ToolbarActions
 * @property {() => void} resetView
 * @property {() => Promise<void>} undo                          reject with what went wrong
 * @property {(format: "png" | "svg") => Promise<void>} download  reject with what went wrong
 * @property {() => void} cancel
 */

/**
 * @typedef {object} ToolbarScene  what the state-dependent controls show
 * @property {import("./status.js").Status | null | undefined} status
 * @property {boolean} hasData  data points are shown on this plane (the data toggle applies)
 */

/**
 * @param {string} label  text, or "" for an icon alone
 * @param {string} title  tooltip and accessible name
 * @param {keyof typeof ICONS} [icon]
 * @returns {HTMLButtonElement}
 */
function button(label, title, icon) {
  const b = document.createElement("button");
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  b.setAttribute("data-lm-suppress-shortcuts", "true"); // Enter and Space press it, not a JupyterLab shortcut
  if (icon) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[icon]);
    svg.append(path);
    b.append(svg);
  }
  if (label) b.append(label);
  return b;
}

export class Toolbar {
  /**
   * @param {HTMLElement} el  the toolbar element (layout.js)
   * @param {import("@anywidget/types").AnyModel<any>} model
   * @param {ToolbarActions} actions
   */
  constructor(el, model, actions) {
    this.model = model;
    this.actions = actions;
    this.live = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.noticeTimer = null;

    this.mode = document.createElement("select");
    this.mode.title = "colour of the regions";
    this.mode.setAttribute("aria-label", "colour mode");
    this.mode.setAttribute("data-lm-suppress-shortcuts", "true");
    for (const mode of MODES) this.mode.append(new Option(mode, mode));
    this.toggles = PARTS.map((part) => {
      const b = button(part, `show or hide the ${part === "data" ? "data points" : part}`);
      b.dataset.part = part;
      return b;
    });
    this.reset = button("", "reset view: the whole domain (double click)", "reset");
    this.undo = button("", "undo the last anchor move", "undo");
    this.png = button("PNG", "download the view as an exact PNG", "download");
    this.svg = button("SVG", "download the view as SVG", "download");
    this.cancel = button("", "cancel the computation (Escape)", "cancel");
    this.meter = div("scw-tb-meter");
    this.meter.append(div(""));
    this.notice = div("scw-tb-notice");
    /** where the status line goes (layout.placeStatus) */
    this.statusSlot = div("scw-tb-status");
    this.statusSlot.append(this.meter, this.cancel, this.notice);
    const group = (/** @type {HTMLElement[]} */ ...children) => {
      const g = div("scw-tb-group");
      g.append(...children);
      return g;
    };
    el.replaceChildren(
      group(this.mode),
      group(...this.toggles),
      group(this.reset, this.undo),
      group(this.png, this.svg),
      this.statusSlot,
    );

    /** @type {Array<[EventTarget, string, (e: any) => void]>} */
    this.listeners = [
      [this.mode, "change", () => this.#set("color_by", this.mode.value)],
      [this.reset, "click", () => actions.resetView()],
      [this.undo, "click", () => this.#run(this.undo, actions.undo)],
      [this.png, "click", () => this.#run(this.png, () => actions.download("png"))],
      [this.svg, "click", () => this.#run(this.svg, () => actions.download("svg"))],
      [this.cancel, "click", () => actions.cancel()],
      ...this.toggles.map((b) => /** @type {[EventTarget, string, () => void]} */ ([b, "click", () => this.#flip(b)])),
    ];
    for (const [target, type, fn] of this.listeners) target.addEventListener(type, fn);
    this.onTraits = () => this.#showTraits();
    for (const trait of ["color_by", "visible", "can_undo"]) model.on(`change:${trait}`, this.onTraits);
    this.#showTraits();
    this.update({ status: null, hasData: false });
  }

  /** @param {boolean} live  Python answers (false on a saved page: its controls stay disabled) */
  setLive(live) {
    this.live = live;
    this.#showTraits();
  }

  /** @param {ToolbarScene} scene */
  update({ status, hasData }) {
    const computing = status?.state === "computing";
    this.meter.style.display = computing ? "" : "none";
    /** @type {HTMLElement} */ (this.meter.firstElementChild).style.width = `${Math.round(progressOf(status) * 100)}%`;
    this.cancel.style.display = computing ? "" : "none";
    const data = /** @type {HTMLButtonElement} */ (this.toggles[PARTS.indexOf("data")]);
    data.disabled = !hasData;
  }

  /** @param {string} message  shown beside the status for a few seconds */
  showNotice(message) {
    this.notice.textContent = message;
    this.notice.title = message;
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.notice.textContent = "";
      this.noticeTimer = null;
    }, 6000);
  }

  detach() {
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
    for (const trait of ["color_by", "visible", "can_undo"]) this.model.off(`change:${trait}`, this.onTraits);
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
  }

  #showTraits() {
    const offline = this.live ? "" : " (needs a running kernel)";
    this.mode.value = this.model.get("color_by") ?? "slope";
    this.mode.disabled = !this.live;
    this.mode.title = `colour of the regions${offline}`;
    const visible = this.model.get("visible") ?? PARTS;
    for (const b of this.toggles) b.setAttribute("aria-pressed", String(visible.includes(b.dataset.part)));
    this.undo.disabled = !this.live || !this.model.get("can_undo");
    for (const b of [this.png, this.svg, this.cancel]) b.disabled = !this.live;
  }

  /**
   * @param {string} trait
   * @param {any} value
   */
  #set(trait, value) {
    this.model.set(trait, value);
    this.model.save_changes();
  }

  /** @param {HTMLButtonElement} b  a part toggle */
  #flip(b) {
    const visible = new Set(this.model.get("visible") ?? PARTS);
    const part = /** @type {string} */ (b.dataset.part);
    if (visible.has(part)) visible.delete(part);
    else visible.add(part);
    this.#set(
      "visible",
      PARTS.filter((p) => visible.has(p)),
    );
  }

  /**
   * Run an action that asks Python, its button disabled meanwhile; a failure shows as a notice.
   *
   * @param {HTMLButtonElement} b
   * @param {() => Promise<void>} action
   */
  #run(b, action) {
    b.disabled = true;
    b.setAttribute("aria-busy", "true");
    this.notice.textContent = "";
    action()
      .catch((err) => {
        if (err?.name !== "AbortError") this.showNotice(String(err?.message ?? err));
      })
      .finally(() => {
        b.removeAttribute("aria-busy");
        this.#showTraits();
      });
  }
}
