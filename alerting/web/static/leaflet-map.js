// A Leaflet map whose tiles are optional: with no network it still draws areas, rings and markers.
export function makeMap(element) {
  const L = window.L;
  if (!L) {
    element.classList.add("map-fallback");
    element.textContent = "The map library is not available; the list beside it shows the same information.";
    return null;
  }
  const map = L.map(element, { zoomControl: true, preferCanvas: false }).setView([54.0, -2.0], 6);
  const url = document.querySelector('meta[name="tile-url"]')?.content;
  if (url) {
    const attribution = document.querySelector('meta[name="tile-attribution"]')?.content || "";
    L.tileLayer(url, { maxZoom: 19, attribution, crossOrigin: true }).addTo(map);
  }
  return map;
}
