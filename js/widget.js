// SplineCamWidget front end: wires the model's traits to the camera, the drawing, the hit
// test, the interaction, the tooltip, the checkpoint slider and the linked viewports. No
// geometry is computed here.

import { decodeGeometry, decodeStyle } from "./decode.js";
import { decodeData, dataLegend } from "./data.js";
import { decodeAnchorImages } from "./thumbnails.js";
import { Camera, boundsOf } from "./camera.js";
import { SceneRenderer, drawOverlay } from "./draw.js";
import { RegionIndex, handleAt } from "./pick.js";
import { attachInteraction } from "./interact.js";
import { Tips } from "./tips.js";
import { renderLegend } from "./legend.js";
import { attachCheckpointSlider } from "./controls.js";
import { Link } from "./link.js";
import { createLayout } from "./layout.js";
import { readTheme } from "./theme.js";
import { throttle, debounce } from "./timing.js";

/**
 * @typedef {object} Model
 * @property {any} geometry
 * @property {any} coloring
 * @property {Array<[number, number]>} anchors_2d
 * @property {string[]} anchor_labels
 * @property {[number, number, number, number] | null} view
 * @property {{ state: string, message: string, layer: number, n_layers: number, n_regions: number }} status
 * @property {string | null} error
 * @property {number} height
 * @property {any} data            data points near the plane (see data.js), or null
 * @property {any} anchor_images   { shape: [h, w], rgba: [3 buffers] } pictures of the anchors, or null
 * @property {number} checkpoint   checkpoint shown; the slider sets it
 * @property {string[]} checkpoint_labels  one per checkpoint (slider shown from 2)
 * @property {string} link_group   views of models with the same non-empty group share their camera
 */

/** Pointer moves closer than this (CSS px) to a handle grab it. */
const HANDLE_RADIUS = 12;
/** Anchor positions go to Python at most this often while dragging (ms)... */
const ANCHOR_SYNC_MS = 30;
/** ...and, while a sent position has not come back drawn, only after this long (ms): each update
 * then gets drawn instead of cancelling the previous computation. */
const ANCHOR_AWAIT_MS = 500;
/** The visible rectangle goes to Python this long after panning or zooming stops (ms). */
const VIEW_SETTLE_MS = 150;
/** Above this exact-drawing time (ms), pan and zoom move the last picture and redraw exactly when idle. */
const LIVE_REDRAW_MS = 24;
/** Margin (CSS px) around the domain when the camera fits it. */
const FIT_MARGIN = 24;

/** @type {import("@anywidget/types").Render<Model>} */
function render({ model, el, experimental }) {
  const layout = createLayout(el, model.get("height"));
  const renderer = new SceneRenderer(layout.base);
  const overlayCtx = /** @type {CanvasRenderingContext2D} */ (layout.overlay.getContext("2d"));
  const camera = new Camera(1, model.get("height"));
  let theme = readTheme(layout.root);
  const updateTheme = () => {
    theme = readTheme(layout.root); // CSS variables resolve only once the output is in the page
    layout.root.style.colorScheme = theme.dark ? "dark" : "light"; // the slider and buttons follow it
  };
  let dpr = window.devicePixelRatio || 1;

  /** @type {import("./decode.js").Geometry | null} */
  let geometry = null;
  /** @type {import("./decode.js").Style | null} */
  let style = null;
  /** @type {RegionIndex | null} */
  let index = null;
  /** @type {import("./data.js").DataSet | null} */
  let data = null;
  /** @type {HTMLCanvasElement[] | null} */
  let thumbnails = null;
  /** plane frame the camera was last fitted to; null = fit on the next geometry */
  let fittedFrame = /** @type {number | null} */ (null);
  /** @type {Array<[number, number]>} */
  let anchors = model.get("anchors_2d").map(([u, v]) => [u, v]);
  let dragging = -1;
  let hoverAnchor = -1;
  /** @type {string | null} JSON of the last view this view sent, to recognise its echo */
  let sentView = null;
  const aborts = new AbortController();

  // --- painting, coalesced into animation frames -------------------------------------
  let rafId = 0;
  let wantExact = false;
  let wantPreview = false;
  const paint = () => {
    rafId = 0;
    if (wantExact || (wantPreview && !renderer.preview(camera, theme))) {
      renderer.render(geometry, style, camera, theme);
      // for automation: which computation is on screen, and how long drawing it took
      layout.root.dataset.drawnSeq = String(geometry ? geometry.seq : -1);
      layout.root.dataset.drawMs = renderer.lastMs.toFixed(1);
    }
    layout.root.dataset.view = JSON.stringify(camera.visibleRect()); // for automation: the plane window shown
    wantExact = wantPreview = false;
    paintOverlay();
  };
  /** @param {"exact" | "preview" | "overlay"} what */
  const schedule = (what) => {
    if (what === "exact") wantExact = true;
    if (what === "preview") wantPreview = true;
    if (!rafId) rafId = requestAnimationFrame(paint);
  };
  const paintOverlay = () => {
    overlayCtx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawOverlay(overlayCtx, camera.width, camera.height,
      {
        anchors, labels: model.get("anchor_labels"), active: dragging >= 0 ? dragging : hoverAnchor,
        geometry, region: tips.region, data: shownData(), sample: tips.sample, thumbnails,
      },
      camera, theme);
  };
  /** the data points, when they belong to the plane on screen */
  const shownData = () => (data && geometry && data.frame === geometry.frame && data.n > 0 ? data : null);
  const settleExact = debounce(() => schedule("exact"), 120);
  const cameraMoved = () => {
    if (renderer.lastMs <= LIVE_REDRAW_MS) schedule("exact");
    else {
      schedule("preview");
      settleExact.call();
    }
  };

  // --- sizing and theme ----------------------------------------------------------------
  const resize = () => {
    dpr = window.devicePixelRatio || 1;
    updateTheme();
    const width = layout.root.clientWidth || 1;
    const height = model.get("height");
    layout.root.style.height = `${height}px`;
    camera.resize(width, height);
    renderer.resize(width, height, dpr);
    layout.overlay.width = Math.round(width * dpr);
    layout.overlay.height = Math.round(height * dpr);
    layout.overlay.style.width = `${width}px`;
    layout.overlay.style.height = `${height}px`;
    if (fittedFrame === null || model.get("view") === null) fitCamera();
    schedule("exact");
  };
  const fitCamera = () => {
    const view = model.get("view");
    if (view) camera.fit(view);
    else if (geometry) {
      camera.fit(boundsOf([...geometry.domain, ...anchors]), FIT_MARGIN);
      fittedFrame = geometry.frame;
    }
  };
  const resizeObserver = new ResizeObserver(resize);
  resizeObserver.observe(layout.root);
  const themeObserver = new MutationObserver(() => {
    updateTheme();
    schedule("exact");
  });
  themeObserver.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"] });
  const onWindowResize = () => {
    if ((window.devicePixelRatio || 1) !== dpr) resize();
  };
  window.addEventListener("resize", onWindowResize);

  // --- trait changes -------------------------------------------------------------------
  /** @type {Map<string, string>} why the front end could not read a trait, by trait */
  const decodeErrors = new Map();
  /**
   * @template T
   * @param {keyof Model} trait
   * @param {string} what  the trait, in words
   * @param {(raw: any) => T} decode
   * @returns {T | null}
   */
  const read = (trait, what, decode) => {
    try {
      const value = decode(model.get(trait));
      decodeErrors.delete(trait);
      return value;
    } catch (err) {
      decodeErrors.set(trait, `the front end could not read ${what}: ${err}`);
      return null;
    }
  };
  const onGeometry = () => {
    awaitingSince = -Infinity;
    if (dragging >= 0) anchorSync.call();
    geometry = read("geometry", "the partition", decodeGeometry);
    index = null;
    onStyle();
    if (geometry && (fittedFrame !== geometry.frame || fittedFrame === null) && model.get("view") === null) fitCamera();
    tips.refresh();
    schedule("exact");
  };
  const onStyle = () => {
    const s = read("coloring", "the colours", decodeStyle);
    style = s && geometry && s.seq === geometry.seq && s.fill.length === geometry.nRegions ? s : null;
    showLegend();
    updateStatus();
    schedule("exact");
  };
  const onData = () => {
    data = read("data", "the data points", decodeData);
    showLegend();
    updateStatus();
    tips.refresh();
    schedule("overlay");
  };
  const showLegend = () => {
    const points = shownData();
    renderLegend(layout.legend, [style ? style.legend : null, points ? dataLegend(points) : null]);
  };
  const onAnchorImages = () => {
    thumbnails = read("anchor_images", "the anchor pictures", decodeAnchorImages);
    updateStatus();
    schedule("overlay");
  };
  const onAnchors = () => {
    if (dragging >= 0) return;
    anchors = model.get("anchors_2d").map(([u, v]) => [u, v]);
    schedule("overlay");
  };
  const onView = () => {
    const view = model.get("view");
    if (view === null) {
      sentView = null;
      fittedFrame = null;
      fitCamera();
      schedule("exact");
    } else if (JSON.stringify(view) !== sentView) {
      camera.fit(view);
      schedule("exact");
    }
  };
  const onHeight = () => resize();
  const updateStatus = () => {
    const status = model.get("status") ?? { state: "idle", message: "" };
    const computing = status.state === "computing";
    const parts = [];
    if (geometry) {
      const n = geometry.nRegions;
      parts.push(`${n.toLocaleString()} region${n === 1 ? "" : "s"}${geometry.partial ? " so far" : ""}`);
    }
    if (style) parts.push(`colour: ${style.mode}`);
    if (computing) parts.push(status.n_layers ? `computing layer ${status.layer + 1} of ${status.n_layers}` : "computing…");
    layout.status.textContent = parts.join(" · ");
    const fraction = computing ? (status.n_layers ? (status.layer + 1) / status.n_layers : 0.05) : 0;
    layout.progress.style.width = `${Math.round(fraction * 100)}%`;
    layout.progress.style.display = computing ? "block" : "none";
    const error = model.get("error") ?? decodeErrors.values().next().value ?? null;
    layout.banner.textContent = error ?? "";
    layout.banner.style.display = error ? "block" : "none";
    layout.banner.classList.toggle("scw-warn", status.state === "budget");
  };
  /** @type {Array<[string, () => void]>} */
  const handlers = [
    ["change:geometry", onGeometry],
    ["change:coloring", onStyle],
    ["change:anchors_2d", onAnchors],
    ["change:anchor_labels", () => schedule("overlay")],
    ["change:view", onView],
    ["change:status", updateStatus],
    ["change:error", () => {
      awaitingSince = -Infinity;
      updateStatus();
    }],
    ["change:height", onHeight],
    ["change:data", onData],
    ["change:anchor_images", onAnchorImages],
    ["change:link_group", () => link.join(model.get("link_group") ?? "")],
  ];
  for (const [event, fn] of handlers) model.on(event, fn);

  // --- tooltip -------------------------------------------------------------------------
  /** @param {number} u @param {number} v */
  const regionAt = (u, v) => {
    if (!geometry) return -1;
    index ??= new RegionIndex(geometry.vertices, geometry.offsets);
    return index.regionAt(u - geometry.shift[0], v - geometry.shift[1]);
  };
  const tips = new Tips(layout.tooltip, experimental, aborts.signal, {
    camera,
    geometry: () => geometry,
    data: shownData,
    regionAt,
    anchorLabels: () => model.get("anchor_labels"),
    changed: () => schedule("overlay"),
  });

  // --- interaction ---------------------------------------------------------------------
  /** when the last anchor update was sent, until a geometry (or an error) comes back */
  let awaitingSince = -Infinity;
  const sendAnchors = () => {
    const sent = model.get("anchors_2d");
    if (sent.every(([u, v], i) => u === anchors[i][0] && v === anchors[i][1])) return;
    model.set("anchors_2d", anchors.map(([u, v]) => [u, v]));
    model.save_changes();
    awaitingSince = performance.now();
  };
  const anchorSync = throttle(sendAnchors, ANCHOR_SYNC_MS);
  const viewSync = debounce(() => {
    const view = camera.visibleRect();
    sentView = JSON.stringify(view);
    model.set("view", view);
    model.save_changes();
  }, VIEW_SETTLE_MS);

  const detach = attachInteraction(layout.overlay, {
    anchorAt: (x, y) => handleAt(anchors.map(([u, v]) => camera.toScreen(u, v)), x, y, HANDLE_RADIUS),
    onAnchorMove: (i, x, y) => {
      dragging = i;
      anchors[i] = camera.toPlane(x, y);
      schedule("overlay");
      if (performance.now() - awaitingSince > ANCHOR_AWAIT_MS) anchorSync.call();
    },
    onAnchorRelease: () => {
      anchorSync.cancel();
      sendAnchors();
      dragging = -1;
      schedule("overlay");
    },
    onPan: (dx, dy) => {
      camera.panBy(dx, dy);
      tips.close();
      cameraMoved();
      share();
    },
    onZoom: (x, y, factor) => {
      camera.zoomAt(x, y, factor);
      tips.place();
      cameraMoved();
      share();
    },
    onCameraEnd: () => viewSync.call(),
    onHover: (x, y) => {
      const anchor = handleAt(anchors.map(([u, v]) => camera.toScreen(u, v)), x, y, HANDLE_RADIUS);
      if (anchor !== hoverAnchor) {
        hoverAnchor = anchor;
        schedule("overlay");
      }
      tips.hover(x, y, anchor >= 0);
    },
    onLeave: () => {
      hoverAnchor = -1;
      tips.leave();
      schedule("overlay");
    },
    onClick: (x, y) => tips.click(x, y),
    onReset: () => {
      model.set("view", null);
      model.save_changes();
      onView();
      share();
    },
  });

  // --- linked viewports: a user's camera move shows the same window in the group's other views
  const link = new Link((shared) => {
    camera.lookAt(shared.cu, shared.cv, shared.scale);
    tips.close();
    cameraMoved();
    // as if this view's user had moved it; a view of the leader's own model gets the view with it
    if (shared.source !== model) viewSync.call();
  });
  const share = () => link.broadcast({ cu: camera.cu, cv: camera.cv, scale: camera.scale, source: model });
  link.join(model.get("link_group") ?? "");

  const detachSlider = attachCheckpointSlider(layout.controls, model);
  onGeometry();
  onData();
  onAnchorImages();
  resize();

  return () => {
    detach();
    detachSlider();
    link.leave();
    aborts.abort();
    anchorSync.cancel();
    viewSync.cancel();
    settleExact.cancel();
    if (rafId) cancelAnimationFrame(rafId);
    for (const [event, fn] of handlers) model.off(event, fn);
    resizeObserver.disconnect();
    themeObserver.disconnect();
    window.removeEventListener("resize", onWindowResize);
    el.replaceChildren();
  };
}

export default { render };
