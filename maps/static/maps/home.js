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
        item.append(button);
        results.append(item);
      }
    });
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
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    setUpSearch(map, highlight);
    const data = await fetchJson(`${config.territoriesUrl}?level=departement&page_size=200`);
    departements.addData(data);
    document.getElementById("main-map").dataset.departements = data.features.length;
  };
})();
