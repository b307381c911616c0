// One alert as a card: what it is and where, in words; the answer buttons first, so they are on
// screen on a small phone; then the defibrillator, the maps links, CPR help and the map.
import { h } from "/web/dom.js";
import { makeMap } from "/web/leaflet-map.js";
import { categoryText, language, t } from "/web/responder-i18n.js";
import { clockTime, countdown, distanceM, metres, navigateUrl } from "/web/responder-place.js";

const DECLINE_REASONS = ["too_far", "busy", "unsafe", "other"];
const REASON_KEYS = { too_far: "alert.decline.far", busy: "alert.decline.busy", unsafe: "alert.decline.unsafe", other: "alert.decline.other" };

/** How far the responder is from the patient now: their live position if known, else the server's figure. */
export function liveDistance(entry, position) {
  const f = entry.frame;
  return position ? distanceM(position, { lat: f.lat, lon: f.lon }) : f.distance_m;
}

function kicker(entry) {
  if (entry.state === "ended") return t(entry.reason === "cancelled" ? "alert.kicker.cancelled" : "alert.kicker.ended");
  return t(`alert.kicker.${entry.state}`);
}

function where(f) {
  if (f.address) return h("p", { class: "where" }, t("alert.address", { address: f.address }));
  if (f.area_hint) {
    return [h("p", { class: "where" }, t("alert.area", { area: f.area_hint })), h("p", { class: "hint" }, t("alert.area.later"))];
  }
  return h("p", { class: "where" }, t("alert.noaddress"));
}

// OpenStreetMap's access values, as registers imported from it carry them, in words.
const AED_ACCESS = { yes: "alert.aed.public", public: "alert.aed.public", permissive: "alert.aed.public", customers: "alert.aed.customers" };

function aedLines(f) {
  if (!f.aed) return [];
  const distance = metres(f.aed.distance_m);
  const known = AED_ACCESS[(f.aed.access || "").trim().toLowerCase()];
  return [
    // An AED without a name (a register's id made from its position) is not named by its id.
    h("p", { class: "aed" }, f.aed.name ? t("alert.aed", { name: f.aed.name, distance }) : t("alert.aed.nameless", { distance })),
    known ? h("p", { class: "aed-access" }, t(known))
      : f.aed.access ? h("p", { class: "aed-access" }, t("alert.aed.access", { access: f.aed.access })) : null,
  ];
}

function navigateLinks(entry, app) {
  const f = entry.frame;
  const mode = app.profile.travel_mode || "foot";
  const toPatient = h("a", { class: "button nav", href: navigateUrl(f.lat, f.lon, t("legend.patient"), mode), target: "_blank", rel: "noopener" }, t("alert.nav.patient"));
  const toAed = f.aed ? h("a", { class: "button nav aed", href: navigateUrl(f.aed.lat, f.aed.lon, f.aed.name || t("legend.aed"), mode), target: "_blank", rel: "noopener" }, t("alert.nav.aed")) : null;
  const links = entry.role === "aed" ? [toAed, toPatient] : [toPatient, toAed];
  return h("div", { class: "nav-links" }, links);
}

function roleText(entry, app) {
  if (entry.role === "aed") return t("alert.role.aed");
  return t(app.profile.carries_aed ? "alert.role.ownaed" : "alert.role.scene");
}

function outcomeText(entry) {
  if (entry.error) return t("alert.problem", { detail: entry.error });
  if (entry.state === "ended") return t(`reason.${entry.reason}`) === `reason.${entry.reason}` ? t("reason.other") : t(`reason.${entry.reason}`);
  if (entry.state === "arrived") return t("alert.arrived.done");
  return "";
}

function button(label, cls, onclick, disabled = false) {
  return h("button", { type: "button", class: cls, disabled, onclick }, label);
}

function actionButtons(entry, app) {
  const act = (type, arg) => () => app.act(entry, type, arg);
  if (entry.state === "alerted" && entry.declining) {
    const left = Math.max(0, Math.ceil((entry.declining.until - Date.now()) / 1000));
    return [h("p", { class: "pending", role: "status" }, t("alert.decline.pending", { seconds: left })),
      button(t("alert.undo"), "secondary undo", act("undo"))];
  }
  if (entry.state === "alerted" && entry.asking === "decline") {
    return [h("p", { class: "ask", id: `ask-${entry.frame.alert_id}` }, t("alert.decline.ask")),
      ...DECLINE_REASONS.map((r) => button(t(REASON_KEYS[r]), "secondary reason", act("decline", r))),
      button(t("alert.decline.none"), "secondary reason", act("decline", null)),
      button(t("alert.decline.back"), "secondary back", act("back"))];
  }
  if (entry.state === "alerted") {
    return [button(t("alert.accept"), "accept", act("accept"), entry.busy),
      button(t("alert.decline"), "danger", act("ask-decline"), entry.busy)];
  }
  if (entry.state === "assigned" && entry.asking === "arrived") {
    return [h("p", { class: "ask" }, t("alert.arrived.far", { distance: metres(liveDistance(entry, app.position)) })),
      button(t("alert.arrived.yes"), "arrived", act("arrived", true)), button(t("alert.arrived.no"), "secondary", act("back"))];
  }
  if (entry.state === "assigned") return [button(t("alert.arrived"), "arrived", act("arrived", false))];
  if (entry.state === "ended") return [button(t("alert.dismiss"), "secondary dismiss", act("dismiss"))];
  return [];
}

// Statuses from the scene, in the order a responder meets them; the defibrillator one also on the
// way for whoever was sent to fetch it. Each is sent once: a sent one becomes a line saying when.
const SCENE_STATUSES = ["with_patient", "cpr_started", "aed_collected"];

function sceneBlock(entry) {
  const id = entry.frame.alert_id;
  const fetching = entry.state === "assigned" && entry.role === "aed";
  if (entry.state !== "arrived" && !fetching) return null;
  const done = entry.statuses || {};
  const items = (fetching ? ["aed_collected"] : SCENE_STATUSES).map((s) => {
    if (done[s] && done[s] !== "sending") {
      return h("li", { class: "sent", dataset: { status: s } }, t(`scene.${s}.done`, { time: clockTime(Date.parse(done[s]), language()) }));
    }
    return h("li", {}, button(done[s] === "sending" ? t("scene.sending") : t(`scene.${s}`), "secondary scene-status",
      () => entry.app.act(entry, "status", s), done[s] === "sending"));
  });
  return h("section", { class: "scene", "aria-labelledby": `scene-${id}` },
    h("h4", { id: `scene-${id}` }, t("scene.title")),
    h("p", { class: "hint" }, t("scene.hint")),
    h("ul", { class: "scene-statuses" }, items));
}

function cprBlock(entry, app) {
  if (entry.state !== "arrived") return null;
  const running = app.metronome.running;
  return h("section", { class: "cpr", "aria-labelledby": `cpr-${entry.frame.alert_id}` },
    h("h4", { id: `cpr-${entry.frame.alert_id}` }, t("cpr.title")),
    h("div", { class: `beat${running ? " running" : ""}`, "aria-hidden": "true" }),
    h("ol", {}, t("cpr.steps").split("|").map((step) => h("li", {}, step))),
    button(t(running ? "cpr.stop" : "cpr.start"), "cpr-toggle", () => app.act(entry, "metronome")));
}

function legend(f) {
  return h("ul", { class: "legend", "aria-label": t("legend.label") },
    h("li", {}, h("span", { class: "swatch", style: "background:#d4351c" }), t("legend.patient")),
    f.aed ? h("li", {}, h("span", { class: "swatch", style: "background:#1d70b8" }), t("legend.aed")) : null,
    h("li", {}, h("span", { class: "swatch", style: "background:#ffdd00" }), t("legend.you")));
}

/** replaceChildren would print null as "null": absent parts are dropped. */
function fill(el, ...parts) {
  el.replaceChildren(...parts.flat(3).filter((p) => p !== null && p !== undefined && p !== false && p !== ""));
}

// The conversation with the control room, while the alert is live: its messages, and a reply box
// made once per card, so a redraw never loses what the responder is typing.
function talkBlock(entry, app) {
  const id = entry.frame.alert_id;
  if (!entry.talk) {
    const input = h("input", { type: "text", id: `reply-${id}`, maxlength: "1000", autocomplete: "off",
      "aria-describedby": `reply-error-${id}` });
    entry.talkList = h("ol", { class: "messages" });
    entry.talkError = h("p", { class: "field-error", id: `reply-error-${id}`, "aria-live": "polite" });
    entry.talkLabel = h("label", { for: `reply-${id}` });
    entry.talkButton = h("button", { type: "submit", class: "secondary" });
    entry.talkTitle = h("h4", { id: `talk-${id}` });
    const form = h("form", { class: "reply", novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const text = input.value.trim();
      entry.talkError.textContent = text ? "" : t("messages.empty");
      if (!text) { input.focus(); return; }
      if (app.act(entry, "message", text)) input.value = "";
    } }, entry.talkLabel, input, entry.talkError, entry.talkButton);
    entry.talk = h("section", { class: "talk", "aria-labelledby": `talk-${id}` }, entry.talkTitle, entry.talkList, form);
  }
  entry.talkTitle.textContent = t("messages.title");
  // A bystander raised this alarm: what the responder writes reaches them too.
  entry.talkLabel.textContent = t(String(entry.frame.category).toLowerCase() === "alerter" ? "messages.reply.alerter" : "messages.reply");
  entry.talkButton.textContent = t("messages.send");
  fill(entry.talkList, (entry.messages || []).map((m) => h("li", { class: `from-${m.from}` },
    h("strong", {}, m.from === "control" ? t("messages.control") : m.from === "alerter" ? t("messages.alerter") : t("messages.you")),
    ` (${clockTime(Date.parse(m.at), language())}): ${m.text}`)));
  return entry.talk;
}

export function renderCard(entry, app) {
  const f = entry.frame;
  const id = f.alert_id;
  if (!entry.card) {
    entry.body = h("div");
    entry.actions = h("div", { class: "actions" });
    entry.extra = h("div");
    entry.mapBox = h("div", { class: "mini-map", role: "region" });
    entry.legend = h("div");
    entry.card = h("article", { class: "alert-card", dataset: { alertId: id }, "aria-labelledby": `title-${id}` },
      entry.body, entry.actions, entry.extra, entry.mapBox, entry.legend);
    app.list.prepend(entry.card);
    entry.map = makeMap(entry.mapBox);
  }
  const { state } = entry;
  entry.card.className = `alert-card state-${state}`;
  entry.card.dataset.state = state;
  entry.mapBox.setAttribute("aria-label", t("alert.map"));
  const open = state !== "ended";
  const away = liveDistance(entry, app.position);
  fill(entry.body,
    h("p", { class: "kicker" }, kicker(entry)),
    h("h3", { id: `title-${id}` }, categoryText(f.category, f.category_label)),
    f.private_place ? h("p", { class: "badge private" }, h("span", { class: "house", "aria-hidden": "true" }), privateText(f)) : null,
    open ? h("p", { class: "distance" }, t("alert.away", { distance: metres(away) })) : null,
    state === "alerted" ? h("p", { class: "countdown", role: "timer", dataset: { expires: f.expires_at } }, countdownText(f.expires_at)) : null,
    open ? where(f) : null,
    state === "assigned" || state === "arrived" ? h("p", { class: "role" }, roleText(entry, app)) : null,
    h("p", { class: "outcome", role: "status" }, outcomeText(entry)),
    state === "ended" && entry.endedAt ? h("p", { class: "ended-at" }, t("alert.ended.at", { time: clockTime(entry.endedAt, language()) })) : null);
  const hadFocus = entry.actions.contains(document.activeElement);
  const buttons = actionButtons(entry, app);
  entry.actions.className = `actions${buttons.length > 2 ? " many" : ""}`;
  fill(entry.actions, buttons);
  const firstButton = entry.actions.querySelector("button");
  if (hadFocus || entry.focusNext) { firstButton?.focus(); entry.focusNext = false; }
  entry.app = app;
  fill(entry.extra, open ? [sceneBlock(entry), aedLines(f), navigateLinks(entry, app), cprBlock(entry, app)] : []);
  const talk = talkBlock(entry, app);
  if (!talk.isConnected) entry.extra.after(talk);  // placed once: moving it would take the typing focus away
  // Before answering, only once the control room has written: the alert itself comes first.
  talk.hidden = !open || (state === "alerted" && !(entry.messages || []).length);
  entry.mapBox.hidden = !open;
  fill(entry.legend, open ? legend(f) : null);
  if (open) drawMap(entry, app.position);
}

// A place the CAD did not type (or a bystander's raise) is only possibly a home: say so, not more.
function privateText(f) {
  return f.location_type === "unknown" ? t("alert.maybe_private") : t("alert.private");
}

export function countdownText(expiresAt) {
  const left = (Date.parse(expiresAt) - Date.now()) / 1000;
  return left > 0 ? t("alert.countdown", { time: countdown(left) }) : t("alert.expiring");
}

function drawMap(entry, position) {
  const L = window.L;
  if (!entry.map || !L) return;
  entry.layer?.remove();
  const f = entry.frame;
  const points = [[f.lat, f.lon]];
  entry.layer = L.layerGroup().addTo(entry.map);
  const patient = f.private_place ? `${t("legend.patient")} (${privateText(f)})` : t("legend.patient");
  L.circleMarker([f.lat, f.lon], { radius: 10, color: "#000", weight: 2, fillColor: "#d4351c", fillOpacity: 1 }).bindTooltip(patient).addTo(entry.layer);
  if (f.aed) {
    L.circleMarker([f.aed.lat, f.aed.lon], { radius: 7, color: "#000", weight: 2, fillColor: "#1d70b8", fillOpacity: 1 }).bindTooltip(t("legend.aed")).addTo(entry.layer);
    points.push([f.aed.lat, f.aed.lon]);
  }
  if (position) {
    L.circleMarker([position.lat, position.lon], { radius: 7, color: "#000", weight: 2, fillColor: "#ffdd00", fillOpacity: 1 }).bindTooltip(t("legend.you")).addTo(entry.layer);
    points.push([position.lat, position.lon]);
  }
  if (!entry.fitted || entry.fitted !== points.length) {
    entry.map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 17 });
    entry.fitted = points.length;
  }
}

export { DECLINE_REASONS };
