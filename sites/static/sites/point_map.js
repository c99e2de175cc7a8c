// The small map of a detail page (a site, a public report): one marker, zoomed in.
// The page writes the point with `json_script` as `<map id>-point`: [lon, lat], as
// GEOS and GeoJSON order them.
(function () {
  "use strict";
  window.showPoint = function (map) {
    const data = document.getElementById(`${map.getContainer().id}-point`);
    const [lon, lat] = JSON.parse(data.textContent);
    const latlng = [lat, lon];
    L.marker(latlng).addTo(map);
    map.setView(latlng, 16);
  };
})();
