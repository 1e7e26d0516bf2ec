// The status line (regions, time of the last computation, progress in words), the progress bar
// along the top of the plot and the banner that shows an error, or a warning when the region
// budget ran out.

/**
 * @typedef {object} Status  the `status` trait
 * @property {string} state   "idle", "computing", "cancelled", "error" or "budget"
 * @property {string} message
 * @property {number} layer   while computing: the last activation layer done (0-based)
 * @property {number} n_layers
 * @property {number} n_regions
 * @property {number} [seconds]  how long the last computation took (while computing: so far)
 */

/**
 * @typedef {object} StatusScene
 * @property {Status | null | undefined} status  the `status` trait
 * @property {string | null} error  the `error` trait, or why a trait could not be read, or null
 * @property {import("./decode.js").Geometry | null} geometry
 * @property {import("./decode.js").Style | null} style
 * @property {boolean} toolbar  the toolbar shows the colour mode: the line does not repeat it
 */

/**
 * @param {number} seconds
 * @returns {string}
 */
export function duration(seconds) {
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/**
 * @param {Status | null | undefined} status
 * @returns {number} fraction of the layers done while computing, 0 otherwise
 */
export function progressOf(status) {
  if (status?.state !== "computing") return 0;
  return status.n_layers ? (status.layer + 1) / status.n_layers : 0.05;
}

/**
 * @param {StatusScene} scene
 * @returns {string}
 */
export function statusText({ status, geometry, style, toolbar }) {
  const state = status?.state ?? "idle";
  const parts = [];
  if (geometry) {
    const n = geometry.nRegions;
    parts.push(`${n.toLocaleString()} region${n === 1 ? "" : "s"}${geometry.partial ? " so far" : ""}`);
  }
  if (style && !toolbar) parts.push(`colour: ${style.mode}`);
  if (state === "computing") {
    parts.push(status?.n_layers ? `computing layer ${status.layer + 1} of ${status.n_layers}` : "computing…");
  } else if (state === "cancelled") {
    parts.push("cancelled");
  }
  if (typeof status?.seconds === "number" && (state === "idle" || state === "computing")) {
    parts.push(duration(status.seconds));
  }
  return parts.join(" · ");
}

/**
 * @param {import("./layout.js").Layout} layout
 * @param {StatusScene} scene
 */
export function showStatus(layout, scene) {
  const { status, error } = scene;
  const computing = status?.state === "computing";
  layout.status.textContent = statusText(scene);
  layout.status.title = layout.status.textContent; // in full where the line is cut short
  layout.progress.style.width = `${Math.round(progressOf(status) * 100)}%`;
  layout.progress.style.display = computing ? "block" : "none";
  layout.banner.textContent = error ?? "";
  layout.banner.style.display = error ? "block" : "none";
  layout.banner.classList.toggle("scw-warn", status?.state === "budget");
}
