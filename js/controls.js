// The checkpoint slider: steps through the networks Python holds (the `checkpoint` trait),
// shown while there are two or more `checkpoint_labels`.

import { throttle } from "./timing.js";

/** While the slider is dragged, a checkpoint goes to Python at most this often (ms); the last always goes. */
const CHECKPOINT_SYNC_MS = 80;

/**
 * @param {HTMLElement} panel  the panel to fill: it receives pointer and key events, the canvas does not see them
 * @param {import("@anywidget/types").AnyModel<any>} model
 * @returns {() => void} removes the listeners
 */
export function attachCheckpointSlider(panel, model) {
  const input = document.createElement("input");
  input.type = "range";
  input.min = "0";
  input.step = "1";
  input.setAttribute("aria-label", "checkpoint");
  const text = document.createElement("span");
  text.className = "scw-checkpoint-label";
  panel.append(input, text);
  // Arrow keys move the slider, not JupyterLab's notebook cells. Lumino tests the focused element
  // itself against its shortcut selectors before looking for the attribute on ancestors, so it
  // must sit on the input, not only on the panel.
  input.setAttribute("data-lm-suppress-shortcuts", "true");

  /** @returns {string[]} */
  const labels = () => model.get("checkpoint_labels") ?? [];
  const showLabel = () => {
    const names = labels();
    const i = Number(input.value);
    text.textContent = `${names[i] ?? i} · ${i + 1} / ${names.length}`;
  };
  const showCheckpoint = () => {
    input.value = String(model.get("checkpoint") ?? 0);
    showLabel();
  };
  const onLabels = () => {
    const n = labels().length;
    panel.style.display = n >= 2 ? "flex" : "none";
    input.max = String(Math.max(n - 1, 0));
    showCheckpoint();
  };
  /** true while this slider sets the trait, whose change event must not move it back */
  let setting = false;
  const onCheckpoint = () => {
    if (!setting) showCheckpoint();
  };
  const sync = throttle(() => {
    const value = Number(input.value);
    if (value === model.get("checkpoint")) return;
    setting = true;
    model.set("checkpoint", value);
    setting = false;
    model.save_changes();
  }, CHECKPOINT_SYNC_MS);
  const onInput = () => {
    showLabel();
    sync.call();
  };

  input.addEventListener("input", onInput);
  input.addEventListener("change", sync.flush);
  model.on("change:checkpoint_labels", onLabels);
  model.on("change:checkpoint", onCheckpoint);
  onLabels();
  return () => {
    sync.cancel();
    input.removeEventListener("input", onInput);
    input.removeEventListener("change", sync.flush);
    model.off("change:checkpoint_labels", onLabels);
    model.off("change:checkpoint", onCheckpoint);
  };
}
