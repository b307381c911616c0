// The live map: a server-sent event stream opened with a single-use ticket (never the admin key in
// a URL). Each `incident` event replaces that incident's layer; a cancelled or closed incident stays
// a while, greyed, then goes. Choosing an incident opens its panel (admin-incident.js); for a
// dispatcher the responders who could still be alerted are drawn too, and clicking one alerts them
// after a confirmation.
import { h, $, metres } from "/web/dom.js";
import { makeMap } from "/web/leaflet-map.js";
import { CoverageLayer } from "/web/admin-coverage.js";
import { IncidentPanel, distanceM, minutes, tick, ticking } from "/web/admin-incident.js";
import { IncidentSearch } from "/web/admin-search.js";
import { STATE, STATUS, incidentName, raisedByAlerter, words } from "/web/words.js";

const COLOURS = { incident: "#d4351c", alerted: "#ffdd00", accepted: "#00703c", arrived: "#00703c", aed: "#1d70b8",
  candidate: "#ffffff", ended: "#b1b4b6" };

export class LiveMap {
  constructor(api, base, rights) {
    this.api = api;
    this.base = base;
    this.rights = rights;  // rights.can("dispatcher"): may act on incidents
    this.map = null;
    this.layers = new Map();   // incident id -> Leaflet layer group
    this.incidents = new Map(); // incident id -> view
    this.source = null;
    this.retry = 1000;
    this.stopped = false;
    this.keepMs = 15 * 60 * 1000;  // how long an ended incident stays; the snapshot says
    this.candidates = null;  // Leaflet layer: who the selected incident could still alert
    this.trails = new Map();  // "incident responder" -> positions seen while they were on their way
    this.panel = new IncidentPanel(api, base, rights, { onCandidates: (d, list) => this.drawCandidates(d, list) });
    this.panel.install();
    this.search = new IncidentSearch(api, base, (id) => this.panel.open(id, this.incidents.get(id) || null));
    this.coverage = new CoverageLayer(api, base, () => this.map);
    this.ticker = setInterval(() => { tick($("#map-section")); this.expire(); }, 1000);
  }

  show() {
    if (!this.mapTried) { this.mapTried = true; this.map = makeMap($("#map")); }
    this.map?.invalidateSize();
    if (!this.source && !this.connecting) this.connect();
  }

  hide() { /* keep listening: the map is current when the person comes back */ }

  stop() {
    this.stopped = true;
    clearInterval(this.ticker);
    this.source?.close();
    this.source = null;
  }

  status(text, kind = "") {
    const el = $("#live-status");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  async connect() {
    if (this.stopped) return;
    this.connecting = true;
    try {
      const { ticket } = await this.api("POST", `${this.base}/live/tickets`);
      const source = new EventSource(`${this.base}/live?ticket=${encodeURIComponent(ticket)}`);
      this.source = source;
      source.addEventListener("snapshot", (e) => { this.retry = 1000; this.snapshot(JSON.parse(e.data)); this.status("Live", "ok"); });
      source.addEventListener("incident", (e) => this.upsert(JSON.parse(e.data)));
      source.addEventListener("reconnect", () => this.reconnect(0));
      source.onerror = () => this.reconnect(this.retry);
    } catch (err) {
      this.status(`Not connected: ${err.message}. Retrying…`, "error");
      this.connecting = false;
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
      return;
    }
    this.connecting = false;
  }

  reconnect(delay) {
    // EventSource would retry with the same (spent) ticket: close it and start over with a new one.
    this.source?.close();
    this.source = null;
    if (this.stopped) return;
    if (delay) this.status("Connection lost. Reconnecting…", "error");
    setTimeout(() => this.connect(), delay);
    this.retry = Math.min(this.retry * 2, 30000);
  }

  snapshot(data) {
    if (data.ended_keep_s !== undefined) this.keepMs = data.ended_keep_s * 1000;
    const L = window.L;
    if (this.map && L) {
      this.base_layer?.remove();
      this.base_layer = L.layerGroup().addTo(this.map);
      const area = L.geoJSON(data.trust.area, { style: { color: "#0b0c0c", weight: 2, fill: false, className: "trust-area" } });
      area.addTo(this.base_layer);
      // Not animated: Leaflet ignores a zoom asked for while one is animating, and the first
      // incident's zoom often comes right after this one.
      if (!this.fitted) { this.map.fitBounds(area.getBounds(), { animate: false }); this.fitted = true; }
      for (const zone of data.zones || []) {
        L.geoJSON(zone.area, { style: { color: "#6f3c97", weight: 2, dashArray: "4 4", fillOpacity: 0.04, className: "zone" } })
          .bindTooltip(`Zone: ${zone.name}`).addTo(this.base_layer);
      }
      for (const aed of data.aeds) {
        L.circleMarker([aed.lat, aed.lon], { radius: 6, color: "#000", weight: 2, fillColor: COLOURS.aed, fillOpacity: 1, className: "aed" })
          .bindTooltip(`Defibrillator: ${aed.name || aed.id}${aed.access ? " (" + aed.access + ")" : ""}`).addTo(this.base_layer);
      }
    }
    const seen = new Set(data.incidents.map((i) => i.id));
    for (const id of [...this.incidents.keys()]) if (!seen.has(id)) this.remove(id);
    for (const view of data.incidents) this.upsert(view);
  }

  remove(id) {
    for (const key of [...this.trails.keys()]) if (key.startsWith(`${id} `)) this.trails.delete(key);
    this.layers.get(id)?.remove();
    this.layers.delete(id);
    this.incidents.delete(id);
    this.renderList();
  }

  // Ended incidents leave the map once they have been over for `keepMs`.
  expire() {
    const now = Date.now();
    for (const view of [...this.incidents.values()]) {
      if (view.ended && view.ended_at && Date.parse(view.ended_at) + this.keepMs <= now) this.remove(view.id);
    }
  }

  select(view) {
    this.panel.open(view.id, view).catch((err) => this.panel.note(`Could not open the incident: ${err.message}`, "error"));
  }

  upsert(view) {
    if (view.ended === undefined) view.ended = !view.open;  // a server older than the greyed map
    if (view.ended && (!view.ended_at || Date.parse(view.ended_at) + this.keepMs <= Date.now())) {
      this.remove(view.id);
      this.panel.changed(view);
      return;
    }
    const isNew = !this.incidents.has(view.id);
    this.incidents.set(view.id, view);
    const L = window.L;
    if (this.map && L) {
      this.layers.get(view.id)?.remove();
      const group = L.layerGroup();
      const tag = `inc-${view.id}`;
      const grey = view.ended;
      for (const [index, ring] of [...view.rings.entries()].reverse()) {
        L.circle([view.lat, view.lon], {
          radius: ring.radius_m, color: grey ? COLOURS.ended : ring.fired ? "#d4351c" : "#505a5f", weight: 2,
          fillOpacity: ring.fired && !grey ? 0.06 : 0, dashArray: ring.fired ? null : "6 6",
          className: `ring ring-phase-${index} ${tag} ${ring.fired ? "ring-fired" : "ring-pending"}`, interactive: false,
        }).addTo(group);
      }
      const marker = L.circleMarker([view.lat, view.lon], { radius: 9, color: grey ? "#505a5f" : "#000", weight: 2,
        fillColor: grey ? COLOURS.ended : COLOURS.incident, fillOpacity: 1, className: `incident ${tag}${grey ? " ended" : ""}` })
        .bindTooltip(`${incidentName(view)} · ${view.category}${view.address ? " · " + view.address : ""}${grey ? ` · ${words(STATUS, view.status)}` : ""}`);
      marker.on("click", () => this.select(view));
      marker.addTo(group);
      if (view.aed) {
        L.circleMarker([view.aed.lat, view.aed.lon], { radius: 6, color: "#000", weight: 2, fillColor: COLOURS.aed, fillOpacity: 1, className: `aed ${tag}` })
          .bindTooltip(`Nearest defibrillator: ${view.aed.name || view.aed.id}`).addTo(group);
      }
      for (const r of view.responders) {
        if (r.lat === null || r.lon === null) continue;
        const trail = this.trail(view, r);
        if (trail.length > 1) {
          L.polyline(trail, { color: "#00703c", weight: 3, dashArray: "2 6", className: `track ${tag} track-${r.id}`, interactive: false })
            .addTo(group);
        }
        L.circleMarker([r.lat, r.lon], { radius: 7, color: "#000", weight: 2, fillColor: COLOURS[r.state] || "#fff", fillOpacity: 1,
          className: `responder ${tag} state-${r.state}` }).bindTooltip(`${r.name}: ${words(STATE, r.state)}${r.eta_s != null ? `, expected in ${minutes(r.eta_s)}` : ""}`).addTo(group);
      }
      group.addTo(this.map);
      this.layers.set(view.id, group);
      // A new incident alone on the map: bring its outer ring into view.
      if (isNew && this.incidents.size === 1 && view.rings.length) {
        const outer = Math.max(...view.rings.map((r) => r.radius_m));
        this.map.fitBounds(L.latLng(view.lat, view.lon).toBounds(outer * 2.2), { animate: false });
      }
    }
    this.renderList();
    this.panel.changed(view);
  }

  // Where an accepted responder has been since this map opened: their track towards the scene.
  trail(view, r) {
    const key = `${view.id} ${r.id}`;
    if (!["accepted", "arrived"].includes(r.state)) { this.trails.delete(key); return []; }
    const seen = this.trails.get(key) || [];
    const last = seen[seen.length - 1];
    if (!last || last[0] !== r.lat || last[1] !== r.lon) seen.push([r.lat, r.lon]);
    this.trails.set(key, seen.slice(-200));
    return seen;
  }

  // The selected incident's possible responders, for a dispatcher: hollow markers, click to alert.
  drawCandidates(detail, list) {
    this.candidates?.remove();
    this.candidates = null;
    const L = window.L;
    if (!this.map || !L || !detail || !list.length) return;
    this.candidates = L.layerGroup();
    for (const r of list) {
      const marker = L.circleMarker([r.lat, r.lon], { radius: 8, color: "#1d70b8", weight: 3, fillColor: COLOURS.candidate,
        fillOpacity: 1, className: `candidate cand-${r.id}` })
        .bindTooltip(`${r.name}: ${metres(r.distance_m)}${r.eta_s ? `, ${minutes(r.eta_s)}` : ""} away. Click to alert`);
      marker.on("click", () => this.panel.alert(r));
      marker.addTo(this.candidates);
    }
    this.candidates.addTo(this.map);
  }

  renderList() {
    const list = $("#incident-list");
    // Alarms waiting for a dispatcher come first: nobody is alerted until someone confirms them.
    const rank = (v) => (v.ended ? 2 : v.status === "awaiting_confirmation" ? 0 : 1);
    const views = [...this.incidents.values()].sort((a, b) => rank(a) - rank(b));
    const dispatcher = this.rights.can("dispatcher");
    $("#no-incidents").hidden = views.length > 0;
    list.replaceChildren(...views.map((v) => h("li", { class: `incident-item${v.ended ? " ended" : ""}${v.status === "awaiting_confirmation" ? " awaiting" : ""}`,
      dataset: { incidentId: v.id, cadRef: v.cad_ref, source: raisedByAlerter(v) ? "alerter" : "cad" } },
      h("button", { type: "button", class: "link", onclick: () => this.select(v) },
        h("span", { class: "visually-hidden" }, "Open "), h("strong", {}, incidentName(v))),
      raisedByAlerter(v) && v.category === "alerter" ? " · " : ` · ${v.category} · `, h("span", { class: "status" }, words(STATUS, v.status)),
      v.ended ? [" · ", ticking("since", v.ended_at, "ended {} ago"), v.reason ? ` · ${v.reason}` : ""] : [
        ` · `, h("span", { class: "accepted" }, `${v.accepted ?? 0} of ${v.accept_limit} accepted`),
        " · ", ticking("since", v.created_at, "{} since reported"),
        v.next_phase ? [" · ", ticking("until", v.next_phase.at, `phase '${v.next_phase.name}' in {}`)] : "",
        v.confirm_by ? [" · ", ticking("until", v.confirm_by, "closed unconfirmed in {}")] : "",
        v.eligible_nearby !== null && v.eligible_nearby !== undefined ? ` · ${v.eligible_nearby} eligible nearby` : ""],
      raisedByAlerter(v) && !v.ended ? h("div", { class: "raised-by" }, "Raised by a bystander with the alerter app") : "",
      v.status === "awaiting_confirmation" && dispatcher ? h("button", { type: "button", class: "confirm-raise",
        onclick: () => this.panel.confirmRaise(v) }, "Confirm and alert responders",
      h("span", { class: "visually-hidden" }, ` for ${incidentName(v)}`)) : "",
      v.address ? h("div", { class: "muted" }, v.address) : "",
      this.map ? h("button", { type: "button", class: "secondary small", onclick: () => this.map.setView([v.lat, v.lon], 15) },
        "Show on map", h("span", { class: "visually-hidden" }, ` ${incidentName(v)}`)) : "",
      v.ended ? "" : h("ul", {}, v.responders.length ? v.responders.map((r) => h("li", { dataset: { responderId: r.id, state: r.state } },
        `${r.name} — `, h("span", { class: `state-${r.state}` }, words(STATE, r.state)), r.role === "aed" ? " (fetching the defibrillator)" : "",
        r.state === "accepted" && r.lat !== null ? ` · ${metres(distanceM(r, v))} away now` : ` · ${metres(r.distance_m)}`,
        r.eta_s != null ? `, expected in ${minutes(r.eta_s)}` : ""))
        : h("li", {}, "No responder alerted yet.")))));
    tick(list);
  }
}
