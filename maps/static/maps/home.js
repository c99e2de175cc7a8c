// The home map: département outlines from our own API as the base layer (works
// without internet), OpenStreetMap as an optional layer, and a commune search.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const outlineStyle = { color: "#123a5c", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6 };
  const highlightStyle = { color: "#c0392b", weight: 3, fillOpacity: 0.1 };

  async function fetchJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status);
    return response.json();
  }

  function zoomTo(map, feature, layerGroup) {
    layerGroup.clearLayers();
    L.geoJSON(feature, { style: highlightStyle }).addTo(layerGroup);
    const [west, south, east, north] = feature.bbox;
    map.fitBounds([[south, west], [north, east]]);
  }

  function setUpSearch(map, highlight) {
    const form = document.getElementById("commune-search");
    const status = document.getElementById("commune-search-status");
    const results = document.getElementById("commune-results");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const query = form.elements.q.value.trim();
      results.replaceChildren();
      const data = await fetchJson(`${config.territoriesUrl}?level=commune&page_size=10&q=${encodeURIComponent(query)}`);
      status.textContent = data.count ? config.text.found.replace("%s", data.count) : config.text.none;
      if (!data.features.length) return;
      zoomTo(map, data.features[0], highlight);
      for (const feature of data.features) {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = `${feature.properties.name} (${feature.properties.code})`;
        button.addEventListener("click", () => zoomTo(map, feature, highlight));
        const page = document.createElement("a");
        page.href = `/communes/${encodeURIComponent(feature.properties.code)}/`;
        page.textContent = config.text.communePage;
        item.append(button, " · ", page);
        results.append(item);
      }
    });
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  async function sitesLayer() {
    // Only what the server's scope returns for this user; nothing for visitors.
    const layer = L.geoJSON(null, {
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, { radius: 6, color: "#8e2c1f", fillColor: feature.properties.status === "open" ? "#e74c3c" : "#999", fillOpacity: 0.9 }),
      onEachFeature: (feature, marker) => {
        const p = feature.properties;
        marker.bindPopup(`<a href="/sites/${feature.id}/">${escapeHtml(p.name || "#" + feature.id)}</a><br>${escapeHtml(p.commune_code)} · ${escapeHtml(p.people ?? "?")}`);
      },
    });
    const data = await fetchJson(`${config.sitesUrl}?page_size=1000`);
    return layer.addData(data);
  }

  function parkingLayer(map) {
    // Public reserved parking spaces, loaded for the visible area when zoomed in.
    const layer = L.geoJSON(null, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 4, color: "#1f4e8e", fillColor: "#3498db", fillOpacity: 0.9 }),
      onEachFeature: (feature, marker) => marker.bindPopup(escapeHtml(feature.properties.address || config.text.parking)),
    });
    async function refresh() {
      if (!map.hasLayer(layer) || map.getZoom() < 13) return layer.clearLayers();
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
      const data = await fetchJson(`${config.parkingUrl}?page_size=2000&in_bbox=${bbox}`);
      layer.clearLayers().addData(data);
    }
    map.on("moveend overlayadd", refresh);
    return layer;
  }

  window.terrainMapInit = async function (map) {
    window.terrainMap = map; // for tests and the browser console
    const departements = L.geoJSON(null, { style: outlineStyle, attribution: config.attribution });
    const highlight = L.layerGroup().addTo(map);
    const overlays = {};
    if (config.osmUrl) {
      overlays[config.text.osm] = L.tileLayer(config.osmUrl, { attribution: "&copy; OpenStreetMap", maxZoom: 19 });
    }
    overlays[config.text.departements] = departements.addTo(map);
    overlays[config.text.parking] = parkingLayer(map);
    const control = L.control.layers(null, overlays, { collapsed: window.innerWidth < 600 }).addTo(map);
    if (config.sitesUrl) {
      sitesLayer().then((layer) => {
        control.addOverlay(layer.addTo(map), config.text.sites);
        document.getElementById("main-map").dataset.sites = layer.getLayers().length;
      });
    }
    setUpSearch(map, highlight);
    const data = await fetchJson(`${config.territoriesUrl}?level=departement&page_size=200`);
    departements.addData(data);
    document.getElementById("main-map").dataset.departements = data.features.length;
  };
})();
