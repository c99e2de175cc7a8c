// The small map of an intervention page: a marker per linked site, all in view.
// The page writes [[lon, lat, label], ...] with `json_script` as `<map id>-points`.
(function () {
  "use strict";
  window.showSites = function (map) {
    const data = document.getElementById(`${map.getContainer().id}-points`);
    const points = JSON.parse(data.textContent);
    const latlngs = points.map(([lon, lat, label]) => {
      L.marker([lat, lon], { title: label }).addTo(map).bindPopup(label);
      return [lat, lon];
    });
    if (latlngs.length === 1) {
      map.setView(latlngs[0], 15);
    } else if (latlngs.length) {
      map.fitBounds(latlngs, { padding: [20, 20], maxZoom: 15 });
    }
  };
})();
