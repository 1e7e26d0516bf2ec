// Light and dark themes for the canvas, from the --scw-* variables of styles.js (which follow
// JupyterLab's, VS Code's or marimo's theme).

/**
 * @typedef {object} Theme
 * @property {string} background   CSS colour behind the regions
 * @property {string} foreground   text, decision boundary, domain outline
 * @property {string} muted        secondary text
 * @property {string} border
 * @property {string} font
 * @property {number} backgroundRGBA  background packed as ImageData RGBA
 * @property {number} edgeRGBA        region edges (packed RGBA, alpha included)
 * @property {boolean} dark
 */

const parser = document.createElement("canvas").getContext("2d");

/**
 * @param {string} css  a CSS colour (no variables)
 * @param {string} fallback  used when `css` is not a colour
 * @returns {[number, number, number]}
 */
function rgbOf(css, fallback) {
  if (!parser) return [0, 0, 0];
  parser.fillStyle = fallback;
  parser.fillStyle = css;
  const c = String(parser.fillStyle);
  if (c.startsWith("#")) return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
  const m = c.match(/[\d.]+/g) ?? ["0", "0", "0"];
  return [Number(m[0]), Number(m[1]), Number(m[2])];
}

/**
 * @param {[number, number, number]} rgb
 * @param {number} alpha  0..255
 * @returns {number}
 */
export function pack(rgb, alpha) {
  return ((alpha << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
}

/**
 * @param {HTMLElement} el  the widget's root element, in the page (variables cascade into it)
 * @returns {Theme}
 */
export function readTheme(el) {
  const style = getComputedStyle(el);
  /** @param {string} name @param {string} fallback */
  const v = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const background = v("--scw-bg", "#ffffff");
  const foreground = v("--scw-fg", "#1a1a1a");
  const bg = rgbOf(background, "#ffffff");
  const fg = rgbOf(foreground, "#1a1a1a");
  const dark = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2] < 128;
  return {
    background,
    foreground,
    muted: v("--scw-fg2", dark ? "#9a9a9a" : "#616161"),
    border: v("--scw-border", dark ? "#555555" : "#bdbdbd"),
    font: v("--scw-font", "system-ui, -apple-system, sans-serif"),
    backgroundRGBA: pack(bg, 255),
    edgeRGBA: pack(fg, dark ? 90 : 70),
    dark,
  };
}

/**
 * Call `changed` when the page's theme may have changed: JupyterLab's theme attributes, a dark class
 * (marimo, Voilà), or the system's light/dark preference.
 *
 * @param {() => void} changed
 * @returns {() => void} stops watching
 */
export function watchTheme(changed) {
  const observer = new MutationObserver(changed);
  for (const node of [document.documentElement, document.body]) {
    observer.observe(node, {
      attributes: true,
      attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class", "data-theme", "style"],
    });
  }
  const scheme = window.matchMedia?.("(prefers-color-scheme: dark)");
  scheme?.addEventListener("change", changed);
  return () => {
    observer.disconnect();
    scheme?.removeEventListener("change", changed);
  };
}
