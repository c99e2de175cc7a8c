// The home map: sites, reserved parking spaces and restricted zones as vector tiles
// from our server (Leaflet.VectorGrid, fetched by deploy/fetch_vendor.py), over the
// base map of basemap.js. Filters change the tiles, the list and the export links;
// the URL hash (#zoom/lat/lon&filter=value) is a permalink; a click or a button of
// the list beside the map opens a site's key figures in the side panel.
// Signed-in users may also show interventions (a checkbox of the legend). Anonymous
// visitors get the sites layer as published aggregates only (counts per département,
// then per commune, never a site): the server decides, this script only draws.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const text = config.text;
  const SITE_ZOOM = 13; // from here the tiles hold one point per site
  const LIST_LIMIT = 50;
  const filters = {};
  const tileFeatures = {}; // layer name -> tile key -> [{props, latlng}]
  let map = null;

  const $ = (id) => document.getElementById(id);
  const format = (template, value) => template.replace("%s", value);

  // --- URLs --------------------------------------------------------------------

  function query(extra) {
    const params = new URLSearchParams(extra || {});
    for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
    return params.toString();
  }

  function tileUrl(layer, withFilters) {
    const base = config.tilesUrl.replace("{layer}", layer);
    const q = withFilters ? query() : "";
    return q ? `${base}?${q}` : base;
  }

  function updateLinks() {
    if (!config.signedIn) return;
    const listQuery = query();
    $("link-list").href = config.siteListUrl + (listQuery ? `?${listQuery}` : "");
    $("link-csv").href = `${config.exportUrl}?${query({ format_type: "csv" })}`;
    $("link-geojson").href = `${config.exportUrl}?${query({ format_type: "geojson" })}`;
  }

  // --- permalink: #zoom/lat/lon&name=value ------------------------------------------

  function parseHash(hash) {
    const [view, ...rest] = hash.replace(/^#/, "").split("&");
    const parts = view.split("/").map(Number);
    const state = { filters: {} };
    if (parts.length === 3 && parts.every(Number.isFinite)) {
      state.zoom = parts[0];
      state.center = [parts[1], parts[2]];
    }
    for (const [name, value] of new URLSearchParams(rest.join("&"))) {
      if (config.filterNames.includes(name)) state.filters[name] = value;
    }
    return state;
  }

  function currentHash() {
    const c = map.getCenter();
    const q = query();
    return `#${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}${q ? "&" + q : ""}`;
  }

  function writeHash() {
    const hash = currentHash();
    if (window.location.hash !== hash) history.replaceState(null, "", hash);
    const link = $("permalink");
    if (link) link.href = hash;
  }

  function applyHash() {
    const state = parseHash(window.location.hash);
    for (const name of config.filterNames) {
      filters[name] = state.filters[name] || "";
      const input = $(`filter-${name}`);
      if (input) input.value = filters[name];
    }
    if (state.center) map.setView(state.center, state.zoom);
    return Boolean(state.center);
  }

  // --- vector tiles --------------------------------------------------------------

  // Protobuf tiles that also tell which features they hold (for labels and the list),
  // and stay silent when the tile server is missing or fails (404, network error).
  const FeatureTiles = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise(coords, tileBounds) {
      const parent = L.VectorGrid.Protobuf.prototype._getVectorTilePromise;
      return parent.call(this, coords, tileBounds)
        .catch(() => ({ layers: {} }))
        .then((tile) => {
          this.fire("features", { coords, tile });
          return tile;
        });
    },
    // VectorGrid's points are circle markers without a latlng: Leaflet would take a
    // small one for a marker and read its missing latlng on click. Without the
    // method, Leaflet places the click where the pointer is, and the click works.
    _createLayer(feat, pxPerExtent, layerStyle) {
      const layer = L.VectorGrid.prototype._createLayer.call(this, feat, pxPerExtent, layerStyle);
      if (layer && feat.type === 1) layer.getLatLng = null;
      return layer;
    },
  });

  function featureLatLng(feature, extent, coords) {
    const point = feature.geometry[0][0] || feature.geometry[0];
    const size = 256;
    return map.unproject(
      [(coords.x + point.x / extent) * size, (coords.y + point.y / extent) * size], coords.z);
  }

  function vectorLayer(name, style, options) {
    const layer = new FeatureTiles(tileUrl(name, options.filtered), {
      pane: options.pane,
      interactive: true,
      maxNativeZoom: 16,
      minZoom: options.minZoom || 0,
      vectorTileLayerStyles: { [name]: style },
      getFeatureId: (feature) => feature.properties.id || feature.properties.code,
    });
    layer.on("features", ({ coords, tile }) => {
      const key = `${coords.x}:${coords.y}:${coords.z}`;
      const source = tile.layers[name];
      tileFeatures[name] = tileFeatures[name] || {};
      if (!source || !source.features || source.geom_type === 3) return;
      tileFeatures[name][key] = source.features
        .filter((f) => f.type === 1)
        .map((f) => ({ props: f.properties, latlng: featureLatLng(f, source.extent, coords) }));
      labels.refresh();
      featureList.refresh();
    });
    layer.on("tileunload", ({ coords }) => {
      if (tileFeatures[name]) delete tileFeatures[name][`${coords.x}:${coords.y}:${coords.z}`];
      labels.refresh();
    });
    return layer;
  }

  function radius(count) {
    return Math.min(28, 7 + 4 * Math.log10(1 + (count || 0)) * 2);
  }

  function siteStyle(props) {
    if (props.aggregate) {
      return { radius: radius(props.count), fill: true, fillColor: "#a93226", fillOpacity: 0.8, color: "#ffffff", weight: 2 };
    }
    const open = props.status === "open";
    return { radius: 6, fill: true, fillColor: open ? "#d62d20" : "#7f8c8d", fillOpacity: 0.95, color: "#4a0d07", weight: 1.5 };
  }

  // A ring around the site (or on the territory) the intervention works on: the
  // site's own dot stays visible and clickable in the middle.
  // Smaller when zoomed out, where many interventions share a few pixels.
  function interventionStyle(props, zoom) {
    const near = zoom >= SITE_ZOOM - 2;
    return { radius: near ? 11 : 6, fill: true, fillOpacity: 0, color: "#117a65", weight: near ? 3 : 2, opacity: 0.9 };
  }

  function parkingStyle(props) {
    const r = props.aggregate ? radius(props.count) * 0.7 : 5;
    return { radius: r, fill: true, fillColor: "#1f6fb2", fillOpacity: 0.85, color: "#ffffff", weight: 1.5 };
  }

  const ZONE_COLOURS = { allowed: "#27ae60", with_card: "#e67e22", forbidden: "#8e44ad" };
  function zoneStyle(props) {
    const colour = ZONE_COLOURS[props.disabled_access] || "#e67e22";
    return { fill: true, fillColor: colour, fillOpacity: 0.2, color: colour, weight: 2, dashArray: "6 4" };
  }

  // Counts written on the aggregate circles (the canvas cannot write text).
  const labels = {
    group: L.layerGroup(),
    refresh() {
      this.group.clearLayers();
      if (!map || !sites || !map.hasLayer(sites)) return;
      for (const item of visibleFeatures("sites")) {
        if (!item.props.aggregate) continue;
        const icon = L.divIcon({ className: "count-label", html: String(item.props.count), iconSize: [40, 16] });
        const marker = L.marker(item.latlng, { icon, keyboard: false, interactive: false });
        this.group.addLayer(marker);
      }
    },
  };

  function visibleFeatures(name) {
    const bounds = map.getBounds();
    // Tiles of the zoom left behind may linger a moment: their aggregates are not
    // what the map shows now (a count with no circle under it).
    const zoom = String(Math.min(16, Math.round(map.getZoom())));
    const seen = new Set();
    const items = [];
    for (const [key, features] of Object.entries(tileFeatures[name] || {})) {
      if (key.split(":")[2] !== zoom) continue;
      for (const item of features) {
        const p = item.props;
        const key = p.id ? `${p.id}:${p.site_id || ""}` : `${p.aggregate}:${p.code}:${item.latlng.lat}`;
        if (seen.has(key) || !bounds.contains(item.latlng)) continue;
        seen.add(key);
        items.push(item);
      }
    }
    return items;
  }

  // --- the list beside the map: the keyboard's way to the features -----------------

  function listButton(label, onClick) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", onClick);
    item.append(button);
    return item;
  }

  function siteLabel(p) {
    const status = config.labels.status[p.status] || p.status || "";
    const people = p.people == null ? "" : `, ${p.people} ${text.people}`;
    return `${p.name || `${text.site} #${p.id}`} (${status}${people})`;
  }

  function aggregateLabel(p) {
    let template = config.signedIn ? text.sitesCount : text.openSitesCount;
    if (p.count === 1) template = text.oneSite;
    // People unknown for every site counted: the people clause (after the comma) goes.
    if (p.people == null) template = template.split(",")[0];
    const counts = template.replace("%(count)s", p.count).replace("%(people)s", p.people);
    // Grid cells have no name: "area" says what the count covers.
    return `${p.name || p.code || text.area}: ${counts}`;
  }

  const featureList = {
    timer: null,
    renders: 0, // an older render finishing late must not overwrite a newer one
    refresh() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.render(), 150);
    },
    async siteItems() {
      if (!sites || !map.hasLayer(sites)) return [];
      if (config.signedIn && map.getZoom() >= SITE_ZOOM) {
        // Exact and named: a small bbox query rather than what the tiles hold.
        const url = `${config.sitesUrl}?${query({ in_bbox: TerrainBase.bboxParam(map), limit: LIST_LIMIT + 1 })}`;
        try {
          const data = await TerrainBase.getJson(url);
          drawApiSites(data);
          return data.features.map((f) => ({ props: { ...f.properties, id: f.id } }));
        } catch (error) {
          return [];
        }
      }
      apiSites.clearLayers();
      return visibleFeatures("sites").filter((item) => item.props.aggregate);
    },
    async render() {
      const list = $("map-features");
      const render = ++this.renders;
      const siteItems = await this.siteItems();
      if (render !== this.renders) return;
      const items = [...siteItems, ...interventionItems()];
      list.replaceChildren(...items.slice(0, LIST_LIMIT).map((item) => {
        const p = item.props;
        if (item.intervention) return interventionLink(p);
        if (!p.aggregate) return listButton(siteLabel(p), () => openSite(p.id));
        return listButton(aggregateLabel(p), () => zoomInto(item));
      }));
      const status = $("features-status");
      if (!items.length) status.textContent = text.noFeature;
      else if (items.length > LIST_LIMIT) status.textContent = format(text.tooMany, LIST_LIMIT);
      else status.textContent = "";
      map.getContainer().dataset.listed = items.length;
    },
  };

  // Where the tiles hold no site (tile server missing or failing), the sites of the
  // bbox query above are drawn as markers: the map stays of use when zoomed in.
  const apiSites = L.layerGroup();

  function drawApiSites(data) {
    apiSites.clearLayers();
    const tilesHoldSites = visibleFeatures("sites").length > 0;
    if (tilesHoldSites) return;
    for (const feature of data.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const style = { ...siteStyle(feature.properties), pane: "sitetiles" };
      L.circleMarker([lat, lon], style)
        .on("click", () => openSite(feature.id))
        .addTo(apiSites);
    }
  }

  function zoomInto(item) {
    // Anonymous visitors: communes are the finest figures there are.
    if (!config.signedIn && item.props.aggregate === "commune") return map.setView(item.latlng, Math.max(map.getZoom(), 11));
    const next = { departement: 8, commune: 11, cell: SITE_ZOOM };
    map.setView(item.latlng, Math.max(map.getZoom() + 1, next[item.props.aggregate] || SITE_ZOOM));
  }

  // --- interventions (signed-in users, off until the legend's checkbox is ticked) ---

  function interventionThemes(p) {
    return (p.themes || "").split(",").filter(Boolean)
      .map((theme) => config.labels.theme[theme] || theme).join(", ");
  }

  function interventionSummary(p) {
    const status = config.labels.interventionStatus[p.status] || p.status || "";
    const parts = [interventionThemes(p), status];
    if (p.year) parts.push(format(text.since, p.year));
    if (p.people != null) parts.push(format(text.interventionPeople, p.people));
    return parts.filter(Boolean).join(" · ");
  }

  function interventionHref(p) {
    return `${config.interventionsUrl}${encodeURIComponent(p.id)}/`;
  }

  // One entry per intervention (the tiles hold one point per linked site).
  function interventionItems() {
    if (!interventions || !map.hasLayer(interventions)) return [];
    const byId = new Map();
    for (const item of visibleFeatures("interventions")) byId.set(item.props.id, item);
    return [...byId.values()].map((item) => ({ ...item, intervention: true }));
  }

  function interventionLink(p) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = interventionHref(p);
    link.textContent = `${text.intervention} #${p.id} (${interventionSummary(p)})`;
    item.append(link);
    return item;
  }

  function interventionPopup(p) {
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = `${text.intervention} #${p.id}`;
    const summary = document.createElement("p");
    summary.textContent = interventionSummary(p);
    const link = document.createElement("a");
    link.href = interventionHref(p);
    link.textContent = text.openIntervention;
    box.append(title, summary, link);
    return box;
  }

  function setUpInterventions() {
    const toggle = $("toggle-interventions");
    if (!toggle) return;
    interventions = vectorLayer("interventions", interventionStyle, { pane: "interventiontiles" });
    interventions.on("click", (event) => {
      L.popup().setLatLng(event.latlng).setContent(interventionPopup(event.layer.properties)).openOn(map);
    });
    const show = (on) => {
      if (on) interventions.addTo(map); else map.removeLayer(interventions);
      toggle.checked = on;
      featureList.refresh();
    };
    toggle.addEventListener("change", () => show(toggle.checked));
    show(toggle.checked);
  }

  // --- the side panel (a bottom sheet on a phone) ---------------------------------

  function addFigure(list, term, value) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value == null || value === "" ? "—" : value;
    list.append(dt, dd);
  }

  async function openSite(id) {
    const panel = $("site-panel");
    const figures = $("site-panel-figures");
    panel.hidden = false;
    figures.replaceChildren();
    $("site-panel-title").textContent = `${text.site} #${id}`;
    const link = $("site-panel-link");
    link.href = `/sites/${encodeURIComponent(id)}/`;
    link.textContent = text.open;
    panel.focus();
    let site;
    try {
      const q = filters.as_of ? `?as_of=${encodeURIComponent(filters.as_of)}` : "";
      site = (await TerrainBase.getJson(`${config.sitesUrl}${encodeURIComponent(id)}/${q}`)).properties;
    } catch (error) {
      addFigure(figures, text.site, text.loadError);
      return;
    }
    const labels = config.labels;
    const condition = (value) => labels.condition[value] || value;
    $("site-panel-title").textContent = site.name || `${text.site} #${id}`;
    addFigure(figures, text.commune, `${site.commune_name || ""} (${site.commune_code || ""})`);
    addFigure(figures, text.status, labels.status[site.status] || site.status);
    addFigure(figures, text.kind, labels.kind[site.kind] || site.kind);
    addFigure(figures, text.people, site.people);
    addFigure(figures, text.households, site.households);
    addFigure(figures, text.minors, site.minors);
    addFigure(figures, text.water, condition(site.water_status));
    addFigure(figures, text.toilets, condition(site.toilets_status));
    addFigure(figures, text.electricity, condition(site.electricity_status));
    panel.dataset.site = id;
  }

  function setUpPanel() {
    const panel = $("site-panel");
    const close = () => { panel.hidden = true; delete panel.dataset.site; };
    $("site-panel-close").addEventListener("click", close);
    panel.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  }

  // --- commune search (kept from the first map) -------------------------------------

  function setUpSearch(highlight) {
    const form = $("commune-search");
    const status = $("commune-search-status");
    const results = $("commune-results");
    const zoomTo = (feature) => {
      highlight.clearLayers();
      L.geoJSON(feature, { pane: "datatiles", interactive: false, style: { color: "#c0392b", weight: 3, fill: false } }).addTo(highlight);
      const [west, south, east, north] = feature.bbox;
      map.fitBounds([[south, west], [north, east]]);
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = form.elements.q.value.trim();
      results.replaceChildren();
      const data = await TerrainBase.getJson(`${config.territoriesUrl}?level=commune&page_size=10&q=${encodeURIComponent(q)}`);
      status.textContent = data.count ? format(text.found, data.count) : text.none;
      if (!data.features.length) return;
      zoomTo(data.features[0]);
      for (const feature of data.features) {
        const item = listButton(`${feature.properties.name} (${feature.properties.code})`, () => zoomTo(feature));
        const page = document.createElement("a");
        page.href = `/communes/${encodeURIComponent(feature.properties.code)}/`;
        page.textContent = text.communePage;
        item.append(" · ", page);
        results.append(item);
      }
    });
  }

  // --- filters --------------------------------------------------------------------

  function setUpFilters() {
    const form = $("map-filters");
    if (!form) return;
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("change", () => {
      for (const name of config.filterNames) filters[name] = form.elements[name].value;
      refreshFilteredLayers();
    });
  }

  function refreshFilteredLayers() {
    if (sites) {
      tileFeatures.sites = {};
      sites.setUrl(tileUrl("sites", true));
    }
    updateLinks();
    writeHash();
    labels.refresh();
    featureList.refresh();
  }

  // --- set-up -------------------------------------------------------------------------

  let sites = null;
  let interventions = null;

  window.terrainMapInit = function (leafletMap) {
    map = leafletMap;
    window.terrainMap = map; // for tests and the browser console
    const base = TerrainBase.setUp(map);
    if (!map.getPane("sitetiles")) map.createPane("sitetiles").style.zIndex = 450;
    if (!map.getPane("interventiontiles")) map.createPane("interventiontiles").style.zIndex = 440;
    const zones = vectorLayer("restricted-zones", zoneStyle, { pane: "datatiles", minZoom: 10 });
    const parking = vectorLayer("accessibility-points", parkingStyle, { pane: "datatiles" });
    zones.addTo(map);
    base.control.addOverlay(zones, text.zones);
    base.control.addOverlay(parking, text.parking);
    parking.on("click", (event) => {
      const p = event.layer.properties;
      const content = p.aggregate ? format(text.spaces, p.spaces ?? p.count) : format(text.spaces, p.spaces ?? 1);
      L.popup().setLatLng(event.latlng).setContent(content).openOn(map);
    });
    // Anonymous visitors too: their tiles hold published aggregates only.
    sites = vectorLayer("sites", siteStyle, { pane: "sitetiles", filtered: config.signedIn });
    sites.on("click", (event) => {
      const p = event.layer.properties;
      if (p.aggregate) zoomInto({ props: p, latlng: event.latlng });
      else openSite(p.id);
    });
    sites.addTo(map);
    labels.group.addTo(map);
    apiSites.addTo(map);
    base.control.addOverlay(sites, text.sites);
    const highlight = L.layerGroup().addTo(map);
    setUpSearch(highlight);
    setUpFilters();
    setUpPanel();
    setUpInterventions();
    if (!applyHash()) {
      const [west, south, east, north] = config.bbox;
      map.fitBounds([[south, west], [north, east]]);
    }
    updateLinks();
    refreshFilteredLayers();
    map.on("moveend", () => { writeHash(); labels.refresh(); featureList.refresh(); });
    map.on("overlayadd overlayremove", () => { labels.refresh(); featureList.refresh(); });
    window.addEventListener("hashchange", () => {
      if (window.location.hash !== currentHash()) { applyHash(); refreshFilteredLayers(); }
    });
    map.getContainer().dataset.ready = "1";
  };
})();
