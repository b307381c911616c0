// The "no cover" layer of the live map: the H3 cells where, at a chosen hour of the week, the
// density history holds nobody the current policy could alert (GET .../coverage). Counts only.
import { h, $ } from "/web/dom.js";

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const pad = (n) => String(n).padStart(2, "0");

export class CoverageLayer {
  constructor(api, base, map) {
    this.api = api;
    this.base = base;
    this.map = map;  // () => the Leaflet map, or null when it could not load
    this.layer = null;
    const now = new Date();
    $("#cover-day").replaceChildren(...DAYS.map((d, i) => h("option", { value: i }, d)));
    $("#cover-hour").replaceChildren(...Array.from({ length: 24 }, (_, i) =>
      h("option", { value: i }, `${pad(i)}:00–${pad(i)}:59`)));
    $("#cover-day").value = String((now.getUTCDay() + 6) % 7);
    $("#cover-hour").value = String(now.getUTCHours());
    $("#cover-form").addEventListener("change", () => this.refresh());
  }

  clear() {
    this.layer?.remove();
    this.layer = null;
  }

  async refresh() {
    this.clear();
    const say = (text) => { $("#cover-status").textContent = text; };
    if (!$("#cover-show").checked) { say(""); return; }
    const day = Number($("#cover-day").value);
    const hour = Number($("#cover-hour").value);
    const place = $("#cover-place").value;
    say("Loading…");
    try {
      const params = new URLSearchParams({ hour_of_week: String(day * 24 + hour), location_type: place });
      const cover = await this.api("GET", `${this.base}/coverage?${params}`);
      if (!$("#cover-show").checked) return;
      const when = `${DAYS[day]} ${pad(hour)}:00–${pad(hour)}:59 UTC`;
      const history = cover.snapshots ? "" : " The responder history is still empty, so no cell has cover yet.";
      say(`${cover.uncovered} of ${cover.cells} cells have nobody who could be alerted on ${when}.${history}`);
      const map = this.map();
      if (map && window.L) {
        this.layer = window.L.geoJSON(cover, { interactive: false,
          style: { color: "#942514", weight: 1, fillColor: "#d4351c", fillOpacity: 0.25, className: "no-cover" } }).addTo(map);
      }
    } catch (err) {
      say(`The cover could not be loaded: ${err.message}`);
    }
  }
}
