// The responder client: joins from an invite link (the code in the URL fragment is redeemed for a
// token kept on this phone: nothing is typed), then the duty screen, past alerts and the profile.
import { client, ApiError } from "/web/api.js";
import { h, $ } from "/web/dom.js";
import { unlockAudio } from "/web/responder-alarm.js";
import { Duty } from "/web/responder-duty.js";
import { LANGUAGES, chooseLanguage, chosenLanguage, language, pickLanguage, setLanguage, t, categoryText } from "/web/responder-i18n.js";
import { dateTime } from "/web/responder-place.js";
import { forgetToken, registerPush, rememberToken } from "/web/responder-push.js";
import { HoursEditor } from "/web/responder-hours.js";
import { CredentialsPanel } from "/web/responder-credentials.js";
import { Application } from "/web/responder-apply.js";

const KEY = "alerting.responder-token";
const PROFILE = "alerting.responder-profile";
let duty = null;
let api = null;
let profile = {};
const hours = new HoursEditor($("#hours"));
const credentials = new CredentialsPanel({ token: () => localStorage.getItem(KEY), onSaved: reloadProfile });

setLanguage(pickLanguage());
document.addEventListener("pointerdown", unlockAudio, { capture: true });
document.addEventListener("keydown", unlockAudio, { capture: true });

function showScreen(signedIn) {
  $("#join").hidden = signedIn;
  if (signedIn) $("#apply").hidden = true;
  $("#signed-in").hidden = !signedIn;
  $("#tabs").hidden = !signedIn;
}

function showTab(name) {
  for (const tab of document.querySelectorAll("#tabs [data-tab]")) {
    const on = tab.dataset.tab === name;
    if (on) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    $(`#${tab.dataset.tab}`).hidden = !on;
  }
  if (name === "history") loadHistory();
}

for (const tab of document.querySelectorAll("#tabs [data-tab]")) {
  tab.addEventListener("click", (event) => { event.preventDefault(); showTab(tab.dataset.tab); });
}
// A reminder's notification opens /responder#profile, also in a page already open.
window.addEventListener("hashchange", () => { if (api && location.hash === "#profile") showTab("profile"); });

/** Offline (the shell came from the service worker), the last known profile stands in until the socket is back. */
async function signIn(token) {
  const call = client(token);
  let who;
  try {
    who = await call("GET", "/v1/whoami");
    if (who.kind !== "responder") throw new ApiError(401, { detail: "not a responder" });
    profile = await call("GET", "/v1/me");
    localStorage.setItem(PROFILE, JSON.stringify({ who, profile }));
  } catch (err) {
    const known = JSON.parse(localStorage.getItem(PROFILE) || "null");
    if (err instanceof ApiError || !known) throw err;
    ({ who, profile } = known);
  }
  localStorage.setItem(KEY, token);
  await rememberToken(token);
  api = call;
  if (profile.language && !chosenLanguage() && LANGUAGES[profile.language.split("-")[0]]) setLanguage(profile.language.split("-")[0]);
  showScreen(true);
  showTab(location.hash === "#profile" ? "profile" : "duty");
  fillProfile();
  duty = new Duty(token, who, profile);
  duty.start();
  checkInFromLink();
  if (!$("#check-in").dataset.alertId) showCheckIn(JSON.parse(localStorage.getItem(CHECK_IN) || "null"));
  registerPush(call);
}

/** The code of an invite link (`…/responder#invite=CODE`), or a bare code as pasted. */
function inviteCode(text) {
  const value = String(text || "").trim();
  const match = value.match(/[#&?]invite=([A-Za-z0-9_-]+)/);
  if (match) return match[1];
  return /^[A-Za-z0-9_-]{8,128}$/.test(value) ? value : "";
}

async function redeem(code) {
  const status = $("#join-status");
  status.textContent = t("join.working");
  try {
    const response = await fetch("/v1/invites/redeem", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, answer);
    history.replaceState(null, "", location.pathname);
    // An alerter's invite pasted here: its token (now spent) belongs to the alerter page, same origin.
    if (answer.alerter_id) { localStorage.setItem("alerting.alerter-token", answer.token); location.replace("/alert"); return; }
    await signIn(answer.token);
    $("#welcome").textContent = t("join.welcome", { name: profile.name || answer.responder_id });
    status.textContent = "";
  } catch (err) {
    history.replaceState(null, "", location.pathname);
    const key = err.problem?.code === "invite_used" ? "join.used" : err.problem?.code === "invite_expired" ? "join.expired"
      : err.status === 410 ? "join.used" : err.status === 404 || err.status === 422 ? "join.unknown" : null;
    status.textContent = key ? t(key) : t("join.failed", { detail: err.message });
    if (!localStorage.getItem(KEY)) showScreen(false);
    else status.textContent = "";
  }
}

$("#join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#invite-input");
  const code = inviteCode(input.value);
  if (!code) {
    $("#join-status").textContent = t("join.empty");
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  redeem(code);
});

// ----- profile -----
function fillProfile() {
  $("#profile-name").textContent = t("profile.name", { name: profile.name || profile.id || "" });
  for (const radio of document.querySelectorAll('input[name="travel"]')) radio.checked = radio.value === (profile.travel_mode || "foot");
  $("#carries-aed").checked = !!profile.carries_aed;
  $("#language").value = chosenLanguage();
  hours.fill(profile.on_duty_hours || null);
  $("#credentials-missing").hidden = !(profile.missing_credentials || []).length;
  credentials.render(profile);
}

/** The profile again from the server: after a credential upload, what is missing may have changed. */
async function reloadProfile() {
  Object.assign(profile, await api("GET", "/v1/me"));
  fillProfile();
}

// A reminder (a socket frame, or the push that opened /responder#profile) leads to the upload form.
window.addEventListener("responder:reminder", (event) => {
  $("#reminder-text").textContent = credentials.reminderText(event.detail);
  $("#reminder").hidden = false;
});
$("#reminder-renew").addEventListener("click", (event) => {
  event.preventDefault();
  showTab("profile");
  $("#credential-form-title").scrollIntoView({ block: "start" });
  $("#credential-kind").focus();
});

$("#profile-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const say = $("#profile-status");
  const travel = document.querySelector('input[name="travel"]:checked')?.value || "foot";
  const lang = $("#language").value;
  const onDutyHours = hours.value();
  if (onDutyHours === undefined) { say.textContent = ""; return; }  // the problem is shown beside the hours
  chooseLanguage(lang);
  say.textContent = t("profile.saving");
  try {
    const saved = await api("PATCH", "/v1/me", { travel_mode: travel, carries_aed: $("#carries-aed").checked,
      language: lang || null, on_duty_hours: onDutyHours });
    Object.assign(profile, saved);
    say.textContent = t("profile.saved");
  } catch (err) {
    say.textContent = t("profile.failed", { detail: err.message });
  }
  fillProfile();
  duty?.rerenderAll();
});

// What became of the patient, once the CAD has said and where the trust shares it.
window.addEventListener("responder:outcome", (event) => {
  $("#patient-news-text").textContent = event.detail.text;
  $("#patient-news").hidden = false;
  if (!$("#history").hidden) loadHistory();
});
$("#patient-news-ok").addEventListener("click", () => { $("#patient-news").hidden = true; });

// The check-in after an alert: from the socket, or from a push notification's link (#check-in=…).
const CHECK_IN = "alerting.check-in";
function showCheckIn(asked) {
  if (!asked?.alert_id) return;
  localStorage.setItem(CHECK_IN, JSON.stringify(asked));
  const form = $("#check-in");
  form.dataset.alertId = asked.alert_id;
  $("#check-in-questions").replaceChildren(...(asked.questions || []).map((q, i) => h("p", { class: "field" },
    h("label", { for: `check-in-answer-${i}` }, q),
    h("textarea", { id: `check-in-answer-${i}`, rows: 2, maxlength: 2000 }))));
  $("#check-in-status").textContent = "";
  for (const radio of form.querySelectorAll('input[name="feeling"]')) radio.checked = false;
  checkInDone(false);
  form.hidden = false;
}
function checkInDone(done, feeling) {
  const form = $("#check-in");
  for (const el of form.querySelectorAll(".feelings, #check-in-questions, #check-in-status, #check-in-send")) el.hidden = done;
  $("#check-in-thanks").hidden = !done;
  $("#check-in-thanks").textContent = done ? t(`checkin.thanks.${feeling}`) : "";
  $("#check-in-close").hidden = !done;
}
$("#check-in-close").addEventListener("click", () => { $("#check-in").hidden = true; delete $("#check-in").dataset.alertId; });
function checkInFromLink() {
  const match = location.hash.match(/^#check-in=(.+)$/);
  if (!match) return;
  history.replaceState(null, "", location.pathname);
  try { showCheckIn(JSON.parse(decodeURIComponent(match[1]))); } catch { /* a damaged link asks nothing */ }
}
window.addEventListener("responder:check-in", (event) => showCheckIn(event.detail));
$("#check-in").addEventListener("change", () => { $("#check-in-status").textContent = ""; });
window.addEventListener("hashchange", () => { if (api) checkInFromLink(); });
$("#check-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("#check-in");
  const say = $("#check-in-status");
  const feeling = form.querySelector('input[name="feeling"]:checked')?.value;
  if (!feeling) { say.textContent = t("checkin.choose"); form.querySelector('input[name="feeling"]').focus(); return; }
  const answers = [...form.querySelectorAll("#check-in-questions textarea")].map((a) => a.value.trim());
  say.textContent = t("checkin.sending");
  try {
    await api("POST", `/v1/alerts/${encodeURIComponent(form.dataset.alertId)}/check-in`, { feeling, answers });
    localStorage.removeItem(CHECK_IN);
    checkInDone(true, feeling);
  } catch (err) {
    say.textContent = t("checkin.failed", { detail: err.message });
  }
});

// ----- history -----
function outcome(item) {
  // Stood down after arriving is still "you got there": what the responder did comes first.
  const did = item.arrived_at ? "arrived" : item.accepted_at && item.state === "stood_down" ? "accepted" : item.state;
  const why = did === "declined" && item.decline_reason ? `outcome.declined.${item.decline_reason}` : null;
  const mine = why && t(why) !== why ? t(why) : t(`outcome.${did}`);
  const ended = item.incident_status ? t(`incident.${item.incident_status}`) : "";
  return ended && !ended.startsWith("incident.") ? `${mine} · ${ended}` : mine;
}

async function loadHistory() {
  const list = $("#history-list");
  const say = $("#history-status");
  say.textContent = t("history.loading");
  try {
    const items = await api("GET", "/v1/me/history?limit=50");
    list.replaceChildren(...items.map((item) => h("li", { dataset: { alertId: item.alert_id, state: item.state } },
      h("strong", {}, categoryText(item.category)),
      h("span", { class: "when" }, dateTime(item.alerted_at, language())),
      h("span", { class: "outcome" }, outcome(item)),
      item.outcome_text ? h("span", { class: "patient" }, t("history.patient", { text: item.outcome_text })) : null)));
    say.textContent = items.length ? "" : t("history.empty");
  } catch (err) {
    say.textContent = t("history.failed", { detail: err.message });
  }
}

$("#history-refresh").addEventListener("click", loadHistory);

// ----- sign out -----
$("#sign-out").addEventListener("click", () => {
  $("#sign-out-confirm").hidden = false;
  $("#sign-out").hidden = true;
  $("#sign-out-no").focus();
});
$("#sign-out-no").addEventListener("click", () => {
  $("#sign-out-confirm").hidden = true;
  $("#sign-out").hidden = false;
  $("#sign-out").focus();
});
$("#sign-out-yes").addEventListener("click", async () => {
  duty?.stop();
  duty = null;
  localStorage.removeItem(KEY);
  localStorage.removeItem(PROFILE);
  await forgetToken();
  location.replace(location.pathname);
});

// ----- installing -----
let installPrompt = null;
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt = event;
  $("#install").hidden = false;
});
$("#install").addEventListener("click", async () => {
  $("#install").hidden = true;
  await installPrompt?.prompt();
  installPrompt = null;
});

// ----- language choices -----
$("#language").replaceChildren(h("option", { value: "", "data-i18n": "profile.language.auto" }, t("profile.language.auto")),
  ...Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, lang: code }, name)));

// ----- start -----
const fromLink = inviteCode(location.hash);
const saved = localStorage.getItem(KEY);
const applyTo = new URLSearchParams(location.search).get("apply");
if (applyTo && !fromLink && !saved) {
  showScreen(false);
  new Application(applyTo).show();
} else if (fromLink) {
  showScreen(false);
  redeem(fromLink);
} else if (saved) {
  signIn(saved).catch((err) => {
    if (err instanceof ApiError && err.status === 401) { localStorage.removeItem(KEY); localStorage.removeItem(PROFILE); forgetToken(); }
    showScreen(false);
    $("#join-status").textContent = err instanceof ApiError && err.status === 401 ? t("duty.state.revoked") : t("join.failed", { detail: err.message });
  });
} else {
  showScreen(false);
}
