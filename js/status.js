// The status line (regions, colour mode, progress in words), the progress bar and the banner
// that shows an error, or a warning when the region budget ran out.

/**
 * @typedef {object} StatusScene
 * @property {import("./widget.js").Model["status"] | null | undefined} status  the `status` trait
 * @property {string | null} error  the `error` trait, or why a trait could not be read, or null
 * @property {import("./decode.js").Geometry | null} geometry
 * @property {import("./decode.js").Style | null} style
 */

/**
 * @param {import("./layout.js").Layout} layout
 * @param {StatusScene} scene
 */
export function showStatus(layout, { status: trait, error, geometry, style }) {
  const status = trait ?? { state: "idle", message: "", layer: 0, n_layers: 0, n_regions: 0 };
  const computing = status.state === "computing";
  const parts = [];
  if (geometry) {
    const n = geometry.nRegions;
    parts.push(`${n.toLocaleString()} region${n === 1 ? "" : "s"}${geometry.partial ? " so far" : ""}`);
  }
  if (style) parts.push(`colour: ${style.mode}`);
  if (computing)
    parts.push(status.n_layers ? `computing layer ${status.layer + 1} of ${status.n_layers}` : "computing…");
  layout.status.textContent = parts.join(" · ");
  const fraction = computing ? (status.n_layers ? (status.layer + 1) / status.n_layers : 0.05) : 0;
  layout.progress.style.width = `${Math.round(fraction * 100)}%`;
  layout.progress.style.display = computing ? "block" : "none";
  layout.banner.textContent = error ?? "";
  layout.banner.style.display = error ? "block" : "none";
  layout.banner.classList.toggle("scw-warn", status.state === "budget");
}
