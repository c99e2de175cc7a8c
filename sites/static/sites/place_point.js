// Placing a point on a form's map (site form, public report form): an address search
// through the national address API (when reachable) and our own commune search
// (always), a "locate me" button, and the longitude/latitude fields kept in step with
// the marker both ways: typing coordinates moves it, placing or dragging it fills them.
(function () {
  "use strict";
  const box = document.querySelector(".place-point");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  // The coordinate fields come after this script in the form: found once parsed.
  let lon = null;
  let lat = null;
  const status = $("place-status");
  const results = $("place-results");
  let map = null;
  let field = null;

  const say = (message) => { status.textContent = message; };

  function marker() {
    return field && field.drawnItems.getLayers()[0];
  }

  function fillInputs(latlng) {
    if (!lon || !lat) return;
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
  }

  function draggable(layer) {
    if (!layer.dragging || layer._terrainDraggable) return;
    layer._terrainDraggable = true;
    layer.dragging.enable();
    layer.on("dragend", () => {
      field.store.save(field.drawnItems);
      fillInputs(layer.getLatLng());
    });
  }

  function fromMarker() {
    const layer = marker();
    if (!layer || !layer.getLatLng) return;
    draggable(layer);
    fillInputs(layer.getLatLng());
  }

  function place(latlng, { fill = true, zoom = null } = {}) {
    if (!field) return;
    field.drawnItems.clearLayers();
    const layer = L.marker(latlng);
    field.drawnItems.addLayer(layer);
    field.store.save(field.drawnItems);
    draggable(layer);
    if (fill) fillInputs(layer.getLatLng());
    map.setView(latlng, zoom || Math.max(map.getZoom(), 17));
  }

  function fromInputs() {
    if (!lon.value || !lat.value) return;
    const x = parseFloat(lon.value.replace(",", "."));
    const y = parseFloat(lat.value.replace(",", "."));
    if (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90) {
      place([y, x], { fill: false });
    }
  }

  async function addresses(q) {
    const url = TerrainBase.settings().addressSearchUrl;
    if (!url || q.length < 3) return [];
    try {
      const data = await TerrainBase.getJson(`${url}?limit=5&q=${encodeURIComponent(q)}`);
      return data.features.map((f) => ({
        label: f.properties.label,
        latlng: [f.geometry.coordinates[1], f.geometry.coordinates[0]],
      }));
    } catch (error) {
      return []; // unreachable from here (blocked network): communes only
    }
  }

  async function communes(q) {
    const url = TerrainBase.settings().territoriesUrl;
    try {
      const data = await TerrainBase.getJson(`${url}?level=commune&page_size=5&q=${encodeURIComponent(q)}`);
      return data.features.map((f) => ({ label: `${f.properties.name} (${f.properties.code})`, bbox: f.bbox }));
    } catch (error) {
      return [];
    }
  }

  function choose(result) {
    if (result.latlng) {
      place(result.latlng);
      say(box.dataset.textPlaced);
    } else {
      const [west, south, east, north] = result.bbox;
      map.fitBounds([[south, west], [north, east]]);
      say(box.dataset.textCommune.replace("{name}", result.label));
    }
  }

  async function search() {
    const q = $("place-query").value.trim();
    if (!q) return;
    const found = [...(await addresses(q)), ...(await communes(q))];
    results.replaceChildren(...found.map((result) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = result.label;
      button.addEventListener("click", () => choose(result));
      item.append(button);
      return item;
    }));
    say(found.length ? "" : box.dataset.textNone);
    if (found.length) results.querySelector("button").focus();
  }

  function locate() {
    if (!navigator.geolocation) return say(box.dataset.textUnlocated);
    say(box.dataset.textLocating);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        place([position.coords.latitude, position.coords.longitude]);
        say(box.dataset.textLocated);
      },
      () => say(box.dataset.textUnlocated),
      { enableHighAccuracy: true, timeout: 10000 },
    );
  }

  $("place-search").addEventListener("click", search);
  $("place-locate").addEventListener("click", locate);
  // Enter in the search box searches rather than sending the whole form.
  $("place-query").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); search(); }
  });
  document.addEventListener("DOMContentLoaded", () => {
    lon = $("id_longitude");
    lat = $("id_latitude");
    for (const input of [lon, lat]) if (input) input.addEventListener("change", fromInputs);
  });

  window.addEventListener("map:init", (event) => {
    if (event.detail.map.getContainer().id !== box.dataset.map) return;
    map = event.detail.map;
    map.on("map:loadfield", (loaded) => {
      field = loaded.field;
      fromMarker();
    });
    map.on("draw:created draw:edited draw:deleted", () => setTimeout(fromMarker, 0));
  });
})();
