// The audit page: the trust's change log and its incidents' timelines, newest first.
import { h, $, when } from "/web/dom.js";

// Responders are named in the audit by pseudonym; the server resolves it (`responder`) until erasure.
function subject(entry) {
  if (!entry.target) return "";
  if (!entry.target.startsWith("responder ps_")) return entry.target;
  return entry.responder ? `responder ${entry.responder}` : "an erased responder";
}

function describe(entry) {
  if (entry.action === "policy.update" && entry.after) {
    const phases = (p) => (p?.phases || []).map((x) => `${x.name} ${x.radius_m} m +${x.delay_s} s`).join(", ");
    return entry.before ? `phases: ${phases(entry.before)} → ${phases(entry.after)}` : `phases: ${phases(entry.after)}`;
  }
  return "";
}

export class AuditView {
  constructor(api, base) {
    this.api = api;
    this.base = base;
  }

  async show() {
    const [entries, incidents] = await Promise.all([
      this.api("GET", `${this.base}/audit?limit=200`), this.api("GET", `${this.base}/incidents?limit=50`)]);
    $("#audit-rows").replaceChildren(...entries.map((e) => h("tr", { dataset: { action: e.action } },
      h("td", {}, when(e.at)), h("td", {}, e.actor), h("td", {}, `${e.action}${e.target ? " · " + subject(e) : ""}`),
      h("td", {}, describe(e), (e.before || e.after) ? h("details", {}, h("summary", {}, "Before and after"),
        h("pre", {}, JSON.stringify({ before: e.before, after: e.after }, null, 2))) : ""))));
    const box = $("#incident-timelines");
    if (!incidents.length) { box.replaceChildren(h("p", {}, "No incidents yet.")); return; }
    box.replaceChildren(...incidents.map((i) => {
      const details = h("details", { dataset: { incidentId: i.id } },
        h("summary", {}, `${when(i.created_at)} · ${i.cad_ref} · ${i.category} · ${i.status}`), h("p", {}, "Loading…"));
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
        details.lastChild.replaceWith(h("ol", { reversed: true }, [...view.timeline].reverse().map((t) => {
          const { at, event, ...rest } = t;
          const extra = Object.entries(rest).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
          return h("li", {}, `${when(at)} — ${event}${extra ? " (" + extra + ")" : ""}`);
        })));
      });
      return details;
    }));
  }
}
