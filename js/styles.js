// The widget's CSS. Colours come from the notebook's theme: JupyterLab, Notebook 7 and Voilà set
// --jp-* variables, VS Code --vscode-*, marimo --background/--foreground/--border (light and dark);
// the --scw-* variables below pick the first one set, and everything else uses them (theme.js reads
// them too, for the canvas).

export const CSS = `
.scw, .scw-shared-legend {
  --scw-bg: var(--jp-layout-color0, var(--vscode-editor-background, var(--background, #fff)));
  --scw-fg: var(--jp-ui-font-color0, var(--vscode-editor-foreground, var(--foreground, #1a1a1a)));
  --scw-bg1: var(--jp-layout-color1, color-mix(in srgb, var(--scw-fg) 3%, var(--scw-bg)));
  --scw-bg2: var(--jp-layout-color2, color-mix(in srgb, var(--scw-fg) 9%, var(--scw-bg)));
  --scw-fg1: var(--jp-ui-font-color1, var(--scw-fg));
  --scw-fg2: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, var(--muted-foreground,
    color-mix(in srgb, var(--scw-fg) 60%, var(--scw-bg)))));
  --scw-border: var(--jp-border-color1, var(--vscode-widget-border, var(--border,
    color-mix(in srgb, var(--scw-fg) 30%, var(--scw-bg)))));
  --scw-border2: var(--jp-border-color2, var(--vscode-widget-border, var(--border,
    color-mix(in srgb, var(--scw-fg) 14%, var(--scw-bg)))));
  --scw-brand: var(--jp-brand-color1, var(--vscode-focusBorder, #1976d2));
  --scw-font: var(--jp-ui-font-family, var(--vscode-font-family, system-ui, -apple-system, sans-serif));
  --scw-error-bg: var(--jp-error-color3, #fdecea);
  --scw-error: var(--jp-error-color1, #d32f2f);
  background: var(--scw-bg); color: var(--scw-fg); font: 12px var(--scw-font);
  box-sizing: border-box; user-select: none; }
.scw { position: relative; width: 100%; border: 1px solid var(--scw-border2); container: scw / inline-size; }
.scw *, .scw-shared-legend * { box-sizing: border-box; }
.scw-body { display: flex; flex-direction: column; }
.scw-plot { position: relative; flex: 1 1 auto; min-width: 0; overflow: hidden; outline: none; }
.scw-plot:focus-visible { box-shadow: inset 0 0 0 2px var(--scw-brand); }
.scw-plot canvas { position: absolute; left: 0; top: 0; display: block; }
.scw-panel { position: absolute; padding: 4px 6px; border-radius: 3px; pointer-events: none;
  background: color-mix(in srgb, var(--scw-bg) 85%, transparent); border: 1px solid var(--scw-border2); }
.scw-bottom { position: absolute; left: 6px; right: 6px; bottom: 6px; display: flex; flex-wrap: wrap-reverse;
  justify-content: space-between; align-items: flex-end; gap: 4px; pointer-events: none; }
.scw-bottom .scw-panel { position: static; }
.scw-status { color: var(--scw-fg1); }
.scw-controls { margin-left: auto; display: flex; align-items: center; gap: 6px; pointer-events: auto; }
.scw-controls input { width: 150px; margin: 0; accent-color: var(--scw-brand); cursor: pointer; }
.scw-checkpoint-label { min-width: 90px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.scw-progress { position: absolute; left: 0; top: 0; height: 3px; width: 0; transition: width 80ms linear;
  background: var(--scw-brand); }
.scw-banner { position: absolute; left: 6px; right: 6px; top: 8px; padding: 6px 8px; border-radius: 3px;
  display: none; white-space: pre-wrap; pointer-events: none;
  background: var(--scw-error-bg); color: var(--jp-error-color0, #b71c1c); border: 1px solid var(--scw-error); }
.scw-banner.scw-warn { background: var(--jp-warn-color3, #fff8e1); color: var(--jp-warn-color0, #8d6e00);
  border-color: var(--jp-warn-color1, #f9a825); }

.scw-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 4px; padding: 3px 4px;
  background: var(--scw-bg1); border-bottom: 1px solid var(--scw-border2); }
.scw-tb-group { display: flex; align-items: center; gap: 1px; }
.scw-tb-group + .scw-tb-group { padding-left: 4px; border-left: 1px solid var(--scw-border2); }
.scw-toolbar button, .scw-toolbar select, .scw-legend-toggle { font: inherit; color: var(--scw-fg1);
  height: 22px; padding: 0 5px; border: 1px solid transparent; border-radius: 3px; background: transparent;
  cursor: pointer; display: inline-flex; align-items: center; gap: 3px; white-space: nowrap; }
.scw-toolbar select { border-color: var(--scw-border); background: var(--scw-bg); color: var(--scw-fg);
  padding: 0 2px; }
.scw-toolbar button:hover:not(:disabled), .scw-legend-toggle:hover { background: var(--scw-bg2); }
.scw-toolbar button[aria-pressed="false"] { color: var(--scw-fg2); text-decoration: line-through; }
.scw-toolbar button[aria-pressed="true"] { background: color-mix(in srgb, var(--scw-brand) 14%, transparent);
  border-color: color-mix(in srgb, var(--scw-brand) 35%, transparent); }
.scw-toolbar button:disabled { opacity: 0.4; cursor: default; }
.scw-toolbar button:focus-visible, .scw-toolbar select:focus-visible, .scw-legend-toggle:focus-visible {
  outline: 2px solid var(--scw-brand); outline-offset: -1px; }
.scw-toolbar svg { width: 14px; height: 14px; fill: none; stroke: currentColor; stroke-width: 1.6;
  stroke-linecap: round; stroke-linejoin: round; }
.scw-tb-status { margin-left: auto; flex: 1 1 90px; min-width: 0; display: flex; align-items: center;
  justify-content: flex-end; gap: 5px; min-height: 22px; color: var(--scw-fg1); font-variant-numeric: tabular-nums; }
.scw-tb-status .scw-status { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.scw-tb-status > :not(.scw-status) { flex: none; }
.scw-tb-meter { width: 56px; height: 5px; border-radius: 3px; overflow: hidden; background: var(--scw-bg2); }
.scw-tb-meter > div { height: 100%; width: 0; background: var(--scw-brand); transition: width 80ms linear; }
.scw-tb-notice { color: var(--scw-error); white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  max-width: 260px; }

.scw-legend { padding: 4px 6px; font-size: 11px; color: var(--scw-fg1); }
.scw .scw-legend { border-top: 1px solid var(--scw-border2); }
.scw-legend-blocks { display: flex; flex-wrap: wrap; gap: 4px 18px; margin-top: 2px; }
.scw-legend[data-collapsed] .scw-legend-blocks { display: none; }
.scw-legend-toggle { height: 18px; padding: 0 3px; margin-left: -3px; font-size: 11px; color: var(--scw-fg2); }
.scw-legend-title { font-weight: 600; margin-bottom: 2px; color: var(--scw-fg); }
.scw-legend-items { display: flex; flex-wrap: wrap; column-gap: 10px; max-width: 420px; }
.scw-legend-item { display: flex; align-items: center; gap: 4px; line-height: 16px; }
.scw-swatch { width: 12px; height: 12px; flex: none; border: 1px solid var(--scw-border); }
.scw-swatch.scw-dot { width: 7px; height: 7px; border-radius: 50%; border-color: rgba(0, 0, 0, .8); }
.scw-strip { display: flex; flex-wrap: wrap; gap: 1px; max-width: 220px; }
.scw-strip-cell { display: flex; flex-direction: column; align-items: center; min-width: 16px; }
.scw-strip-cell > .scw-swatch { width: 100%; height: 12px; position: relative; }
.scw-strip-cell .scw-dot { position: absolute; left: calc(50% - 3.5px); top: 1.5px; }
.scw-strip-cell span { font-size: 10px; line-height: 13px; }
.scw-colorbar { width: 140px; height: 10px; border: 1px solid var(--scw-border); }
.scw-colorbar-labels { display: flex; justify-content: space-between; width: 142px; }
@container scw (min-width: 560px) {
  .scw-body.scw-legend-beside { flex-direction: row; }
  .scw-legend-beside .scw-legend { width: max-content; max-width: 220px; overflow: auto;
    border-top: none; border-left: 1px solid var(--scw-border2); }
  .scw-legend-beside .scw-legend-blocks { flex-direction: column; }
}

.scw-tooltip { position: absolute; display: none; max-width: 360px; padding: 6px 8px; border-radius: 4px;
  background: var(--scw-bg1); color: var(--scw-fg); border: 1px solid var(--scw-border);
  box-shadow: 0 2px 6px rgba(0,0,0,.2); pointer-events: auto; }
.scw-tt-head { display: flex; gap: 8px; align-items: baseline; }
.scw-tt-pin, .scw-tt-caption, .scw-tt-more, .scw-tt-partial { color: var(--scw-fg2); }
.scw-tt-affine { border-collapse: collapse; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.scw-tt-affine td, .scw-tt-affine th { padding: 0 5px; text-align: right; }
.scw-tt-top td { font-weight: 700; }
.scw-tt-button { margin-top: 4px; font: inherit; cursor: pointer; padding: 1px 7px; border-radius: 3px;
  color: var(--scw-fg); background: var(--scw-bg2); border: 1px solid var(--scw-border); }
.scw-tt-button:hover:not(:disabled) { border-color: var(--scw-brand); }
.scw-tt-button:disabled { opacity: 0.5; cursor: default; }
.scw-tooltip canvas { position: static; image-rendering: pixelated; border: 1px solid var(--scw-border2); }
.scw-tt-images { display: flex; flex-wrap: wrap; gap: 4px; }
.scw-tt-image { margin: 0; text-align: center; font-size: 10px; }
.scw-tt-image canvas { width: 56px; height: 56px; }
.scw-tt-label { display: flex; align-items: center; gap: 5px; }
.scw-tt-sample-image { margin-top: 4px; line-height: 0; }
.scw-tt-uses { display: flex; flex-wrap: wrap; gap: 4px; }
.scw-tt-error { color: var(--scw-error); }
`;

/**
 * The style element a view appends next to its root (inside the output, or a shadow root).
 *
 * @returns {HTMLStyleElement}
 */
export function styleElement() {
  const style = document.createElement("style");
  style.textContent = CSS;
  return style;
}
