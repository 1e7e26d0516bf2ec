// The one legend of several views (a comparison, splinecam_widget/widget/_legend.py): its `blocks`
// trait holds the views' legends, drawn by the same legend panel as a view's own.

import { LegendPanel } from "./legend.js";
import { styleElement } from "./styles.js";

/**
 * @typedef {object} LegendModel
 * @property {import("./decode.js").Legend[]} blocks
 */

/**
 * @param {{ model: import("@anywidget/types").AnyModel<LegendModel>, el: HTMLElement }} props
 * @returns {() => void} cleanup
 */
export function renderSharedLegend({ model, el }) {
  const root = document.createElement("div");
  root.className = "scw-shared-legend";
  const panel = document.createElement("div");
  panel.className = "scw-legend";
  root.append(panel);
  el.append(styleElement(), root);
  const legend = new LegendPanel(panel);
  const show = () => legend.show(model.get("blocks") ?? []);
  model.on("change:blocks", show);
  show();
  return () => {
    model.off("change:blocks", show);
    legend.detach();
    el.replaceChildren();
  };
}
