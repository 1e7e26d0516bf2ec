// SplineCamWidget front end: wires the model's traits to the view state, the painting, the
// hit test, the interaction, the tooltip, the checkpoint slider and the linked viewports. No
// geometry is computed here; the timing rules live in paint.js, anchor_sync.js and view_sync.js.

import { decodeGeometry, decodeStyle } from "./decode.js";
import { decodeData, dataLegend } from "./data.js";
import { decodeAnchorImages } from "./thumbnails.js";
import { Camera, boundsOf } from "./camera.js";
import { Painter } from "./paint.js";
import { RegionIndex, handleAt } from "./pick.js";
import { attachInteraction } from "./interact.js";
import { Tips } from "./tips.js";
import { renderLegend } from "./legend.js";
import { showStatus } from "./status.js";
import { attachCheckpointSlider } from "./controls.js";
import { Link } from "./link.js";
import { createLayout } from "./layout.js";
import { readTheme } from "./theme.js";
import { createViewState, shownData } from "./view_state.js";
import { AnchorSync } from "./anchor_sync.js";
import { ViewSync } from "./view_sync.js";

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
/** Margin (CSS px) around the domain when the camera fits it. */
const FIT_MARGIN = 24;

/** @type {import("@anywidget/types").Render<Model>} */
function render({ model, el, experimental }) {
  // --- the view: its DOM, camera and state, the painting, the tooltip, the syncing with Python
  const layout = createLayout(el, model.get("height"));
  const camera = new Camera(1, model.get("height"));
  const state = createViewState(model.get("anchors_2d"), layout.root);
  const painter = new Painter(layout, camera, state, () => ({
    anchors: state.anchors,
    labels: model.get("anchor_labels"),
    active: state.dragging >= 0 ? state.dragging : state.hoverAnchor,
    geometry: state.geometry,
    region: tips.region,
    data: shownData(state),
    sample: tips.sample,
    thumbnails: state.thumbnails,
  }));
  const anchorSync = new AnchorSync(model, state);
  const viewSync = new ViewSync(model, camera, {
    fitDomain: () => {
      state.fittedFrame = null;
      fitCamera();
      painter.schedule("exact");
    },
    redraw: () => painter.schedule("exact"),
  });
  const aborts = new AbortController();
  const tips = new Tips(layout.tooltip, experimental, aborts.signal, {
    camera,
    geometry: () => state.geometry,
    data: () => shownData(state),
    regionAt: (u, v) => {
      const { geometry } = state;
      if (!geometry) return -1;
      state.index ??= new RegionIndex(geometry.vertices, geometry.offsets);
      return state.index.regionAt(u - geometry.shift[0], v - geometry.shift[1]);
    },
    anchorLabels: () => model.get("anchor_labels"),
    changed: () => painter.schedule("overlay"),
  });

  // --- sizing and theme ----------------------------------------------------------------
  const updateTheme = () => {
    state.theme = readTheme(layout.root); // CSS variables resolve only once the output is in the page
    layout.root.style.colorScheme = state.theme.dark ? "dark" : "light"; // the slider and buttons follow it
  };
  const resize = () => {
    state.dpr = window.devicePixelRatio || 1;
    updateTheme();
    const width = layout.root.clientWidth || 1;
    const height = model.get("height");
    layout.root.style.height = `${height}px`;
    camera.resize(width, height);
    painter.resize(width, height, state.dpr);
    if (state.fittedFrame === null || model.get("view") === null) fitCamera();
    painter.schedule("exact");
  };
  const fitCamera = () => {
    const view = model.get("view");
    if (view) camera.fit(view);
    else if (state.geometry) {
      camera.fit(boundsOf([...state.geometry.domain, ...state.anchors]), FIT_MARGIN);
      state.fittedFrame = state.geometry.frame;
    }
  };
  const resizeObserver = new ResizeObserver(resize);
  resizeObserver.observe(layout.root);
  const themeObserver = new MutationObserver(() => {
    updateTheme();
    painter.schedule("exact");
  });
  themeObserver.observe(document.body, {
    attributes: true,
    attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"],
  });
  const onWindowResize = () => {
    if ((window.devicePixelRatio || 1) !== state.dpr) resize();
  };
  window.addEventListener("resize", onWindowResize);

  // --- trait changes -------------------------------------------------------------------
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
      state.decodeErrors.delete(trait);
      return value;
    } catch (err) {
      state.decodeErrors.set(trait, `the front end could not read ${what}: ${err}`);
      return null;
    }
  };
  const onGeometry = () => {
    anchorSync.drawn();
    state.geometry = read("geometry", "the partition", decodeGeometry);
    state.index = null;
    onStyle();
    const { geometry, fittedFrame } = state;
    if (geometry && (fittedFrame !== geometry.frame || fittedFrame === null) && model.get("view") === null) fitCamera();
    tips.refresh();
    painter.schedule("exact");
  };
  const onStyle = () => {
    const { geometry } = state;
    const s = read("coloring", "the colours", decodeStyle);
    state.style = s && geometry && s.seq === geometry.seq && s.fill.length === geometry.nRegions ? s : null;
    showLegend();
    updateStatus();
    painter.schedule("exact");
  };
  const onData = () => {
    state.data = read("data", "the data points", decodeData);
    showLegend();
    updateStatus();
    tips.refresh();
    painter.schedule("overlay");
  };
  const showLegend = () => {
    const points = shownData(state);
    renderLegend(layout.legend, [state.style ? state.style.legend : null, points ? dataLegend(points) : null]);
  };
  const onAnchorImages = () => {
    state.thumbnails = read("anchor_images", "the anchor pictures", decodeAnchorImages);
    updateStatus();
    painter.schedule("overlay");
  };
  const updateStatus = () =>
    showStatus(layout, {
      status: model.get("status"),
      error: model.get("error") ?? state.decodeErrors.values().next().value ?? null,
      geometry: state.geometry,
      style: state.style,
    });
  const onAnchors = () => {
    if (anchorSync.received()) painter.schedule("overlay");
  };
  const onError = () => {
    anchorSync.failed();
    updateStatus();
  };
  /** @type {Array<[string, () => void]>} */
  const handlers = [
    ["change:geometry", onGeometry],
    ["change:coloring", onStyle],
    ["change:anchors_2d", onAnchors],
    ["change:anchor_labels", () => painter.schedule("overlay")],
    ["change:view", () => viewSync.received()],
    ["change:status", updateStatus],
    ["change:error", onError],
    ["change:height", () => resize()],
    ["change:data", onData],
    ["change:anchor_images", onAnchorImages],
    ["change:link_group", () => link.join(model.get("link_group") ?? "")],
  ];
  for (const [event, fn] of handlers) model.on(event, fn);

  // --- interaction ---------------------------------------------------------------------
  /** @param {number} x @param {number} y  a CSS point @returns {number} the anchor whose handle is there, or -1 */
  const anchorAt = (x, y) => {
    const handles = state.anchors.map(([u, v]) => camera.toScreen(u, v));
    return handleAt(handles, x, y, HANDLE_RADIUS);
  };
  /** this view's user moved the camera: the group's other views follow */
  const share = () => link.broadcast({ cu: camera.cu, cv: camera.cv, scale: camera.scale, source: model });
  const detach = attachInteraction(layout.overlay, {
    anchorAt,
    onAnchorMove: (i, x, y) => {
      anchorSync.move(i, camera.toPlane(x, y));
      painter.schedule("overlay");
    },
    onAnchorRelease: () => {
      anchorSync.release();
      painter.schedule("overlay");
    },
    onPan: (dx, dy) => {
      camera.panBy(dx, dy);
      tips.close();
      painter.cameraMoved();
      share();
    },
    onZoom: (x, y, factor) => {
      camera.zoomAt(x, y, factor);
      tips.place();
      painter.cameraMoved();
      share();
    },
    onCameraEnd: () => viewSync.moved(),
    onHover: (x, y) => {
      const anchor = anchorAt(x, y);
      if (anchor !== state.hoverAnchor) {
        state.hoverAnchor = anchor;
        painter.schedule("overlay");
      }
      tips.hover(x, y, anchor >= 0);
    },
    onLeave: () => {
      state.hoverAnchor = -1;
      tips.leave();
      painter.schedule("overlay");
    },
    onClick: (x, y) => tips.click(x, y),
    onReset: () => {
      viewSync.reset();
      share();
    },
  });

  // --- linked viewports: a user's camera move shows the same window in the group's other views
  const link = new Link((shared) => {
    camera.lookAt(shared.cu, shared.cv, shared.scale);
    tips.close();
    painter.cameraMoved();
    // as if this view's user had moved it; a view of the leader's own model gets the view with it
    if (shared.source !== model) viewSync.moved();
  });
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
    painter.cancel();
    for (const [event, fn] of handlers) model.off(event, fn);
    resizeObserver.disconnect();
    themeObserver.disconnect();
    window.removeEventListener("resize", onWindowResize);
    el.replaceChildren();
  };
}

export default { render };
