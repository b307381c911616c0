// Zones and what-if replay beside the policy editor. Both call optional endpoints
// (PUT/GET .../policy/zones, POST .../policy/replay); a server without them says so.
import { ApiError } from "/web/api.js";
import { h, $ } from "/web/dom.js";

const MEDIA = { kml: "application/vnd.google-earth.kml+xml", kmz: "application/vnd.google-earth.kmz",
  geojson: "application/geo+json", json: "application/geo+json" };

function unavailable(err) {
  return err instanceof ApiError && (err.status === 405 || (err.status === 404 && /not found/i.test(err.message)));
}

export function renderZones(policy) {
  const zones = policy?.zones || [];
  $("#zone-list").replaceChildren(...(zones.length ? zones.map((z) => h("li", {},
    h("strong", {}, z.name), `: ${(z.phases || []).map((p) => `${p.name} ${p.radius_m} m +${p.delay_s} s`).join(", ")}`))
    : [h("li", {}, "No zones: the trust-wide phases apply everywhere.")]));
}

export function wireZones(api, base, reload) {
  const say = (...content) => $("#zones-result").replaceChildren(...content);
  $("#zones-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("#zones-file").files[0];
    if (!file) { say(h("p", { class: "field-error" }, "Choose a zone file first.")); return; }
    const ext = file.name.split(".").pop().toLowerCase();
    if (!MEDIA[ext]) { say(h("p", { class: "field-error" }, "Use a .kml, .kmz or .geojson file.")); return; }
    try {
      const body = ext === "kmz" ? await file.arrayBuffer() : await file.text();
      const result = await api("PUT", `${base}/policy/zones`, body, { contentType: MEDIA[ext] });
      say(h("p", { class: "banner ok" }, `Zones replaced${result?.version ? `: policy version ${result.version}` : ""}.`));
      await reload();
    } catch (err) {
      if (unavailable(err)) { say(h("p", {}, "Zone files are not available on this server.")); return; }
      say(h("p", { class: "banner error" }, `Nothing was imported: ${err.message}`),
        err.errors?.length ? h("ul", {}, err.errors.map((e) => h("li", {}, `${e.name ? e.name + " — " : ""}${e.loc}: ${e.msg}`))) : "");
    }
  });
  for (const format of ["geojson", "kml"]) {
    $(`#zones-${format}`).addEventListener("click", async () => {
      try {
        const response = await api("GET", `${base}/policy/zones?format=${format}`, undefined, { raw: true });
        const url = URL.createObjectURL(await response.blob());
        const link = h("a", { href: url, download: `zones.${format}` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (err) {
        say(h("p", {}, unavailable(err) ? "Zone files are not available on this server." : `Download failed: ${err.message}`));
      }
    });
  }
}

function cell(value, digits = 1) {
  if (value === null || value === undefined) return "—";
  return typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(digits)) : String(value);
}

function seconds(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)} s`;
}

// Each measure in words: [label, what really happened, value on one modelled side].
const MEASURES = [
  ["Incidents in the period", (a) => a?.incidents, (s) => s.incidents],
  ["Incidents in the categories the policy alerts for", () => undefined, (s) => s.alerting],
  ["Incidents where at least one responder was alerted", (a) => a?.with_alert, (s) => s.with_responder],
  ["Incidents where at least one responder accepted", (a) => a?.with_accept, (s) => s.expected_accepted],
  ["Alerts sent", (a) => a?.alerts, (s) => s.expected_alerts],
  ["Typical time to the first responder on scene (median)", () => undefined, (s) => seconds(s.median_arrival_s)],
  ["Time by which 9 in 10 first responders are on scene", () => undefined, (s) => seconds(s.p90_arrival_s)],
  ["Responders in the policy's groups", () => undefined, (s) => s.responders],
  ["Alerts per responder per month", () => undefined, (s) => cell(s.alerts_per_responder_month, 2)],
];

/** The comparison no longer describes the policy (it was saved, or replaced): take it away. */
export function clearReplay() {
  $("#replay-result").replaceChildren();
}

export async function replayDraft(api, base, draft, showErrors) {
  const box = $("#replay-result");
  box.replaceChildren(h("p", {}, "Replaying the last 30 days…"));
  try {
    const report = await api("POST", `${base}/policy/replay`, { policy: draft });
    const current = report.current || {};
    const proposed = report.draft || {};
    const rows = MEASURES.map(([label, real, modelled]) => h("tr", {}, h("th", { scope: "row" }, label),
      h("td", {}, cell(real(report.actual))), h("td", {}, cell(modelled(current))), h("td", {}, cell(modelled(proposed)))));
    const names = [...new Set([...(current.phases || []), ...(proposed.phases || [])].map((p) => p.name))];
    const phase = (side, name) => (side.phases || []).find((p) => p.name === name)?.expected_alerts;
    rows.push(...names.map((name) => h("tr", {}, h("th", { scope: "row" }, `Alerts sent by the phase “${name}”`),
      h("td", {}, "—"), h("td", {}, cell(phase(current, name))), h("td", {}, cell(phase(proposed, name))))));
    box.replaceChildren(
      h("h4", {}, `What-if over ${report.period?.days ?? "?"} days`),
      h("p", { class: "hint" }, "“What happened” is the record of these incidents. The two policy columns are estimates "
        + "from where responders were available at each hour of the week: a count such as 3.4 is the expected number "
        + "of incidents, and times are weighted by the chance that someone accepts."),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Measure"), h("th", { scope: "col" }, "What happened"),
          h("th", { scope: "col" }, "Current policy (estimate)"), h("th", { scope: "col" }, "Draft (estimate)"))),
        h("tbody", {}, rows))),
      report.warnings?.length ? h("ul", {}, report.warnings.map((w) => h("li", {}, w))) : "");
  } catch (err) {
    if (unavailable(err)) { box.replaceChildren(h("p", {}, "What-if replay is not available on this server.")); return; }
    if (err instanceof ApiError && err.status === 422) {
      box.replaceChildren();
      showErrors(err);
      return;
    }
    box.replaceChildren(h("p", { class: "banner error" }, `Replay failed: ${err.message}`));
  }
}
