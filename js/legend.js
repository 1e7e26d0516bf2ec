// The legend: the colour mode's classes or layers, or its colour bar, and the labels of the data
// points, made compact. Short labels ("class 0" … "class 9") become one colour strip; when the data
// labels are the same short labels, each data colour sits as a dot in its class's cell, so ten
// classes and ten labels take one strip. It can be collapsed to its header. Where it goes (beside
// or below the plot, never over it) is the layout's business (layout.js, styles.js).

import { fmt } from "./tooltip.js";

/** @typedef {import("./decode.js").Legend} Legend */
/** @typedef {import("./decode.js").LegendItem} LegendItem */

/** Labels at most this long (after a shared prefix) go in a colour strip. */
const STRIP_LABEL = 3;

/**
 * @typedef {object} Cell  one cell of a colour strip
 * @property {string} label   short label, under the swatch
 * @property {string} full    the whole label (the cell's tooltip)
 * @property {string | null} color  swatch colour, null: none (a data label with no class)
 * @property {string | null} dot    colour of the data dot in the swatch, or null
 */

/**
 * @typedef {{ kind: "strip", title: string, cells: Cell[] }
 *   | { kind: "items", title: string, items: LegendItem[], dots: boolean }
 *   | { kind: "colorbar", title: string, colors: string[], min: number, max: number }} Block
 */

/**
 * Short labels of categorical items: without the prefix they share ("class ", "layer "), when
 * every one is then at most STRIP_LABEL characters; null otherwise.
 *
 * @param {LegendItem[]} items
 * @returns {{ prefix: string, labels: string[] } | null}
 */
export function shortLabels(items) {
  if (items.length === 0) return null;
  const words = items.map((item) => String(item.label));
  let prefix = words.reduce((p, w) => {
    let n = 0;
    while (n < p.length && n < w.length && p[n] === w[n]) n++;
    return p.slice(0, n);
  });
  prefix = prefix.slice(0, prefix.lastIndexOf(" ") + 1); // whole words only
  const labels = words.map((w) => w.slice(prefix.length));
  return labels.every((l) => l.length > 0 && l.length <= STRIP_LABEL) ? { prefix, labels } : null;
}

/**
 * The blocks to draw for a list of legends (null ones skipped): strips where labels are short,
 * the data labels merged into the colour mode's strip when they are the same labels.
 *
 * @param {Array<Legend | null>} legends
 * @returns {Block[]}
 */
export function compactLegends(legends) {
  /** @type {Block[]} */
  const blocks = [];
  for (const legend of legends) {
    if (!legend) continue;
    if (legend.kind !== "categorical") {
      const { title, colors = [], min = 0, max = 1 } = legend;
      blocks.push({ kind: "colorbar", title, colors, min, max });
      continue;
    }
    const items = legend.items ?? [];
    const short = shortLabels(items);
    const strip = blocks.find((b) => b.kind === "strip" && !b.cells.some((c) => c.dot));
    if (legend.dots && short && strip && strip.kind === "strip") {
      const byLabel = new Map(strip.cells.map((cell) => [cell.label, cell]));
      if (short.labels.every((label) => byLabel.has(label))) {
        short.labels.forEach((label, i) => {
          /** @type {Cell} */ (byLabel.get(label)).dot = items[i].color;
        });
        strip.title = `${strip.title} · ● ${legend.title}`;
        continue;
      }
    }
    if (short && items.length > 1) {
      const word = short.prefix.trim();
      const title = word && !legend.title.endsWith(word) ? `${legend.title}: ${word}` : legend.title;
      const cells = items.map((item, i) => ({
        label: short.labels[i],
        full: String(item.label),
        color: legend.dots ? null : item.color,
        dot: legend.dots ? item.color : null,
      }));
      blocks.push({ kind: "strip", title, cells });
    } else {
      blocks.push({ kind: "items", title: legend.title, items, dots: Boolean(legend.dots) });
    }
  }
  return blocks;
}

/** A legend panel with a header that collapses it. */
export class LegendPanel {
  /** @param {HTMLElement} el  the panel (outside the plot) */
  constructor(el) {
    this.el = el;
    this.toggle = document.createElement("button");
    this.toggle.type = "button";
    this.toggle.className = "scw-legend-toggle";
    this.toggle.setAttribute("data-lm-suppress-shortcuts", "true");
    this.blocks = document.createElement("div");
    this.blocks.className = "scw-legend-blocks";
    this.onToggle = () => this.collapse(!this.el.hasAttribute("data-collapsed"));
    this.toggle.addEventListener("click", this.onToggle);
    el.replaceChildren(this.toggle, this.blocks);
    this.collapse(false);
  }

  /** @param {boolean} collapsed */
  collapse(collapsed) {
    this.el.toggleAttribute("data-collapsed", collapsed);
    this.toggle.textContent = collapsed ? "▸ legend" : "▾ legend";
    this.toggle.setAttribute("aria-expanded", String(!collapsed));
  }

  /**
   * @param {Array<Legend | null>} legends  top to bottom; null ones are skipped
   * @param {boolean} [shown]  false hides the panel whatever it holds
   * @returns {boolean} whether the panel is shown
   */
  show(legends, shown = true) {
    const blocks = compactLegends(legends);
    this.blocks.replaceChildren(...blocks.map(renderBlock));
    const visible = shown && blocks.length > 0;
    this.el.style.display = visible ? "" : "none";
    return visible;
  }

  detach() {
    this.toggle.removeEventListener("click", this.onToggle);
  }
}

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function h(tag, className, text) {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * @param {Block} block
 * @returns {HTMLElement}
 */
function renderBlock(block) {
  const box = h("div", "scw-legend-block");
  box.append(h("div", "scw-legend-title", block.title));
  if (block.kind === "strip") {
    const strip = h("div", "scw-strip");
    for (const cell of block.cells) {
      const c = h("div", "scw-strip-cell");
      c.title = cell.full;
      const swatch = h("span", "scw-swatch");
      swatch.style.background = cell.color ?? "transparent";
      if (!cell.color) swatch.style.borderColor = "transparent";
      if (cell.dot) {
        const dot = h("span", "scw-swatch scw-dot");
        dot.style.background = cell.dot;
        swatch.append(dot);
      }
      c.append(swatch, h("span", "", cell.label));
      strip.append(c);
    }
    box.append(strip);
  } else if (block.kind === "items") {
    const list = h("div", "scw-legend-items");
    for (const item of block.items) {
      const row = h("div", "scw-legend-item");
      const swatch = h("span", block.dots ? "scw-swatch scw-dot" : "scw-swatch");
      swatch.style.background = item.color;
      row.append(swatch, h("span", "", item.label));
      list.append(row);
    }
    box.append(list);
  } else {
    const bar = h("div", "scw-colorbar");
    bar.style.background = `linear-gradient(to right, ${block.colors.join(", ")})`;
    const labels = h("div", "scw-colorbar-labels");
    for (const x of [block.min, block.max]) labels.append(h("span", "", fmt(x)));
    box.append(bar, labels);
  }
  return box;
}
