// Requests to Python over the widget's custom messages (splinecam_widget/widget/_channel.py).
//
// A request goes out as { type: "splinecam:request", id, name, content }; Python answers every
// request with { type: "splinecam:response", id, content } and binary buffers. Answers are matched
// by id, so several views of one model (each its own channel, ids with their own prefix) never take
// each other's. A request is given up when its AbortSignal fires or its timeout passes; an answer
// arriving after that is ignored. Custom messages work wherever ipywidgets messages do (JupyterLab,
// Notebook, Voilà, marimo, VS Code, Colab); anywidget's `experimental.invoke` does not in marimo.

export const REQUEST = "splinecam:request";
export const RESPONSE = "splinecam:response";
/** A request with no answer after this long (ms) fails, saying so. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** @typedef {[any, DataView[]]} Answer  Python's answer (an object, `{ error }` on failure) and its buffers */

/**
 * @typedef {object} Pending
 * @property {(answer: Answer) => void} resolve
 */

/**
 * @param {unknown} buffer  as a front end delivers it: DataView, typed array or ArrayBuffer
 * @returns {DataView}
 */
function asDataView(buffer) {
  if (buffer instanceof DataView) return buffer;
  if (ArrayBuffer.isView(buffer)) return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return new DataView(/** @type {ArrayBuffer} */ (buffer));
}

export class Channel {
  /** @param {import("@anywidget/types").AnyModel<any>} model */
  constructor(model) {
    this.model = model;
    /** ids of this channel start with it: another view of the same model has another */
    this.prefix = Math.random().toString(36).slice(2, 10);
    this.count = 0;
    /** @type {Map<string, Pending>} */
    this.pending = new Map();
    this.closed = false;
    /** @param {any} msg @param {unknown[] | undefined} buffers */
    this.onMessage = (msg, buffers) => {
      if (!msg || msg.type !== RESPONSE) return;
      this.pending.get(msg.id)?.resolve([msg.content, (buffers ?? []).map(asDataView)]);
    };
    model.on("msg:custom", this.onMessage);
  }

  /**
   * Ask Python; the promise gives its answer, or fails when aborted, timed out or closed.
   *
   * @param {string} name  a request Python handles (see _requests.py)
   * @param {object} [content]
   * @param {{ signal?: AbortSignal, timeout?: number }} [options]
   * @returns {Promise<Answer>}
   */
  request(name, content = {}, { signal, timeout = DEFAULT_TIMEOUT_MS } = {}) {
    if (this.closed) return Promise.reject(new Error("the view is closed"));
    if (signal?.aborted) return Promise.reject(new DOMException("the request was aborted", "AbortError"));
    const id = `${this.prefix}-${++this.count}`;
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.pending.delete(id);
      };
      const onAbort = () => {
        finish();
        reject(new DOMException("the request was aborted", "AbortError"));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Python did not answer within ${Math.round(timeout / 1000)} s (is the kernel running?)`));
      }, timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: (answer) => {
          finish();
          resolve(answer);
        },
      });
      try {
        this.model.send({ type: REQUEST, id, name, content });
      } catch (err) {
        finish();
        reject(err);
      }
    });
  }

  /** Stop listening; pending requests are given up (the view goes away). */
  close() {
    this.closed = true;
    this.model.off("msg:custom", this.onMessage);
    for (const id of [...this.pending.keys()]) {
      this.pending.get(id)?.resolve([{ error: "the view is closed" }, []]);
    }
  }
}
