// Fake anywidget model for browser tests: records set / save_changes / send, answers the
// widget's requests (custom messages, see js/channel.js) as the test's `responder` says, lets the
// test play the kernel (kernelSet), and mounts the built widget bundle.

import widget from "/splinecam_widget/static/widget.js";

/** @param {string} b64 @param {number} pad  bytes before the data in the underlying buffer */
function toView(b64, pad) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length + pad);
  for (let i = 0; i < bin.length; i++) bytes[pad + i] = bin.charCodeAt(i);
  return new DataView(bytes.buffer, pad, bin.length);
}

/** Replace {"$b64": "..."} leaves by DataViews, as ipywidgets delivers binary buffers. */
function revive(value, pad) {
  if (value && typeof value === "object") {
    if (typeof value.$b64 === "string") return toView(value.$b64, pad);
    if (Array.isArray(value)) return value.map((v) => revive(v, pad));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v, pad)]));
  }
  return value;
}

function snapshot(value) {
  return value instanceof DataView ? `<${value.byteLength} bytes>` : JSON.parse(JSON.stringify(value ?? null));
}

/** RGBA of the device pixel under CSS point (x, y) of a canvas. */
function canvasPixel(selector, x, y) {
  const canvas = document.querySelector(selector);
  const k = canvas.width / canvas.clientWidth;
  const d = canvas.getContext("2d").getImageData(Math.floor(x * k), Math.floor(y * k), 1, 1).data;
  return [d[0], d[1], d[2], d[3]];
}

class FakeModel {
  constructor(state) {
    this.state = state;
    /** @type {Map<string, Set<Function>>} */
    this.handlers = new Map();
    this.log = [];
  }
  get(key) {
    return this.state[key];
  }
  set(key, value) {
    this.state[key] = value;
    this.log.push({ op: "set", key, value: snapshot(value), t: performance.now() });
    this.emit(`change:${key}`, value);
  }
  save_changes() {
    this.log.push({ op: "save_changes", t: performance.now() });
  }
  send(content, callbacks, buffers) {
    this.log.push({ op: "send", content: snapshot(content), t: performance.now() });
    if (content?.type === "splinecam:request") harness.answer(this, content);
  }
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
  }
  off(event, fn) {
    if (event == null) return this.handlers.clear();
    if (fn == null) return this.handlers.delete(event);
    this.handlers.get(event)?.delete(fn);
  }
  emit(event, value) {
    for (const fn of [...(this.handlers.get(event) ?? [])]) fn(this, value);
  }
  /** A custom message from the kernel. */
  emitCustom(content, buffers) {
    for (const fn of [...(this.handlers.get("msg:custom") ?? [])]) fn(content, buffers);
  }
  handlerCount() {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}

const harness = {
  /** model of the last `mount`; views mounted with `mountView` alone share it */
  model: null,
  /** model of each mounted view, by the index mount / mountView / mountOwn return */
  models: [],
  /** the requests the views sent (but "hello"): { name, msg } */
  requests: [],
  /** test-provided answer to a request: (name, msg) => [response, buffers as {$b64}]; null: no answer */
  responder: null,
  /** true: no kernel, as in a saved page (not even "hello" is answered) */
  offline: false,
  cleanups: [],
  async mount(state, pad = 8) {
    this.model = new FakeModel(revive(state, pad));
    this.requests = [];
    return this.mountView("host");
  },
  /** A view of a model of its own (another widget in the same page), from its trait values. */
  async mountOwn(hostId, state, pad = 8) {
    return this.mountView(hostId, new FakeModel(revive(state, pad)));
  },
  async mountView(hostId, model = this.model) {
    const el = document.getElementById(hostId);
    const experimental = {
      invoke: async () => {
        throw new Error("the widget must not use invoke: marimo does not support it");
      },
    };
    const cleanup = await widget.render({ model, el, experimental });
    this.cleanups.push(cleanup);
    this.models.push(model);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return this.cleanups.length - 1;
  },
  async destroy(i) {
    await this.cleanups[i]();
  },
  /** Play the kernel's request channel: answer a request (asynchronously, as a kernel would). */
  answer(model, { id, name, content }) {
    if (this.offline) return;
    let reply;
    if (name === "hello") reply = [{ ok: true }, []];
    else {
      this.requests.push({ name, msg: snapshot(content) });
      if (!this.responder) return;
      reply = this.responder(name, content);
    }
    const [res, buffers] = reply;
    const views = buffers.map((b) => revive(b, 8));
    setTimeout(() => model.emitCustom({ type: "splinecam:response", id, content: res }, views));
  },
  /** Play the kernel: set traits of the last mounted model, or of view `view`'s model. */
  kernelSet(changes, pad = 8, view = null) {
    const model = view === null ? this.model : this.models[view];
    for (const [key, value] of Object.entries(changes)) model.state[key] = revive(value, pad);
    for (const key of Object.keys(changes)) model.emit(`change:${key}`, model.state[key]);
  },
  /** Pixel RGBA at CSS point (x, y) of the exact-picture canvas of a host. */
  pixel(x, y, hostId = "host") {
    return canvasPixel(`#${hostId} canvas.scw-base`, x, y);
  },
  /** Pixel RGBA at CSS point (x, y) of the overlay canvas (anchors, data points, thumbnails) of a host. */
  overlayPixel(x, y, hostId = "host") {
    return canvasPixel(`#${hostId} canvas.scw-overlay`, x, y);
  },
  frames(n = 2) {
    return new Promise((resolve) => {
      const step = (k) => (k === 0 ? resolve(null) : requestAnimationFrame(() => step(k - 1)));
      step(n);
    });
  },
};

window.harness = harness;
window.harnessReady = true;
