// The reference responder client: one websocket (signed in by its first message, so the token is
// never in a URL), browser geolocation, an availability switch, and alert cards with Accept,
// Decline and "I've arrived". It reconnects by itself; open alerts come back in `ready.pending`.
import { client, ApiError } from "/web/api.js";
import { h, $, metres } from "/web/dom.js";
import { makeMap } from "/web/leaflet-map.js";

const KEY = "alerting.responder-token";
const AVAILABLE = "alerting.available";
const TITLES = { alerted: "Cardiac arrest alert", assigned: "You are assigned: go now", arrived: "On scene", ended: "Stood down" };
const REASONS = { filled: "Enough responders have accepted: you are not needed. Thank you.",
  cancelled: "The ambulance service cancelled this call.", expired: "This alert has expired.",
  closed: "The job is over.", declined: "You declined this alert.", gone: "This alert is no longer open." };

class Responder {
  constructor(token, me) {
    this.token = token;
    this.me = me;
    this.ws = null;
    this.retry = 1000;
    this.alerts = new Map();   // alert id -> { frame, state, role, reason, card }
    this.position = null;
    this.sentAt = 0;
    this.stopped = false;
  }

  start() {
    $("#responder-name").textContent = this.me.name || this.me.responder_id;
    const available = localStorage.getItem(AVAILABLE) !== "false";
    $("#available").checked = available;
    $("#available").addEventListener("change", () => {
      localStorage.setItem(AVAILABLE, String($("#available").checked));
      this.send({ type: "availability", available: $("#available").checked });
    });
    this.watchLocation();
    this.connect();
    registerPush(client(this.token));
  }

  stop() {
    this.stopped = true;
    this.ws?.close(1000, "signed out");
  }

  status(text, kind = "") {
    const el = $("#connection");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/v1/responders/ws`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (event) => this.onFrame(JSON.parse(event.data));
    ws.onclose = (event) => {
      clearInterval(this.pinger);
      if (this.stopped) return;
      if (event.code === 4401 || event.code === 4403) {
        this.status("Your token is no longer valid. Sign out and sign in with a new one.", "error");
        return;
      }
      this.status("Connection lost. Reconnecting…", "error");
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    };
  }

  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  onFrame(frame) {
    switch (frame.type) {
      case "ready": {
        this.retry = 1000;
        this.status("Connected: you will be alerted here.", "ok");
        this.pinger = setInterval(() => this.send({ type: "ping" }), 25000);
        this.send({ type: "availability", available: $("#available").checked });
        if (this.position) this.sendLocation(true);
        const open = new Set(frame.pending.map((p) => p.alert_id));
        for (const [id, a] of this.alerts) if (a.state !== "ended" && !open.has(id)) this.update(id, { state: "ended", reason: "gone" });
        for (const p of frame.pending) this.addAlert(p, false);
        break;
      }
      case "alert": this.addAlert(frame, true); break;
      case "assigned": this.update(frame.alert_id, { state: "assigned", role: frame.role }); break;
      case "stand_down": this.update(frame.alert_id, { state: "ended", reason: frame.reason }); break;
      case "error":
        if (frame.alert_id && this.alerts.has(frame.alert_id)) this.update(frame.alert_id, { error: frame.detail });
        else if (frame.code === "rate_limited") { /* a location sent too soon after another: the next one goes */ }
        else this.status(`Problem: ${frame.detail}`, "error");
        break;
      default: break;
    }
  }

  addAlert(frame, fresh) {
    const known = this.alerts.get(frame.alert_id);
    const state = frame.state === "accepted" ? "assigned" : frame.state === "arrived" ? "arrived" : "alerted";
    if (known) { this.update(frame.alert_id, { frame: { ...known.frame, ...frame }, state, role: frame.role ?? known.role }); return; }
    const entry = { frame, state, role: frame.role || null, reason: null, error: null, card: null };
    this.alerts.set(frame.alert_id, entry);
    this.render(entry);
    this.send({ type: "ack", alert_id: frame.alert_id });
    if (fresh && state === "alerted") ring();
  }

  update(id, changes) {
    const entry = this.alerts.get(id);
    if (!entry) return;
    Object.assign(entry, { error: null }, changes);
    if (changes.error) entry.busy = false;
    this.render(entry);
  }

  act(entry, type) {
    entry.busy = true;
    this.render(entry);
    this.send({ type, alert_id: entry.frame.alert_id });
    if (type === "decline") this.update(entry.frame.alert_id, { state: "ended", reason: "declined" });
    if (type === "arrived") this.update(entry.frame.alert_id, { state: "arrived" });
  }

  render(entry) {
    const f = entry.frame;
    if (!entry.card) {
      entry.info = h("div");
      entry.mapBox = h("div", { class: "mini-map", role: "region", "aria-label": "Map of the patient, you and the nearest defibrillator" });
      entry.actions = h("div", { class: "actions" });
      entry.outcome = h("p", { class: "outcome", role: "status" });
      entry.card = h("article", { class: "alert-card", dataset: { alertId: f.alert_id }, "aria-labelledby": `title-${f.alert_id}` },
        entry.info, entry.outcome, entry.actions, entry.mapBox);
      $("#alerts").prepend(entry.card);
      entry.map = makeMap(entry.mapBox);
    }
    const { state } = entry;
    if (state !== "alerted") entry.busy = false;
    entry.card.className = `alert-card ${state === "assigned" || state === "arrived" ? "assigned" : state === "ended" ? "ended" : ""}`;
    entry.card.dataset.state = state;
    const aed = f.aed ? h("p", {}, h("strong", {}, "Nearest defibrillator: "),
      `${f.aed.name || f.aed.id}${f.aed.access ? ` (${f.aed.access})` : ""}, ${metres(f.aed.distance_m)} from the patient`) : "";
    entry.info.replaceChildren(
      h("h3", { id: `title-${f.alert_id}` }, TITLES[state]),
      h("p", { class: "distance" }, `${metres(f.distance_m)} away`),
      h("p", {}, h("strong", {}, f.address || "Address not given"), ` · ${f.category}`),
      aed,
      state === "alerted" ? h("p", {}, `Answer by ${new Date(f.expires_at).toLocaleTimeString()}`) : "");
    entry.outcome.textContent = entry.error ? `Problem: ${entry.error}`
      : state === "ended" ? REASONS[entry.reason] || `Stood down (${entry.reason}).`
      : state === "assigned" ? `Assigned${entry.role ? ` (${entry.role === "aed" ? "bring the defibrillator" : "go to the patient"})` : ""}.`
      : state === "arrived" ? "Arrival reported. Thank you." : "";
    const buttons = [];
    if (state === "alerted") {
      buttons.push(h("button", { type: "button", class: "accept", disabled: entry.busy, onclick: () => this.act(entry, "accept") }, "Accept"),
        h("button", { type: "button", class: "danger", disabled: entry.busy, onclick: () => this.act(entry, "decline") }, "Decline"));
    } else if (state === "assigned") {
      buttons.push(h("button", { type: "button", class: "arrived", onclick: () => this.act(entry, "arrived") }, "I've arrived"));
    }
    const hadFocus = entry.actions.contains(document.activeElement);
    entry.actions.replaceChildren(...buttons);
    if (hadFocus || (state === "assigned" && buttons.length)) buttons[0]?.focus();
    this.drawMap(entry);
    $("#no-alerts").hidden = [...this.alerts.values()].some((a) => a.state !== "ended");
  }

  drawMap(entry) {
    const L = window.L;
    if (!entry.map || !L) return;
    entry.layer?.remove();
    const f = entry.frame;
    const points = [[f.lat, f.lon]];
    entry.layer = L.layerGroup().addTo(entry.map);
    L.circleMarker([f.lat, f.lon], { radius: 10, color: "#000", weight: 2, fillColor: "#d4351c", fillOpacity: 1 }).bindTooltip("Patient").addTo(entry.layer);
    if (f.aed) {
      L.circleMarker([f.aed.lat, f.aed.lon], { radius: 7, color: "#000", weight: 2, fillColor: "#1d70b8", fillOpacity: 1 }).bindTooltip("Defibrillator").addTo(entry.layer);
      points.push([f.aed.lat, f.aed.lon]);
    }
    if (this.position) {
      L.circleMarker([this.position.lat, this.position.lon], { radius: 7, color: "#000", weight: 2, fillColor: "#ffdd00", fillOpacity: 1 }).bindTooltip("You").addTo(entry.layer);
      points.push([this.position.lat, this.position.lon]);
    }
    entry.map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 17 });
  }

  watchLocation() {
    if (!navigator.geolocation) { $("#location-status").textContent = "This browser cannot share your location."; return; }
    navigator.geolocation.watchPosition((pos) => {
      this.position = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
      $("#location-status").textContent = `Location shared (accurate to ${Math.round(pos.coords.accuracy)} m).`;
      this.sendLocation(false);
    }, (err) => {
      $("#location-status").textContent = `Location not shared: ${err.message}. You will not be alerted until it is.`;
    }, { enableHighAccuracy: true, maximumAge: 15000 });
  }

  sendLocation(force) {
    const now = Date.now();
    if (!this.position || (!force && now - this.sentAt < 5000)) return;
    this.sentAt = now;
    this.send({ type: "location", ...this.position });
  }
}

let audio = null;
function ring() {
  try { navigator.vibrate?.([600, 200, 600, 200, 600]); } catch { /* not a phone */ }
  try {
    audio ??= new AudioContext();
    for (let i = 0; i < 6; i += 1) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = i % 2 ? 660 : 880;
      gain.gain.value = 0.6;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + i * 0.35);
      osc.stop(audio.currentTime + i * 0.35 + 0.3);
    }
  } catch { /* sound is a bonus: the card and vibration still show */ }
}

function urlBase64ToUint8Array(base64) {
  const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function registerPush(api) {
  const say = (text) => { $("#push-status").textContent = text; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) { say("This browser cannot receive alerts while the page is closed."); return; }
  try {
    const registration = await navigator.serviceWorker.register("/responder/sw.js", { scope: "/responder" });
    let key;
    try { key = (await api("GET", "/v1/me/push-config")).application_server_key; } catch (err) {
      if (err instanceof ApiError && err.status === 404) { say("Alerts while the page is closed are not set up on this server."); return; }
      throw err;
    }
    if (Notification.permission === "default") await Notification.requestPermission();
    if (Notification.permission !== "granted") { say("Allow notifications to be alerted while this page is closed."); return; }
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) });
    await api("PUT", "/v1/me/push-subscription", subscription.toJSON());
    say("You will also be alerted while this page is closed.");
  } catch (err) {
    say(`Alerts while the page is closed are unavailable: ${err.message}`);
  }
}

let current = null;

async function signIn(token) {
  const me = await client(token)("GET", "/v1/whoami");
  if (me.kind !== "responder") throw new ApiError(401, { detail: "This is not a responder token." });
  localStorage.setItem(KEY, token);
  $("#sign-in").hidden = true;
  $("#duty").hidden = false;
  $("#who").hidden = false;
  current = new Responder(token, me);
  current.start();
}

$("#sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#token");
  const error = $("#token-error");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  try {
    if (!input.value.trim()) throw new Error("Enter your responder token.");
    await signIn(input.value.trim());
    input.value = "";
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401 ? "That token was not accepted." : err.message;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
});

$("#sign-out").addEventListener("click", () => {
  current?.stop();
  localStorage.removeItem(KEY);
  location.reload();
});

const saved = localStorage.getItem(KEY);
if (saved) signIn(saved).catch(() => localStorage.removeItem(KEY));
