// One incident for the control room: how it stands (accepted of needed, time since it was
// reported, the next phase and when), its responders, the conversation and the timeline; and, for
// a dispatcher, the actions: fire the next phase now, alert someone by hand (from the list or the
// map, always confirmed), message everyone alerted or assigned, cancel with a reason.
import { ApiError } from "/web/api.js";
import { h, $, metres, when } from "/web/dom.js";
import { describeEvent } from "/web/timeline-words.js";
import { STATE, STATUS, incidentName, raisedByAlerter, words } from "/web/words.js";

const LIVE = new Set(["alerting", "exhausted"]);  // still needs someone: manual alerts make sense

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  if (m >= 60) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

// Great-circle metres: how far a tracked responder still is from the scene.
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad;
  const dlon = (b.lon - a.lon) * rad;
  const x = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(x));
}

export function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const m = Math.max(1, Math.round(seconds / 60));
  return `about ${m} min`;
}

// Text that counts: elements with data-since (elapsed) or data-until (a countdown) are redrawn each second.
export function ticking(kind, iso, render) {
  return h("span", { class: "tick", dataset: { [kind]: iso, words: render } }, "");
}

export function tick(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll(".tick")) {
    const at = Date.parse(el.dataset.since || el.dataset.until);
    if (Number.isNaN(at)) continue;
    const seconds = el.dataset.since ? (now - at) / 1000 : (at - now) / 1000;
    const template = el.dataset.words || "{}";
    el.textContent = seconds < 0 && el.dataset.until ? template.replace("in {}", "due now").replace("{}", "0:00")
      : template.replace("{}", clock(seconds));
  }
}

// A confirmation a person must answer before anything is sent; resolves true for the action.
export function confirmAction(text, action) {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent = text;
  $("#confirm-yes").textContent = action;
  dialog.showModal();
  $("#confirm-no").focus();
  return new Promise((resolve) => {
    const done = (answer) => () => { dialog.close(); resolve(answer); };
    $("#confirm-yes").onclick = done(true);
    $("#confirm-no").onclick = done(false);
    dialog.oncancel = done(false);
  });
}

export class IncidentPanel {
  constructor(api, base, rights, { onCandidates } = {}) {
    this.api = api;
    this.base = base;
    this.rights = rights;
    this.onCandidates = onCandidates || (() => {});
    this.id = null;
    this.view = null;     // the live map's view of it, when it is on the map
    this.detail = null;   // GET .../incidents/{id}: responders with names, messages, timeline
    this.nearby = [];
    this.pending = null;
  }

  get dispatcher() { return this.rights.can("dispatcher"); }

  async open(id, view = null) {
    this.id = id;
    this.view = view;
    this.nearby = [];
    this.note("");
    $("#incident-panel").hidden = false;
    await this.refresh();
    $("#incident-panel-title").focus();
  }

  close() {
    this.id = null;
    this.onCandidates(null, []);
    $("#incident-panel").hidden = true;
  }

  // The map heard that this incident changed: read it again, at most once at a time.
  changed(view) {
    if (view.id !== this.id) return;
    this.view = view;
    if (this.pending) { this.again = true; return; }
    this.pending = this.refresh().finally(() => {
      this.pending = null;
      if (this.again) { this.again = false; this.changed(this.view); }
    });
  }

  async refresh() {
    const id = this.id;
    const detail = await this.api("GET", `${this.base}/incidents/${encodeURIComponent(id)}`);
    let nearby = [];
    if (this.dispatcher && LIVE.has(detail.status)) {
      nearby = (await this.api("GET", `${this.base}/incidents/${encodeURIComponent(id)}/nearby`)).responders;
    }
    if (id !== this.id) return;  // another incident was opened meanwhile
    this.detail = detail;
    this.nearby = nearby;
    this.render();
    this.onCandidates(detail, nearby);
  }

  note(text, kind = "ok") {
    const el = $("#incident-action-result");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  async act(method, path, body, success) {
    try {
      const answer = await this.api(method, path, body);
      this.note(typeof success === "function" ? success(answer) : success, "ok");
      await this.refresh();
      return answer;
    } catch (err) {
      this.note(err instanceof ApiError ? err.message.charAt(0).toUpperCase() + err.message.slice(1) : String(err), "error");
      return null;
    }
  }

  async alert(responder) {
    const d = this.detail;
    const how = [metres(responder.distance_m), responder.eta_s ? minutes(responder.eta_s) : ""].filter(Boolean).join(", ");
    const ok = await confirmAction(`Alert ${responder.name} (${how} away) to incident ${incidentName(d)}?`, `Alert ${responder.name}`);
    if (!ok) return;
    await this.act("POST", `/v1/incidents/${encodeURIComponent(d.id)}/alert`, { responder_id: responder.id },
      `${responder.name} has been alerted.`);
  }

  /** A bystander's alarm held for a dispatcher: confirming runs its first phase (POST .../confirm). */
  async confirmRaise(incident) {
    const name = incidentName(incident);
    const ok = await confirmAction(`Confirm ${name}${incident.address ? ` at ${incident.address}` : ""} and alert the responders near it now?`,
      "Confirm and alert responders");
    if (!ok) return;
    if (this.id !== incident.id) await this.open(incident.id, incident);
    await this.act("POST", `/v1/incidents/${encodeURIComponent(incident.id)}/confirm`, undefined, (a) => {
      const n = Array.isArray(a?.responders) ? a.responders.length : typeof a?.alerted === "number" ? a.alerted : null;
      return n === null ? "Confirmed: the responders near it are being alerted." : `Confirmed: ${n === 1 ? "1 responder" : `${n} responders`} alerted.`;
    });
  }

  async escalate(phase) {
    const d = this.detail;
    const ok = await confirmAction(`Fire phase '${phase}' of incident ${incidentName(d)} now, without waiting for its time?`, `Fire phase '${phase}' now`);
    if (!ok) return;
    await this.act("POST", `/v1/incidents/${encodeURIComponent(d.id)}/escalate`, { phase },
      (a) => `Phase '${a.phase}' fired: ${a.alerted.length === 1 ? "1 responder" : `${a.alerted.length} responders`} alerted.`);
  }

  async send(event) {
    event.preventDefault();
    const box = $("#message-text");
    const text = box.value.trim();
    $("#message-error").textContent = "";
    if (!text) { $("#message-error").textContent = "Write the message first."; box.focus(); return; }
    const sent = await this.act("POST", `/v1/incidents/${encodeURIComponent(this.detail.id)}/messages`, { text },
      (a) => {
        const responders = a.to.length === 1 ? "1 responder" : `${a.to.length} responders`;
        if (!raisedByAlerter(this.detail)) return `Message sent to ${responders}.`;
        return a.to.length ? `Message sent to the bystander and ${responders}.` : "Message sent to the bystander.";
      });
    if (sent) box.value = "";
  }

  async cancel(event) {
    event.preventDefault();
    const input = $("#cancel-reason");
    const reason = input.value.trim();
    $("#cancel-error").textContent = "";
    if (!reason) { $("#cancel-error").textContent = "Say why the incident is cancelled."; input.focus(); return; }
    const ok = await confirmAction(`Cancel incident ${incidentName(this.detail)}? Everyone alerted or on the way is stood down.`, "Cancel the incident");
    if (!ok) return;
    if (await this.act("POST", `/v1/incidents/${encodeURIComponent(this.detail.id)}/cancel`, { reason }, "The incident is cancelled.")) {
      input.value = "";
    }
  }

  facts(d) {
    const v = this.view;
    const ended = ["cancelled", "closed"].includes(d.status);
    // Once it has ended everyone is stood down: count who had accepted before that.
    const accepted = d.responders.filter((r) => (ended ? r.accepted_at : ["accepted", "arrived"].includes(r.state))).length;
    const parts = [h("span", { class: "status" }, words(STATUS, d.status)),
      h("span", { class: "accepted" }, `${accepted} of ${d.accept_limit} accepted`),
      ended ? `reported ${when(d.created_at).slice(0, 16)} UTC` : ticking("since", d.created_at, "{} since reported")];
    if (ended && v?.ended_at) parts.push(`ended ${when(v.ended_at).slice(11, 16)} UTC`);
    if (v?.next_phase) parts.push(ticking("until", v.next_phase.at, `phase '${v.next_phase.name}' in {}`));
    else if (d.status === "alerting") parts.push("every phase has fired");
    if (v && v.eligible_nearby !== null && v.eligible_nearby !== undefined) {
      parts.push(`${v.eligible_nearby === 1 ? "1 eligible responder" : `${v.eligible_nearby} eligible responders`} nearby, not alerted`);
    }
    if (d.reason) parts.push(d.reason);
    return parts.flatMap((p, i) => (i ? [" · ", p] : [p]));
  }

  // On the way (a tracked position): when last seen, how far, when expected; else as alerted.
  whereabouts(d, r) {
    if (r.position) {
      const away = metres(distanceM(r.position, d));
      const eta = r.eta_s !== null && r.eta_s !== undefined ? `, expected in ${minutes(r.eta_s)}` : "";
      return [h("span", { class: "track" }, ` · last seen ${when(r.position.at).slice(11, 19)} UTC, ${away} away${eta}`)];
    }
    const eta = r.eta_s && ["alerted", "accepted"].includes(r.state) ? ` · ${minutes(r.eta_s)}` : "";
    return [` · ${metres(r.distance_m)} when alerted${eta}`];
  }

  render() {
    const d = this.detail;
    $("#incident-panel-title").textContent = raisedByAlerter(d) && d.category === "alerter" ? incidentName(d) : `${incidentName(d)} · ${d.category}`;
    const awaiting = d.status === "awaiting_confirmation";
    $("#incident-raised").hidden = !raisedByAlerter(d);
    $("#incident-raised").textContent = awaiting
      ? "Raised by a bystander with the alerter app. Nobody has been alerted yet: check it (a 999 call from there?) and confirm it to alert responders."
      : "Raised by a bystander with the alerter app.";
    $("#confirm-raise").hidden = !(awaiting && this.dispatcher);
    $("#confirm-raise").onclick = () => this.confirmRaise(d);
    $("#incident-address").textContent = d.address || "";
    $("#incident-facts").replaceChildren(...this.facts(d));
    $("#incident-responders").replaceChildren(...(d.responders.length ? d.responders.map((r) => h("li",
      { dataset: { responderId: r.id, state: r.state } }, h("strong", {}, r.name || r.id), " — ",
      h("span", { class: `state-${r.state}` }, words(STATE, r.state)), ...this.whereabouts(d, r)))
      : [h("li", {}, "Nobody alerted yet.")]));
    const live = LIVE.has(d.status);
    const nextPhase = this.view?.next_phase?.name;
    $("#incident-actions").hidden = !this.dispatcher || ["cancelled", "closed"].includes(d.status);
    const escalate = $("#escalate");
    escalate.hidden = !(this.dispatcher && d.status === "alerting" && nextPhase);
    if (nextPhase) {
      escalate.textContent = `Fire phase '${nextPhase}' now`;
      escalate.onclick = () => this.escalate(nextPhase);
    }
    $("#nearby-box").hidden = !(this.dispatcher && live);
    $("#nearby-list").replaceChildren(...(this.nearby.length ? this.nearby.map((r) => h("li", { dataset: { responderId: r.id } },
      h("strong", {}, r.name), ` · ${metres(r.distance_m)}${r.eta_s ? ` · ${minutes(r.eta_s)}` : ""} `,
      h("button", { type: "button", class: "secondary", onclick: () => this.alert(r) }, "Alert",
        h("span", { class: "visually-hidden" }, ` ${r.name}`))))
      : [h("li", {}, "Nobody else eligible is near enough.")]));
    // The bystander who raised an alarm hears the control room too, even before anyone is alerted.
    const raised = raisedByAlerter(d) && !["cancelled", "closed"].includes(d.status);
    $("#message-form").hidden = !this.dispatcher || !(raised || d.responders.some((r) => ["alerted", "accepted", "arrived"].includes(r.state)));
    $("#message-label").textContent = raised ? "Message to the bystander who raised the alarm and everyone alerted or on the way"
      : "Message to everyone alerted or on the way";
    $("#incident-messages").replaceChildren(...(d.messages.length ? d.messages.map((m) => h("li", { class: `message from-${m.from}` },
      h("time", { datetime: m.at }, when(m.at).slice(11, 16)), " ",
      h("strong", {}, m.from === "control" ? capital(m.by || "the control room")
        : m.from === "alerter" ? "The bystander who raised the alarm" : (m.name || m.responder || "A responder")), `: ${m.text}`))
      : [h("li", { class: "muted" }, "No messages yet.")]));
    const names = { responders: Object.fromEntries(d.responders.map((r) => [r.id, r.name || r.id])) };
    $("#incident-timeline").replaceChildren(...d.timeline.map((t) => h("li", {}, h("time", { datetime: t.at }, when(t.at).slice(11, 19)), " ",
      describeEvent(t, names))));
    tick($("#incident-panel"));
  }

  install() {
    $("#message-form").addEventListener("submit", (e) => this.send(e));
    $("#cancel-form").addEventListener("submit", (e) => this.cancel(e));
    $("#incident-close").addEventListener("click", () => this.close());
  }
}
