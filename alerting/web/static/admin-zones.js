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

function cell(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "number" ? String(Math.round(value * 100) / 100) : String(value);
}

export async function replayDraft(api, base, draft, showErrors) {
  const box = $("#replay-result");
  box.replaceChildren(h("p", {}, "Replaying the last 30 days…"));
  try {
    const report = await api("POST", `${base}/policy/replay`, { policy: draft });
    const keys = [...new Set([...Object.keys(report.current || {}), ...Object.keys(report.draft || {})])]
      .filter((k) => ![report.current?.[k], report.draft?.[k]].some((v) => v !== null && typeof v === "object"));
    box.replaceChildren(
      h("h4", {}, `What-if over ${report.period?.days ?? "?"} days`),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Measure"), h("th", { scope: "col" }, "Current"),
          h("th", { scope: "col" }, "Draft"))),
        h("tbody", {}, keys.map((k) => h("tr", {}, h("th", { scope: "row" }, k.replaceAll("_", " ")),
          h("td", {}, cell(report.current?.[k])), h("td", {}, cell(report.draft?.[k]))))))),
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
