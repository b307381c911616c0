// The audit page, read like a record: who (by name), what, and each change in words; filtered by
// person, kind of change and date, and downloadable as CSV. Below it, the incidents' timelines in
// sentences (timeline-words.js).
import { h, $, when } from "/web/dom.js";
import { describeEvent } from "/web/timeline-words.js";
import { ACTION, ACTION_FILTERS, STATUS, incidentName, raisedByAlerter, words } from "/web/words.js";

const OTHERS = [["kind:admin_key", "The API key"], ["kind:cad_key", "The CAD"], ["kind:operator", "The operator"],
  ["kind:responder", "Responders"], ["kind:alerter", "Alerters"], ["kind:system", "The system"]];

// What an entry is about, in words from the server (`subject`: "Priya Shah", "policy version 3",
// "responder Ann Lee" until they are erased, then "an erased responder").
function subject(entry) {
  return entry.subject ?? "";
}

function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace(".000Z", "Z");
}

export class AuditView {
  constructor(api, base, rights) {
    this.api = api;
    this.base = base;
    this.rights = rights;
    this.people = new Map();  // staff id -> name, from the staff list or the entries seen
    this.groups = {};
    $("#audit-action").append(...ACTION_FILTERS.map(([value, label]) => h("option", { value }, label)));
    $("#audit-filters").addEventListener("submit", (e) => { e.preventDefault(); this.refresh(); });
    $("#audit-csv").addEventListener("click", () => this.download());
  }

  query() {
    const params = new URLSearchParams({ limit: "200" });
    const person = $("#audit-person").value;
    if (person.startsWith("staff:")) params.set("staff_id", person.slice(6));
    else if (person.startsWith("kind:")) params.set("actor_kind", person.slice(5));
    if ($("#audit-action").value) params.set("action", $("#audit-action").value);
    const from = $("#audit-from").value;
    const to = $("#audit-to").value;
    $("#audit-dates-error").textContent = "";
    if (from && to && to < from) {
      $("#audit-dates-error").textContent = "The end date is before the start date.";
      return null;
    }
    if (from) params.set("from", `${from}T00:00:00Z`);
    if (to) params.set("to", nextDay(to));
    return params;
  }

  async show() {
    const [, incidents, groups] = await Promise.all([this.loadPeople(), this.api("GET", `${this.base}/incidents?limit=50`),
      this.api("GET", `${this.base}/groups`)]);
    this.groups = Object.fromEntries(groups.map((g) => [g.id, g.name]));
    await this.refresh();
    this.renderIncidents(incidents);
  }

  async loadPeople() {
    if (!this.rights?.can("admin")) return;
    try {
      for (const p of await this.api("GET", `${this.base}/staff`)) this.people.set(p.id, p.name);
    } catch { /* the list of people is a convenience; names also come from the entries */ }
  }

  renderPeople() {
    const select = $("#audit-person");
    const chosen = select.value;
    const people = [...this.people.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    select.replaceChildren(h("option", { value: "" }, "Everyone"),
      ...people.map(([id, name]) => h("option", { value: `staff:${id}` }, name)),
      ...OTHERS.map(([value, label]) => h("option", { value }, label)));
    select.value = chosen;
  }

  async refresh() {
    const params = this.query();
    if (!params) return;
    const entries = await this.api("GET", `${this.base}/audit?${params}`);
    for (const e of entries) if (e.actor?.kind === "staff" && !this.people.has(e.actor.id)) this.people.set(e.actor.id, e.actor.name);
    this.renderPeople();
    $("#audit-count").textContent = entries.length ? `${entries.length} ${entries.length === 1 ? "entry" : "entries"}${
      entries.length === 200 ? " (the newest 200; narrow the filters or download the CSV for more)" : ""}` : "";
    if (!entries.length) {
      $("#audit-rows").replaceChildren(h("tr", {}, h("td", { colspan: 4 }, "Nothing matches these filters.")));
      return;
    }
    $("#audit-rows").replaceChildren(...entries.map((e) => h("tr", { dataset: { action: e.action, actorKind: e.actor?.kind } },
      h("td", {}, when(e.at)),
      h("td", {}, e.actor?.name ?? "", e.actor?.kind !== "staff" ? "" : h("span", { class: "visually-hidden" }, " (staff)")),
      h("td", {}, e.what || words(ACTION, e.action), subject(e) ? h("div", { class: "muted" }, subject(e)) : ""),
      h("td", {}, (e.changes || []).length ? h("ul", { class: "changes" }, e.changes.map((c) => h("li", {}, c))) : "",
        (e.before || e.after) ? h("details", {}, h("summary", {}, "Full record"),
          h("pre", {}, JSON.stringify({ before: e.before, after: e.after }, null, 2))) : ""))));
  }

  async download() {
    const params = this.query();
    if (!params) return;
    params.set("limit", "10000");
    try {
      const response = await this.api("GET", `${this.base}/audit?${params}`, undefined, { raw: true, accept: "text/csv" });
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `audit-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      $("#audit-dates-error").textContent = `The download failed: ${err.message}`;
    }
  }

  renderIncidents(incidents) {
    const box = $("#incident-timelines");
    if (!incidents.length) { box.replaceChildren(h("p", {}, "No incidents yet.")); return; }
    box.replaceChildren(...incidents.map((i) => {
      const details = h("details", { dataset: { incidentId: i.id } },
        // A bystander's alarm is named in words, never by its provisional reference or category code.
        h("summary", {}, `${when(i.created_at)} · ${incidentName(i)}${raisedByAlerter(i) && i.category === "alerter" ? "" : ` · ${i.category}`} · ${
          words(STATUS, i.status)}`), h("p", {}, "Loading…"));
      details.addEventListener("toggle", async () => {
        if (!details.open || details.dataset.loaded) return;
        let view;
        try {
          view = await this.api("GET", `${this.base}/incidents/${encodeURIComponent(i.id)}`);
        } catch (err) {
          details.lastChild.textContent = `Could not load the timeline: ${err.message}`;
          return;
        }
        details.dataset.loaded = "1";
        const names = { responders: Object.fromEntries(view.responders.filter((r) => r.name).map((r) => [r.id, r.name])),
          groups: this.groups };
        details.lastChild.replaceWith(h("ol", { reversed: true, class: "timeline" }, [...view.timeline].reverse().map((t) =>
          h("li", { dataset: { event: t.event } }, h("time", { datetime: t.at }, when(t.at)), " — ", describeEvent(t, names)))));
      });
      return details;
    }));
  }
}
