// The alerter page: a bystander joins from an invite link (the code in the fragment is redeemed for
// a token kept on this phone), then sees one large button. It is a `tel:` link, so the phone's
// dialler opens on the trust's emergency number even offline or if this script fails; the same tap
// sends the location to POST /v1/alerts/raise. Then the help view: how many responders are coming
// and how far the nearest is, the nearest defibrillator, CPR with a beat, messages with the
// responders, and the stand-down when the ambulance service closes or cancels the call.
import { client, ApiError } from "/web/api.js";
import { h, $ } from "/web/dom.js";
import { Metronome, ScreenLock, unlockAudio } from "/web/responder-alarm.js";
import { clockTime, navigateUrl } from "/web/responder-place.js";
import { AlerterLive } from "/web/alerter-live.js";
import { FROM, STAND_DOWN, aedLine, etaLine, helpLine, helpTitle, problemText } from "/web/alerter-words.js";

const KEY = "alerting.alerter-token";
const PROFILE = "alerting.alerter-profile";
const FIX_FRESH_MS = 60_000;   // a position this recent is used at once when the button is pressed
const FIX_WAIT_MS = 20_000;    // else wait this long for one
const CLOSE_SUSPENDED = 4410;  // the socket's close code for a suspended alerter

let token = localStorage.getItem(KEY);
let me = JSON.parse(localStorage.getItem(PROFILE) || "null");
let api = token ? client(token) : null;
let fix = null;          // {lat, lon, accuracy_m, at}
let watchId = null;
let live = null;
let help = null;         // the last help view: {incident_id, status, accepted, nearest_m, eta_s, aed}
let messages = [];
let pendingRaise = false;
const metronome = new Metronome(pulse);
const screenLock = new ScreenLock();  // the screen stays on while help comes: CPR goes on for minutes

const number = () => String(me?.emergency_number || "999");

// ----- screens -----
function show(name) {
  for (const id of ["join", "ready", "help", "ended"]) $(`#${id}`).hidden = id !== name;
  offlineBanner();
  if (name === "ready") watchLocation(); else stopWatching();
  if (name !== "help") metronomeOff();
  screenLock.set(name === "help");
}

function setNumber() {
  const n = number();
  for (const el of document.querySelectorAll(".number")) el.textContent = n;
  for (const el of document.querySelectorAll("a[href^='tel:']")) el.href = `tel:${n}`;
  $("#trust-name").textContent = me?.trust_name || "";
}

// ----- joining -----
function inviteCode(text) {
  const value = String(text || "").trim();
  const match = value.match(/[#&?]invite=([A-Za-z0-9_-]+)/);
  if (match) return match[1];
  return /^[A-Za-z0-9_-]{8,128}$/.test(value) ? value : "";
}

const REDEEM_REFUSED = {
  invite_used: "This invite link was used already. Ask your ambulance service for a new one.",
  invite_expired: "This invite link has expired. Ask your ambulance service for a new one.",
  invite_unknown: "This invite link is not known. Check you copied all of it, or ask for a new one.",
};

async function redeem(code, name) {
  const say = $("#join-status");
  say.className = "banner";
  say.textContent = "Joining…";
  try {
    const body = { code };
    if (name) body.name = name;
    const response = await fetch("/v1/invites/redeem", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, answer);
    // A responder's invite pasted here: the code is spent, so its token goes to the responder page.
    if (!answer.alerter_id) { localStorage.setItem("alerting.responder-token", answer.token); location.replace("/responder"); return; }
    history.replaceState(null, "", location.pathname);
    await signIn(answer.token, answer);
    $("#welcome").className = "banner ok";
    $("#welcome").textContent = "You have joined. If someone collapses, press the red button.";
  } catch (err) {
    say.className = "banner error";
    say.textContent = REDEEM_REFUSED[err.problem?.code] || `Could not join: ${err.message}`;
    $("#join").hidden = false;
  }
}

$("#join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = inviteCode($("#invite-input").value);
  if (!code) {
    $("#join-status").className = "banner error";
    $("#join-status").textContent = "That is not an invite link. Paste the whole link from the message.";
    $("#invite-input").focus();
    return;
  }
  redeem(code, "");
});

/** Who this token is, and the trust's emergency number; offline, the last known answer stands in. */
async function signIn(newToken, redeemed = {}) {
  const call = client(newToken);
  let who;
  try {
    who = await call("GET", "/v1/whoami");
    if (who.kind !== "alerter") throw new ApiError(401, { detail: "not an alerter" });
  } catch (err) {
    if (err instanceof ApiError || !me) throw err;
    who = me;
  }
  token = newToken;
  api = call;
  me = { ...who, emergency_number: who.emergency_number || redeemed.emergency_number || me?.emergency_number || "999" };
  localStorage.setItem(KEY, token);
  localStorage.setItem(PROFILE, JSON.stringify(me));
  setNumber();
  registerWorker();
  await restore();
}

function signOut() {
  live?.stop();
  localStorage.removeItem(KEY);
  localStorage.removeItem(PROFILE);
  location.replace(location.pathname);
}
$("#sign-out").addEventListener("click", signOut);

/** The alerter's open alert, if any (GET /v1/alerts/current), so a reload comes back to it. */
async function restore() {
  let current = null;
  try {
    current = await api("GET", "/v1/alerts/current");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { revoked(); return; }
    if (err instanceof ApiError && err.status === 403 && err.problem?.code === "alerter_suspended") { suspended(); return; }
    if (!(err instanceof ApiError && err.status === 404)) {
      // Offline or the server is down: the button still calls.
      show("ready");
      return;
    }
  }
  if (current && !["closed", "cancelled"].includes(current.status)) {
    if (current.emergency_number) { me.emergency_number = current.emergency_number; setNumber(); }
    messages = [];
    for (const m of current.messages || []) addMessage(m);
    renderMessages();
    openHelp(current);
  } else {
    show("ready");
  }
}

function revoked() {
  live?.stop();
  localStorage.removeItem(KEY);
  localStorage.removeItem(PROFILE);
  token = null;
  api = null;
  show("join");
  $("#join-status").className = "banner error";
  $("#join-status").textContent = `This phone is no longer signed in. Ask your ambulance service for a new invite link. In an emergency, call ${number()}.`;
}

/** A dispatcher suspended this alerter (their socket closed with 4410, or a route said so): the
 * token stays on the phone, since it works again once they are reinstated; the button still calls. */
function suspended() {
  live?.stop();
  live = null;
  help = null;
  messages = [];
  renderMessages();
  show("ready");
  $("#welcome").className = "banner error";
  $("#welcome").textContent = `Your ambulance service has suspended your account, so this phone cannot alert responders now. In an emergency, call ${number()}.`;
}

// ----- where the alerter is -----
function locationLine(text, kind = "") {
  const el = $("#location-line");
  el.textContent = text;
  el.className = `location-line ${kind}`;
}

function keep(position) {
  fix = { lat: position.coords.latitude, lon: position.coords.longitude, accuracy_m: Math.round(position.coords.accuracy || 0), at: Date.now() };
  locationLine("Your location is ready to send.", "ok");
  $("#allow-location").hidden = true;
}

function refused(error) {
  if (error.code === error.PERMISSION_DENIED) {
    locationLine("Location is off for this app: responders cannot find you. Allow location in the phone's settings.", "error");
  } else {
    locationLine("This phone cannot find where you are just now.", "error");
    $("#allow-location").hidden = false;
  }
}

function watchLocation() {
  if (watchId !== null || !("geolocation" in navigator)) {
    if (!("geolocation" in navigator)) locationLine("This phone cannot share its location: tell the 999 call handler where you are.", "error");
    return;
  }
  locationLine("Finding where you are…");
  watchId = navigator.geolocation.watchPosition(keep, refused, { enableHighAccuracy: true, maximumAge: 30_000, timeout: 30_000 });
}

function stopWatching() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

$("#allow-location").addEventListener("click", () => { $("#allow-location").hidden = true; stopWatching(); watchLocation(); });

/** A recent position at once, or the next one the phone finds. */
function locate() {
  if (fix && Date.now() - fix.at < FIX_FRESH_MS) return Promise.resolve(fix);
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) { reject(Object.assign(new Error("no location"), { noLocation: true })); return; }
    navigator.geolocation.getCurrentPosition((p) => { keep(p); resolve(fix); },
      () => reject(Object.assign(new Error("no location"), { noLocation: true })),
      { enableHighAccuracy: true, maximumAge: FIX_FRESH_MS, timeout: FIX_WAIT_MS });
  });
}

// ----- raising the alarm -----
// The link's own navigation opens the dialler; this runs in the same tap and never prevents it.
$("#raise").addEventListener("click", () => {
  unlockAudio();
  raise();
});

async function raise() {
  if (pendingRaise) return;
  pendingRaise = true;
  messages = [];
  renderMessages();
  openHelp({ status: "raising", accepted: 0 }, { connect: false });
  try {
    const where = await locate();
    if (!navigator.onLine) throw Object.assign(new Error("offline"), { offline: true });
    const body = { lat: where.lat, lon: where.lon };
    if (where.accuracy_m > 0) body.accuracy_m = Math.min(where.accuracy_m, 10_000);
    let answer;
    try {
      answer = await raiseRequest(body);
    } catch (err) {
      if (!(err instanceof ApiError)) throw Object.assign(err, { offline: true });
      throw err;
    }
    if (answer.emergency_number && answer.emergency_number !== me.emergency_number) {
      me.emergency_number = answer.emergency_number;
      localStorage.setItem(PROFILE, JSON.stringify(me));
      setNumber();
    }
    problem("");
    openHelp({ incident_id: answer.incident_id, status: answer.status, accepted: 0 });
  } catch (err) {
    if (err instanceof ApiError && err.status === 429 && err.problem?.code === "alert_open") { await restore(); return; }
    if (err instanceof ApiError && err.status === 401) { revoked(); return; }
    const said = err?.problem?.emergency_number;
    if (said && said !== me.emergency_number) { me.emergency_number = said; localStorage.setItem(PROFILE, JSON.stringify(me)); setNumber(); }
    problem(problemText(err, number()), err);
  } finally {
    pendingRaise = false;
  }
}

/** keepalive: the request goes on even while the dialler has the screen and the page is frozen. */
async function raiseRequest(body) {
  const response = await fetch("/v1/alerts/raise", {
    method: "POST", keepalive: true, cache: "no-store",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ title: response.statusText }));
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

function problem(text, err) {
  $("#help-problem").textContent = text;
  const failed = Boolean(text);
  $("#help-retry-box").hidden = !failed;
  $("#help-retry").hidden = !(err?.offline || err?.noLocation || (err instanceof ApiError && err.status >= 500));
  $("#help").classList.toggle("failed", failed);
  offlineBanner();
  if (failed) {
    $("#help-title").textContent = "Responders were not alerted";
    $("#help-line").textContent = "";
    $("#help-eta").textContent = "";
    $("#help-title").focus();
  }
}

$("#help-retry").addEventListener("click", () => { problem(""); raise(); });
$("#help-back").addEventListener("click", () => { problem(""); help = null; show("ready"); });
/** Says the phone is offline, except where the failed raise says it already. */
function offlineBanner() {
  $("#offline").hidden = navigator.onLine || (!$("#help").hidden && $("#help").classList.contains("failed"));
}

window.addEventListener("online", () => {
  offlineBanner();
  if (!$("#help").hidden && $("#help").classList.contains("failed") && !$("#help-retry").hidden) { problem(""); raise(); }
});
window.addEventListener("offline", offlineBanner);

// ----- the help view -----
function openHelp(view, { connect = true } = {}) {
  const first = $("#help").hidden;
  show("help");
  renderHelp(view);
  if (first) $("#help-title").focus();
  if (connect && view.incident_id) listen();
}

function renderHelp(view) {
  help = { ...(help && help.incident_id === view.incident_id ? help : {}), ...view };
  if ($("#help").classList.contains("failed") && view.status !== "raising") return;
  $("#help-title").textContent = helpTitle(help);
  $("#help-line").textContent = helpLine(help);
  $("#help-eta").textContent = etaLine(help);
  $("#help").dataset.accepted = String(help.accepted || 0);
  $("#help").classList.toggle("coming", Number(help.accepted || 0) > 0);
  const aed = help.aed;
  $("#aed").hidden = !aed;
  if (aed) {
    $("#aed-line").textContent = aedLine(aed);
    $("#aed-map").href = navigateUrl(aed.lat, aed.lon, aed.name || "Defibrillator");
  }
}

function listen() {
  if (live) return;
  live = new AlerterLive(token, {
    incidentId: help?.incident_id,
    onFrame: frame,
    onRevoked: (code) => (code === CLOSE_SUSPENDED ? suspended() : revoked()),
    onState: (on) => { $("#help").dataset.live = on ? "on" : "off"; },
  });
  live.start();
}

function frame(f) {
  if (f.incident_id && help?.incident_id && f.incident_id !== help.incident_id && f.type !== "help") return;
  switch (f.type) {
    case "help":
      if (["closed", "cancelled"].includes(f.status)) { standDown(f.reason_code || f.status); return; }
      if ($("#help").hidden) return;
      renderHelp(f);
      break;
    case "message": addMessage(f); renderMessages(); break;
    case "stand_down": standDown(f.reason_code || f.reason); break;
    default: break;
  }
}

function standDown(reason) {
  live?.stop();
  live = null;
  metronomeOff();
  const words = STAND_DOWN[reason] || STAND_DOWN.closed;
  show("ended");
  $("#ended").dataset.reason = reason;
  $("#ended-title").textContent = words.title;
  $("#ended-text").textContent = words.text.replace("{number}", number());
  $("#ended-call").hidden = !["cancelled", "not_confirmed"].includes(reason);
  $("#ended-title").focus();
}

$("#ended-done").addEventListener("click", () => { help = null; messages = []; renderMessages(); show("ready"); });

// ----- CPR beat -----
function pulse() {
  const beat = $("#beat");
  beat.classList.remove("on");
  void beat.offsetWidth;
  beat.classList.add("on");
}

function metronomeOff() {
  metronome.stop();
  $("#metronome").textContent = "Start the beat";
  $("#metronome").setAttribute("aria-pressed", "false");
  $("#beat").classList.remove("running");
}

$("#metronome").addEventListener("click", () => {
  unlockAudio();
  if (metronome.running) { metronomeOff(); return; }
  metronome.start();
  $("#metronome").textContent = "Stop the beat";
  $("#metronome").setAttribute("aria-pressed", "true");
  $("#beat").classList.add("running");
});

// ----- messages -----
function addMessage(m) {
  const at = m.at || new Date().toISOString();
  const same = (x) => x.from === m.from && x.text === m.text;
  if (m.local) {
    // What the alerter sent comes back on their socket, sometimes before the POST's answer.
    if (messages.some((x) => !x.local && same(x) && Date.now() - x.seen < 60_000)) return;
    messages.push({ from: m.from, text: m.text, at, local: true, seen: Date.now() });
    return;
  }
  const mine = messages.findIndex((x) => x.local && same(x));
  if (mine >= 0) { messages[mine] = { from: m.from, text: m.text, at, seen: Date.now() }; return; }
  if (messages.some((x) => same(x) && x.at === at)) return;
  messages.push({ from: m.from, text: m.text, at, seen: Date.now() });
}

function renderMessages() {
  $("#no-messages").hidden = messages.length > 0;
  $("#messages").replaceChildren(...messages.map((m) => h("li", { class: `from-${m.from}` },
    h("strong", {}, FROM[m.from] || "Responder"), ` (${clockTime(Date.parse(m.at), "en")}): `, m.text)));
}

$("#message-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = $("#message-text");
  const text = box.value.trim();
  const error = $("#message-error");
  error.textContent = "";
  if (!text) { error.textContent = "Write the message first."; box.focus(); return; }
  try {
    // On the socket when it is up (it answers with the message itself); else over HTTP.
    if (!live?.send({ type: "message", text })) await api("POST", "/v1/alerts/current/messages", { text });
    box.value = "";
    addMessage({ from: "alerter", text, local: true });
    renderMessages();
  } catch (err) {
    error.textContent = err instanceof ApiError && [404, 409].includes(err.status) ? "This alert has ended." : `Not sent: ${err.message}`;
  }
});

// ----- installing and offline -----
function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/alert/sw.js", { scope: "/alert" }).catch(() => { /* the page works without it */ });
}

// ----- start -----
setNumber();
const fromLink = inviteCode(location.hash);
if (fromLink) {
  show("join");
  redeem(fromLink, "");
} else if (token) {
  signIn(token).catch((err) => {
    if (err instanceof ApiError && err.status === 401) { revoked(); return; }
    // Offline with no profile yet: the button still calls the default number.
    show("ready");
  });
} else {
  show("join");
}
// An invite link opened while the page is already open.
window.addEventListener("hashchange", () => {
  const code = inviteCode(location.hash);
  if (code) { show("join"); redeem(code, ""); }
});
