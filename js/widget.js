// SplineCamWidget front end: wires the model's traits to the view state, the painting, the
// hit test, the interaction (pointer and keys), the tooltip, the toolbar, the legend, the
// checkpoint slider and the linked viewports. No geometry is computed here; the timing rules live
// in paint.js, anchor_sync.js and view_sync.js, the requests to Python in channel.js.

import { decodeGeometry, decodeStyle } from "./decode.js";
import { decodeData, dataLegend } from "./data.js";
import { decodeAnchorImages } from "./thumbnails.js";
import { Camera, boundsOf } from "./camera.js";
import { Painter } from "./paint.js";
import { RegionIndex, handleAt } from "./pick.js";
import { attachInteraction } from "./interact.js";
import { attachKeyboard } from "./keyboard.js";
import { Tips } from "./tips.js";
import { LegendPanel } from "./legend.js";
import { showStatus } from "./status.js";
import { attachCheckpointSlider } from "./controls.js";
import { Toolbar, PARTS } from "./toolbar.js";
import { Channel } from "./channel.js";
import { downloadView } from "./download.js";
import { Link } from "./link.js";
import { createLayout, placeStatus } from "./layout.js";
import { readTheme, watchTheme } from "./theme.js";
import { createViewState, planeData, shownData } from "./view_state.js";
import { AnchorSync } from "./anchor_sync.js";
import { ViewSync } from "./view_sync.js";
import { renderSharedLegend } from "./legend_view.js";

/**
 * @typedef {object} Model
 * @property {any} geometry
 * @property {any} coloring
 * @property {Array<[number, number]>} anchors_2d
 * @property {string[]} anchor_labels
 * @property {[number, number, number, number] | null} view
 * @property {import("./status.js").Status} status
 * @property {string | null} error
 * @property {number} height
 * @property {any} data            data points near the plane (see data.js), or null
 * @property {any} anchor_images   { shape: [h, w], rgba: [3 buffers] } pictures of the anchors, or null
 * @property {number} checkpoint   checkpoint shown; the slider sets it
 * @property {string[]} checkpoint_labels  one per checkpoint (slider shown from 2)
 * @property {string} link_group   views of models with the same non-empty group share their camera
 * @property {string} color_by     colour mode; the toolbar sets it
 * @property {string[]} visible    what is drawn over the regions; the toolbar sets it
 * @property {boolean} toolbar     show the toolbar
 * @property {boolean} legend      show the legend
 * @property {boolean} can_undo    Python has an anchor move to undo
 */

/** Pointer moves closer than this (CSS px) to a handle grab it. */
const HANDLE_RADIUS = 12;
/** Margin (CSS px) around the domain when the camera fits it. */
const FIT_MARGIN = 24;
/** How long (ms) to wait for the kernel's first answer (it may be busy running a long cell). */
const HELLO_TIMEOUT_MS = 24 * 3600 * 1000;

/**
 * @param {{ model: import("@anywidget/types").AnyModel<Model>, el: HTMLElement }} props
 * @returns {() => void} cleanup
 */
function renderView({ model, el }) {
  // --- the view: its DOM, camera and state, the painting, the tooltip, the syncing with Python
  const layout = createLayout(el, model.get("height"));
  const camera = new Camera(1, model.get("height"));
  const state = createViewState(model.get("anchors_2d"), layout.root, model.get("visible"));
  const showsAnchors = () => state.visible.has("anchors");
  const painter = new Painter(layout, camera, state, () => ({
    anchors: showsAnchors() ? state.anchors : [],
    labels: model.get("anchor_labels"),
    active: state.dragging >= 0 ? state.dragging : state.hoverAnchor,
    geometry: state.geometry,
    region: tips.region,
    data: shownData(state),
    sample: tips.sample,
    thumbnails: showsAnchors() ? state.thumbnails : null,
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
  const channel = new Channel(model);
  const tips = new Tips(layout.tooltip, channel, aborts.signal, {
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
  const legend = new LegendPanel(layout.legend);

  // --- what the toolbar and the keys ask Python for -------------------------------------
  /** @param {string} name @returns {Promise<void>} rejects with Python's error */
  const ask = async (name) => {
    const [answer] = await channel.request(name, {}, { signal: aborts.signal });
    if (answer?.error) throw new Error(answer.error);
  };
  const cancel = () => ask("cancel").catch((err) => toolbar.showNotice(String(err?.message ?? err)));
  const toolbar = new Toolbar(layout.toolbar, model, {
    resetView: () => moves.reset(),
    undo: () => ask("undo_anchor_move"),
    download: (format) => downloadView(channel, format, camera.width, aborts.signal),
    cancel,
  });
  channel
    .request("hello", {}, { signal: aborts.signal, timeout: HELLO_TIMEOUT_MS })
    .then(([answer]) => {
      if (!answer?.ok) return;
      layout.root.dataset.kernel = "live"; // for automation: Python answers
      toolbar.setLive(true);
    })
    .catch(() => {}); // a saved page: no kernel, the controls that need one stay disabled

  // --- sizing and theme ----------------------------------------------------------------
  const updateTheme = () => {
    state.theme = readTheme(layout.root); // CSS variables resolve only once the output is in the page
    layout.root.style.colorScheme = state.theme.dark ? "dark" : "light"; // the slider and buttons follow it
  };
  const resize = () => {
    state.dpr = window.devicePixelRatio || 1;
    updateTheme();
    const height = model.get("height");
    layout.plot.style.height = `${height}px`;
    const width = layout.plot.clientWidth || 1;
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
  resizeObserver.observe(layout.plot);
  const unwatchTheme = watchTheme(() => {
    updateTheme();
    painter.schedule("exact");
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
  const onVisible = () => {
    state.visible = new Set(model.get("visible") ?? PARTS);
    if (!showsAnchors()) state.hoverAnchor = -1;
    onData();
    painter.schedule("exact");
  };
  const showLegend = () => {
    const points = shownData(state);
    const legends = [state.style ? state.style.legend : null, points ? dataLegend(points) : null];
    const shown = legend.show(legends, model.get("legend") !== false);
    layout.body.classList.toggle("scw-legend-beside", shown);
  };
  const onAnchorImages = () => {
    state.thumbnails = read("anchor_images", "the anchor pictures", decodeAnchorImages);
    updateStatus();
    painter.schedule("overlay");
  };
  const updateStatus = () => {
    const status = model.get("status");
    showStatus(layout, {
      status,
      error: model.get("error") ?? state.decodeErrors.values().next().value ?? null,
      geometry: state.geometry,
      style: state.style,
      toolbar: model.get("toolbar") !== false,
    });
    toolbar.update({ status, hasData: planeData(state) !== null });
  };
  const onToolbar = () => {
    placeStatus(layout, toolbar.statusSlot, model.get("toolbar") !== false);
    updateStatus();
  };
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
    ["change:visible", onVisible],
    ["change:toolbar", onToolbar],
    ["change:legend", showLegend],
  ];
  for (const [event, fn] of handlers) model.on(event, fn);

  // --- interaction: pointer and keys move the same camera ---------------------------------
  /** @param {number} x @param {number} y  a CSS point @returns {number} the anchor whose handle is there, or -1 */
  const anchorAt = (x, y) => {
    if (!showsAnchors()) return -1;
    const handles = state.anchors.map(([u, v]) => camera.toScreen(u, v));
    return handleAt(handles, x, y, HANDLE_RADIUS);
  };
  /** this view's user moved the camera: the group's other views follow */
  const share = () => link.broadcast({ cu: camera.cu, cv: camera.cv, scale: camera.scale, source: model });
  const moves = {
    /** @param {number} dx @param {number} dy */
    pan: (dx, dy) => {
      camera.panBy(dx, dy);
      tips.close();
      painter.cameraMoved();
      share();
    },
    /** @param {number} x @param {number} y @param {number} factor */
    zoom: (x, y, factor) => {
      camera.zoomAt(x, y, factor);
      tips.place();
      painter.cameraMoved();
      share();
    },
    end: () => viewSync.moved(),
    reset: () => {
      viewSync.reset();
      share();
    },
  };
  const detachPointer = attachInteraction(layout.overlay, {
    anchorAt,
    onAnchorGrab: () => {
      // Python takes the positions before this drag as what undo restores
      channel.request("begin_anchor_move", {}, { signal: aborts.signal }).catch(() => {});
    },
    onAnchorMove: (i, x, y) => {
      anchorSync.move(i, camera.toPlane(x, y));
      painter.schedule("overlay");
    },
    onAnchorRelease: () => {
      anchorSync.release();
      painter.schedule("overlay");
    },
    onPan: moves.pan,
    onZoom: moves.zoom,
    onCameraEnd: moves.end,
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
    onReset: moves.reset,
  });
  const detachKeys = attachKeyboard(layout.root, layout.plot, {
    pan: moves.pan,
    zoom: (factor) => moves.zoom(camera.width / 2, camera.height / 2, factor),
    end: moves.end,
    escape: () => {
      if (model.get("status")?.state === "computing" && toolbar.live) {
        cancel();
        return true;
      }
      if (!tips.tip) return false;
      tips.close();
      painter.schedule("overlay");
      return true;
    },
    size: () => ({ width: camera.width, height: camera.height }),
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
  onToolbar();
  onGeometry();
  onData();
  onAnchorImages();
  resize();

  return () => {
    detachPointer();
    detachKeys();
    detachSlider();
    toolbar.detach();
    legend.detach();
    link.leave();
    aborts.abort();
    channel.close();
    anchorSync.cancel();
    viewSync.cancel();
    painter.cancel();
    for (const [event, fn] of handlers) model.off(event, fn);
    resizeObserver.disconnect();
    unwatchTheme();
    window.removeEventListener("resize", onWindowResize);
    el.replaceChildren();
  };
}

/** @type {import("@anywidget/types").Render<any>} */
function render({ model, el }) {
  // one bundle draws both kinds of model: a view, or the one legend of a comparison's views
  return model.get("part") === "legend" ? renderSharedLegend({ model, el }) : renderView({ model, el });
}

export default { render };
