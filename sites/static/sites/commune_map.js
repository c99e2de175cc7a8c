// A commune's map (sites/templates/sites/commune.html): its reserved parking spaces
// as markers with a directions link, and its restricted traffic zones, over the base
// map of maps/basemap.js. Data from the `commune-map-data` json_script.
(function () {
  "use strict";
  const ZONE_COLOURS = { allowed: "#27ae60", with_card: "#e67e22", forbidden: "#8e44ad" };

  function popup(point, text) {
    const div = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = point.label;
    const spaces = document.createElement("div");
    spaces.textContent = text.dataset.textSpaces.replace("{n}", point.spaces);
    const link = document.createElement("a");
    link.href = `https://www.openstreetmap.org/?mlat=${point.lat}&mlon=${point.lon}#map=19/${point.lat}/${point.lon}`;
    link.textContent = text.dataset.textDirections;
    div.append(title, spaces, link);
    return div;
  }

  window.showCommune = function (map) {
    const data = JSON.parse(document.getElementById("commune-map-data").textContent);
    const text = document.getElementById("commune-map-text");
    TerrainBase.setUp(map);
    const [west, south, east, north] = data.bbox;
    map.fitBounds([[south, west], [north, east]]);
    L.geoJSON(data.outline, { pane: "outlines", interactive: false, style: { color: "#123a5c", weight: 3, fill: false } }).addTo(map);
    for (const zone of data.zones) {
      const colour = ZONE_COLOURS[zone.disabled_access] || "#e67e22";
      L.geoJSON(zone.geometry, { style: { color: colour, weight: 2, dashArray: "6 4", fillColor: colour, fillOpacity: 0.2 } })
        .bindTooltip(`${zone.name}: ${zone.access}`)
        .addTo(map);
    }
    for (const point of data.points) {
      L.circleMarker([point.lat, point.lon], { radius: 5, color: "#ffffff", weight: 1.5, fillColor: "#1f6fb2", fillOpacity: 0.95 })
        .bindPopup(() => popup(point, text))
        .addTo(map);
    }
    map.getContainer().dataset.points = data.points.length;
    map.getContainer().dataset.zones = data.zones.length;
  };
})();
