// Finding an incident after the fact (ended ones too): by a part of its CAD reference, the UTC day
// it was reported and its status. A result opens in the incident panel.
import { h, $, when } from "/web/dom.js";
import { STATUS, words } from "/web/words.js";

function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace(".000Z", "Z");
}

export class IncidentSearch {
  constructor(api, base, open) {
    this.api = api;
    this.base = base;
    this.open = open;  // (id) => opens the panel
    $("#search-status").append(...Object.entries(STATUS).map(([value, label]) => h("option", { value }, label)));
    $("#incident-search").addEventListener("submit", (e) => { e.preventDefault(); this.find(); });
  }

  async find() {
    const params = new URLSearchParams({ limit: "50" });
    const ref = $("#search-cad-ref").value.trim();
    const day = $("#search-date").value;
    const status = $("#search-status").value;
    if (ref) params.set("cad_ref", ref);
    if (day) { params.set("from", `${day}T00:00:00Z`); params.set("to", nextDay(day)); }
    if (status) params.set("status", status);
    $("#search-count").textContent = "Searching…";
    try {
      const found = await this.api("GET", `${this.base}/incidents?${params}`);
      $("#search-count").textContent = found.length === 1 ? "1 incident found." : `${found.length} incidents found.`;
      $("#search-results").replaceChildren(...found.map((i) => h("li", { dataset: { incidentId: i.id, cadRef: i.cad_ref } },
        h("button", { type: "button", class: "link", onclick: () => this.open(i.id) }, i.cad_ref),
        ` · ${i.category} · `, h("span", { class: "status" }, words(STATUS, i.status)), ` · reported ${when(i.created_at).slice(0, 16)} UTC`,
        i.address ? ` · ${i.address}` : "")));
    } catch (err) {
      $("#search-count").textContent = `Could not search: ${err.message}`;
    }
  }
}
