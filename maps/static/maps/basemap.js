// The base map of every Leaflet map of the site (home, forms, detail and commune
// pages): the street maps of settings.MAP_BASE_LAYERS, the first one by default, and,
// when no tile server answers (state networks often block them), our own outlines
// (départements, then communes when zoomed in) with a one-line notice.
// Settings come from the page's `map-base-config` json_script (templates/base.html).
// A page may set data-focus-bbox="west,south,east,north" on <body> to start there.
// Panes keep the data above the base map: outlines (250) < tiles of data (350) <
// overlays (400) < markers (600), so markers are always on top and clickable.
(function () {
  "use strict";
  const PROBE_MS = 4000; // no tile in this time: the tile server does not answer
  let config = null;
  let departements = null;

  function settings() {
    if (!config) {
      const node = document.getElementById("map-base-config");
      config = node ? JSON.parse(node.textContent) : { baseLayers: [], text: {} };
    }
    return config;
  }

  function bboxParam(map) {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(4)).join(",");
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status} ${url}`);
    return response.json();
  }

  function createPanes(map) {
    for (const [name, zIndex] of [["outlines", 250], ["datatiles", 350]]) {
      if (!map.getPane(name)) map.createPane(name).style.zIndex = zIndex;
    }
    // Outlines never catch a click meant for the data above them.
    map.getPane("outlines").style.pointerEvents = "none";
  }

  // Thin lines, no fill, not interactive: a base map, not data.
  function outlinesLayer(map) {
    const cfg = settings();
    const group = L.layerGroup([], { attribution: cfg.outlinesAttribution });
    const line = { pane: "outlines", interactive: false, fill: false, color: "#3a5670", opacity: 0.9 };
    const deps = L.geoJSON(null, { style: { ...line, weight: 1.2 }, pane: "outlines", interactive: false }).addTo(group);
    const communes = L.geoJSON(null, { style: { ...line, weight: 0.6, dashArray: "3 3" }, pane: "outlines", interactive: false }).addTo(group);
    async function loadCommunes() {
      if (!map.hasLayer(group)) return;
      if (map.getZoom() < 10) return communes.clearLayers();
      try {
        const data = await getJson(`${cfg.territoriesUrl}?level=commune&page_size=300&in_bbox=${bboxParam(map)}`);
        communes.clearLayers().addData(data);
      } catch (error) {
        communes.clearLayers();
      }
    }
    group.on("add", async () => {
      map.on("moveend", loadCommunes);
      loadCommunes();
      if (!deps.getLayers().length) {
        departements = departements || getJson(`${cfg.territoriesUrl}?level=departement&page_size=200`);
        const data = await departements;
        deps.addData(data);
        map.getContainer().dataset.outlines = data.features.length;
      }
    });
    group.on("remove", () => map.off("moveend", loadCommunes));
    return group;
  }

  function noticeControl(text) {
    const control = L.control({ position: "bottomleft" });
    control.onAdd = () => {
      const div = L.DomUtil.create("div", "map-notice");
      div.setAttribute("role", "status");
      div.textContent = text;
      return div;
    };
    return control;
  }

  function tileLayer(layer) {
    return L.tileLayer(layer.url, {
      attribution: layer.attribution,
      maxZoom: layer.maxZoom || 19,
      maxNativeZoom: layer.maxZoom || 19,
      crossOrigin: false,
    });
  }

  // Shows `layer`; if none of its first tiles arrives, swaps it for the outlines.
  function watchTiles(map, layer, fallBack) {
    let loaded = false;
    let failed = false;
    const fail = () => {
      if (loaded || failed || !map.hasLayer(layer)) return;
      failed = true;
      fallBack(layer);
    };
    layer.on("tileload", () => { loaded = true; });
    layer.on("tileerror", () => setTimeout(fail, 300)); // one good tile may follow
    setTimeout(fail, PROBE_MS);
  }

  // Leaflet writes its controls' titles in English: put the page's words there.
  function translateZoom(map) {
    const words = settings().controls || {};
    const zoom = map.zoomControl;
    if (!zoom || !words.zoomIn) return;
    for (const [button, label] of [[zoom._zoomInButton, words.zoomIn], [zoom._zoomOutButton, words.zoomOut]]) {
      if (!button) continue;
      button.title = label;
      button.setAttribute("aria-label", label);
    }
  }

  // The layers control, titled in the page's language and hidden while it offers
  // no choice (one base map, no overlay): Leaflet would show an empty white box.
  function layersControl(map, bases) {
    const words = settings().controls || {};
    const control = L.control.layers(bases, {}, { collapsed: true, position: "topright" });
    const update = control._update;
    control._update = function () {
      const result = update.call(this);
      const overlays = this._layers.filter((entry) => entry.overlay).length;
      const choices = overlays + (this._layers.length - overlays > 1 ? 1 : 0);
      this.getContainer().hidden = choices === 0;
      return result;
    };
    control.addTo(map);
    const toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle && words.layers) {
      toggle.title = words.layers;
      toggle.setAttribute("aria-label", words.layers);
    }
    return control;
  }

  function setUp(map) {
    if (map._terrainBase) return map._terrainBase;
    const cfg = settings();
    createPanes(map);
    translateZoom(map);
    map.attributionControl.setPrefix(false);
    const outlines = outlinesLayer(map);
    const bases = {};
    for (const layer of cfg.baseLayers) bases[layer.name] = tileLayer(layer);
    bases[cfg.text.outlines] = outlines;
    const notice = noticeControl(cfg.text.unavailable);
    const first = Object.values(bases)[0];
    function fallBack(layer) {
      map.removeLayer(layer);
      outlines.addTo(map);
      notice.addTo(map);
      map.getContainer().dataset.baseMap = "outlines";
    }
    map.on("baselayerchange", (event) => {
      if (event.layer !== outlines) {
        notice.remove();
        map.getContainer().dataset.baseMap = event.name;
        watchTiles(map, event.layer, fallBack);
      }
    });
    first.addTo(map);
    map.getContainer().dataset.baseMap = first === outlines ? "outlines" : cfg.baseLayers[0].name;
    if (first !== outlines) watchTiles(map, first, fallBack);
    const control = layersControl(map, bases);
    map._terrainBase = { control, outlines, bases };
    return map._terrainBase;
  }

  function focus(map) {
    const value = document.body.dataset.focusBbox;
    if (!value) return;
    const [west, south, east, north] = value.split(",").map(Number);
    // After the form widget has set its own view (it fits an existing geometry).
    setTimeout(() => {
      if (!map._terrainKeepView) map.fitBounds([[south, west], [north, east]]);
    }, 0);
  }

  window.TerrainBase = { setUp, settings, getJson, bboxParam };
  window.addEventListener("map:init", (event) => {
    const map = event.detail.map;
    setUp(map);
    if (map.getContainer().id !== "main-map") focus(map);
  });
})();
