// Being on duty: one websocket (signed in by its first message, so the token is never in a URL),
// a heartbeat that makes the state line honest, browser geolocation, and the alerts' life cycle.
// It reconnects by itself; open alerts come back in `ready.pending`.
import { $ } from "/web/dom.js";
import { Alarm, Metronome, ScreenLock, standDownChime, unlockAudio } from "/web/responder-alarm.js";
import { countdownText, liveDistance, renderCard } from "/web/responder-card.js";
import { nextStartText, onDutyAt } from "/web/responder-hours.js";
import { t } from "/web/responder-i18n.js";

const ON_DUTY = "alerting.available";
const HEARTBEAT_MS = 10_000;   // a ping this often; no pong within it means offline
const UNDO_MS = 5_000;
const FAR_FROM_SCENE_M = 200;
const LOCATION_EVERY_MS = 5_000;

export class Duty {
  constructor(token, me, profile) {
    this.token = token;
    this.me = me;
    this.profile = profile;
    this.ws = null;
    this.retry = 1000;
    this.alerts = new Map();   // alert id -> entry
    this.position = null;
    this.sentAt = 0;
    this.stopped = false;
    this.ready = false;
    this.lastPong = 0;
    this.revoked = false;
    this.locationRefused = false;
    this.list = $("#alerts");
    this.alarm = new Alarm();
    this.metronome = new Metronome(() => this.pulse());
    this.screen = new ScreenLock((held) => { $("#wakelock-status").textContent = held ? t("wakelock.on") : ""; });
  }

  get onDuty() { return $("#on-duty").checked; }

  start() {
    $("#on-duty").checked = localStorage.getItem(ON_DUTY) !== "false";
    $("#on-duty").addEventListener("change", () => {
      localStorage.setItem(ON_DUTY, String(this.onDuty));
      this.send({ type: "availability", available: this.onDuty });
      this.screen.set(this.onDuty);
      this.showState();
    });
    window.addEventListener("online", () => this.showState());
    window.addEventListener("offline", () => this.showState());
    this.screen.set(this.onDuty);
    this.ticker = setInterval(() => this.tick(), 1000);
    this.watchLocation();
    this.connect();
    this.showState();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.ticker);
    clearInterval(this.pinger);
    clearTimeout(this.trailing);
    this.alarm.stopAll();
    this.metronome.stop();
    this.screen.set(false);
    if (this.watchId !== undefined) navigator.geolocation.clearWatch(this.watchId);
    this.ws?.close(1000, "signed out");
  }

  /** Reachable only if the browser is online, the socket is signed in and a pong came within the heartbeat. */
  reachable() {
    return navigator.onLine && this.ready && Date.now() - this.lastPong < HEARTBEAT_MS + 2000;
  }

  showState() {
    const line = $("#duty-state");
    let key;
    let kind;
    if (this.revoked) [key, kind] = ["duty.state.revoked", "error"];
    else if (!this.onDuty) [key, kind] = ["duty.state.off", "off"];
    else if (!onDutyAt(this.profile.on_duty_hours)) [key, kind] = ["duty.state.offhours", "off"];
    else if (!navigator.onLine || (this.ready && !this.reachable()) || (!this.ready && this.everReady)) [key, kind] = ["duty.state.offline", "error"];
    else if (!this.ready) [key, kind] = ["duty.state.connecting", "pending"];
    else if (this.locationRefused) [key, kind] = ["duty.state.nolocation", "error"];
    else [key, kind] = ["duty.state.reachable", "ok"];
    const text = key === "duty.state.offhours" ? t(key, { when: nextStartText(this.profile.on_duty_hours) }) : t(key);
    if (line.dataset.state !== kind || line.dataset.key !== key || line.textContent !== text) {
      line.textContent = text;
      line.dataset.state = kind;
      line.dataset.key = key;
      line.className = `state-line ${kind}`;
    }
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/v1/responders/ws`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (event) => { this.lastPong = Date.now(); this.onFrame(JSON.parse(event.data)); };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      clearInterval(this.pinger);
      this.ready = false;
      this.showState();
      if (this.stopped) return;
      if ([4401, 4403, 4410].includes(event.code)) { this.revoked = true; this.showState(); return; }
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    };
  }

  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(message)); return true; }
    return false;
  }

  /** A socket that stopped answering is closed, so the reconnect starts at once rather than after TCP gives up. */
  heartbeat() {
    if (this.ready && Date.now() - this.lastPong > 2 * HEARTBEAT_MS) this.ws?.close(4000, "no answer");
    this.send({ type: "ping" });
  }

  onFrame(frame) {
    switch (frame.type) {
      case "ready": {
        this.retry = 1000;
        this.ready = true;
        this.everReady = true;
        clearInterval(this.pinger);
        this.pinger = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
        this.send({ type: "availability", available: this.onDuty });
        if (this.position) this.sendLocation(true);
        const open = new Set(frame.pending.map((p) => p.alert_id));
        for (const [id, a] of this.alerts) if (a.state !== "ended" && !a.declining && !open.has(id)) this.end(id, "gone");
        for (const p of frame.pending) this.addAlert(p, false);
        break;
      }
      case "alert": this.addAlert(frame, true); break;
      case "reminder": window.dispatchEvent(new CustomEvent("responder:reminder", { detail: frame })); break;
      case "outcome": window.dispatchEvent(new CustomEvent("responder:outcome", { detail: frame })); break;
      case "check_in": window.dispatchEvent(new CustomEvent("responder:check-in", { detail: frame })); break;
      case "assigned": {
        const entry = this.alerts.get(frame.alert_id);
        if (entry && frame.address) entry.frame = { ...entry.frame, address: frame.address };
        this.update(frame.alert_id, { state: "assigned", role: frame.role, focusNext: true });
        break;
      }
      case "stand_down": this.end(frame.alert_id, frame.reason); break;
      case "declined": this.end(frame.alert_id, "declined"); break;  // perhaps from a notification's Decline
      case "message": {
        const entry = this.alerts.get(frame.alert_id);
        if (!entry) break;
        // From the control room, or from the bystander who raised the alarm (`from: "alerter"`).
        const from = frame.from === "alerter" ? "alerter" : "control";
        this.update(frame.alert_id, { messages: [...(entry.messages || []), { from, text: frame.text, at: frame.at }] });
        $("#announce").textContent = t("messages.announce", { text: frame.text });
        break;
      }
      case "status": {
        const entry = this.alerts.get(frame.alert_id);
        if (entry) this.update(frame.alert_id, { statuses: { ...entry.statuses, [frame.status]: frame.at } });
        break;
      }
      case "error":
        if (frame.alert_id && this.alerts.has(frame.alert_id)) this.update(frame.alert_id, { error: frame.detail, busy: false });
        else if (frame.code !== "rate_limited") $("#duty-problem").textContent = t("alert.problem", { detail: frame.detail });
        break;
      default: break;
    }
    this.showState();
  }

  addAlert(frame, fresh) {
    const known = this.alerts.get(frame.alert_id);
    const state = frame.state === "accepted" ? "assigned" : frame.state === "arrived" ? "arrived" : "alerted";
    if (known) {
      if (known.state === "ended") return;
      this.update(frame.alert_id, { frame: { ...known.frame, ...frame }, state: known.declining ? known.state : state, role: frame.role ?? known.role,
        statuses: { ...known.statuses, ...frame.statuses } });
      return;
    }
    const entry = { frame, state, role: frame.role || null, reason: null, error: null, card: null, statuses: frame.statuses || {} };
    this.alerts.set(frame.alert_id, entry);
    this.render(entry);
    this.send({ type: "ack", alert_id: frame.alert_id });
    if (state === "alerted") {
      $("#welcome").textContent = "";
      this.alarm.start(frame.alert_id, t("title.alert"));
      $("#announce").textContent = `${t("alert.kicker.alerted")}: ${entry.card.querySelector("h3").textContent}`;
      showAlerts();
      entry.card.scrollIntoView({ block: "start", behavior: fresh ? "auto" : "auto" });
    }
  }

  end(id, reason) {
    const entry = this.alerts.get(id);
    if (!entry || entry.state === "ended") return;
    clearTimeout(entry.declining?.timer);
    const wasOnIt = entry.state === "assigned" || entry.state === "arrived" || (entry.state === "alerted" && !entry.declining);
    this.alarm.stop(id);
    if (entry.state === "arrived") this.metronome.stop();
    this.update(id, { state: "ended", reason, declining: null, asking: null, endedAt: Date.now() });
    if (wasOnIt && reason !== "declined") {
      standDownChime();
      $("#announce").textContent = entry.card.querySelector(".outcome").textContent;
    }
  }

  update(id, changes) {
    const entry = this.alerts.get(id);
    if (!entry) return;
    Object.assign(entry, { error: null }, changes);
    if (entry.state !== "alerted") { entry.busy = false; this.alarm.stop(id); }
    this.render(entry);
  }

  /** Everything a card's buttons do. */
  act(entry, type, arg) {
    unlockAudio();
    const id = entry.frame.alert_id;
    switch (type) {
      case "accept":
        this.alarm.stop(id);
        this.update(id, { busy: true, asking: null });
        this.send({ type: "accept", alert_id: id });
        break;
      case "ask-decline": this.alarm.stop(id); this.update(id, { asking: "decline", focusNext: true }); break;
      case "back": this.update(id, { asking: null, focusNext: true }); break;
      case "decline": {
        // Sent only once the undo window has passed: a slip of the thumb costs nothing.
        const timer = setTimeout(() => {
          entry.declining = null;
          this.send({ type: "decline", alert_id: id, ...(arg ? { reason: arg } : {}) });
          this.end(id, "declined");
        }, UNDO_MS);
        this.update(id, { asking: null, declining: { reason: arg, until: Date.now() + UNDO_MS, timer }, focusNext: true });
        break;
      }
      case "undo":
        clearTimeout(entry.declining?.timer);
        this.update(id, { declining: null, focusNext: true });
        break;
      case "arrived": {
        const away = liveDistance(entry, this.position);
        if (!arg && this.position && away > FAR_FROM_SCENE_M) { this.update(id, { asking: "arrived", focusNext: true }); break; }
        // `on_scene` is the arrival, and also tells the control room and the crew as a status.
        this.send({ type: "status", alert_id: id, status: "on_scene" });
        this.update(id, { state: "arrived", asking: null, focusNext: true });
        break;
      }
      case "status":
        if (this.send({ type: "status", alert_id: id, status: arg })) {
          this.update(id, { statuses: { ...entry.statuses, [arg]: "sending" } });
          entry.card.querySelector(`.scene-status:not([disabled])`)?.focus();
        }
        break;
      case "message":
        if (!this.send({ type: "message", alert_id: id, text: arg })) return false;
        this.update(id, { messages: [...(entry.messages || []), { from: "you", text: arg, at: new Date().toISOString() }] });
        return true;
      case "metronome":
        if (this.metronome.running) this.metronome.stop(); else this.metronome.start();
        entry.focusNext = false;
        this.render(entry);
        entry.card.querySelector(".cpr-toggle")?.focus();
        break;
      case "dismiss":
        entry.card.remove();
        this.alerts.delete(id);
        $("#no-alerts").hidden = [...this.alerts.values()].some((a) => a.state !== "ended");
        $("#alerts-heading")?.focus();
        break;
      default: break;
    }
  }

  render(entry) {
    renderCard(entry, this);
    $("#no-alerts").hidden = [...this.alerts.values()].some((a) => a.state !== "ended");
  }

  rerenderAll() {
    for (const entry of this.alerts.values()) this.render(entry);
    this.showState();
  }

  pulse() {
    for (const el of document.querySelectorAll(".cpr .beat")) { el.classList.remove("on"); void el.offsetWidth; el.classList.add("on"); }
  }

  /** Once a second: countdowns, the undo window, and whether the heartbeat still answers. */
  tick() {
    for (const el of document.querySelectorAll(".countdown[data-expires]")) el.textContent = countdownText(el.dataset.expires);
    for (const entry of this.alerts.values()) if (entry.declining) this.render(entry);
    this.showState();
  }

  watchLocation() {
    if (!navigator.geolocation) { $("#location-status").textContent = t("location.unsupported"); return; }
    $("#location-status").textContent = t("location.waiting");
    this.watchId = navigator.geolocation.watchPosition((pos) => {
      this.position = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
      this.locationRefused = false;
      $("#location-status").textContent = t("location.shared", { metres: Math.round(pos.coords.accuracy) });
      this.sendLocation(false);
      for (const entry of this.alerts.values()) if (entry.state !== "ended") this.render(entry);
      this.showState();
    }, (err) => {
      this.locationRefused = err.code === err.PERMISSION_DENIED;
      $("#location-status").textContent = t("location.denied", { detail: err.message });
      this.showState();
    }, { enableHighAccuracy: true, maximumAge: 15000 });
  }

  /** At most one position every 5 s; one that comes sooner is sent when the 5 s are up, so the
   * server always ends up with the latest (a responder who stops moving is not left where they were). */
  sendLocation(force) {
    const now = Date.now();
    if (!this.position) return;
    const wait = force ? 0 : LOCATION_EVERY_MS - (now - this.sentAt);
    if (wait > 0) {
      this.trailing ??= setTimeout(() => { this.trailing = null; this.sendLocation(true); }, wait);
      return;
    }
    clearTimeout(this.trailing);
    this.trailing = null;
    if (this.send({ type: "location", ...this.position })) this.sentAt = now;
  }
}

function showAlerts() {
  document.querySelector('[data-tab="duty"]')?.click();
}
