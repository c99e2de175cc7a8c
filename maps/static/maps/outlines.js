// Every Leaflet map of the site (form widgets, detail maps) gets the département
// and, when zoomed in, the commune outlines from our own API as a base layer: the
// maps stay readable where outside tiles are blocked. A page may set
// data-focus-bbox="west,south,east,north" on <body> to start there.
(function () {
  "use strict";
  const api = "/api/v1/territories/";
  let departements = null;

  function fetchDepartements() {
    departements = departements || fetch(`${api}?level=departement&page_size=200`).then((r) => r.json());
    return departements;
  }

  window.addEventListener("map:init", async (event) => {
    const map = event.detail.map;
    if (map.getContainer().id === "main-map") return; // the home map draws its own
    const style = { color: "#123a5c", weight: 1, fillColor: "#ffffff", fillOpacity: 0.5, interactive: false };
    const focus = document.body.dataset.focusBbox;
    if (focus) {
      const [west, south, east, north] = focus.split(",").map(Number);
      // After the form widget has set its own default view.
      setTimeout(() => map.fitBounds([[south, west], [north, east]]), 0);
    }
    const data = await fetchDepartements();
    const layer = L.geoJSON(data, { style }).addTo(map);
    layer.bringToBack();
    const communes = L.geoJSON(null, { style: { ...style, weight: 0.5, fillOpacity: 0 } }).addTo(map);
    async function loadCommunes() {
      if (map.getZoom() < 11) return communes.clearLayers();
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(4)).join(",");
      const response = await fetch(`${api}?level=commune&page_size=200&in_bbox=${bbox}`);
      communes.clearLayers().addData(await response.json());
    }
    map.on("moveend", loadCommunes);
    loadCommunes();
  });
})();
