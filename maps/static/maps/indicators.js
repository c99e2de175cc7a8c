// Choropleth of an indicator by sub-territory (dashboards and the public page).
// Values come from the page's `choropleth-data` json_script; outlines from the
// territories API (simplified for the zoom). Five classes by quantile; a territory
// with no published value is grey.
(function () {
  "use strict";
  const COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

  function breaks(values) {
    const sorted = values.filter((v) => v !== null && v > 0).sort((a, b) => a - b);
    if (!sorted.length) return [];
    return [0.2, 0.4, 0.6, 0.8].map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  }

  function classOf(value, limits) {
    if (value === null || value === undefined) return -1;
    let i = 0;
    while (i < limits.length && value > limits[i]) i += 1;
    return Math.min(i, COLOURS.length - 1);
  }

  function legend(node, limits, data) {
    node.textContent = `${data.label}: `;
    const bounds = [0, ...limits];
    COLOURS.forEach((_, i) => {
      const swatch = document.createElement("span");
      swatch.className = `legend-${i}`;
      node.append(swatch, i < limits.length ? `≤ ${limits[i]}` : `> ${bounds[bounds.length - 1]}`);
    });
    if (data.suppressedLabel) {
      const grey = document.createElement("span");
      grey.className = "legend-none";
      node.append(grey, data.suppressedLabel);
    }
  }

  async function draw() {
    const node = document.getElementById("choropleth-data");
    const target = document.getElementById("choropleth-map");
    if (!node || !target || !window.L) return;
    const data = JSON.parse(node.textContent);
    const map = L.map(target, { scrollWheelZoom: false }).setView([46.6, 2.4], 5);
    if (window.TerrainBase) window.TerrainBase.setUp(map);
    const limits = breaks(Object.values(data.values));
    legend(document.getElementById("choropleth-legend"), limits, data);
    const params = new URLSearchParams({ level: data.level, page_size: "400", zoom: "7" });
    if (data.parent) params.set("parent", data.parent);
    const outlines = await fetch(`${data.territoriesUrl}?${params}`, { headers: { Accept: "application/json" } }).then((r) => r.json());
    const layer = L.geoJSON(outlines, {
      style: (feature) => {
        const value = data.values[feature.properties.code];
        const cls = classOf(value, limits);
        return { weight: 1, color: "#3a5670", fillOpacity: 0.75, fillColor: cls < 0 ? "#d9d9d9" : COLOURS[cls] };
      },
      onEachFeature: (feature, shape) => {
        const value = data.values[feature.properties.code];
        const shown = value === null || value === undefined ? (data.suppressedLabel || "–") : value;
        shape.bindTooltip(`${feature.properties.name} (${feature.properties.code}): ${shown}`);
        if (data.dashboardUrl) shape.on("click", () => { window.location = data.dashboardUrl.replace("CODE", feature.properties.code); });
      },
    }).addTo(map);
    if (data.bbox) {
      const [west, south, east, north] = data.bbox;
      map.fitBounds([[south, west], [north, east]]);
    } else if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds());
    }
    target.dataset.features = String(layer.getLayers().length);
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
