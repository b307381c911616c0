// The trust console. People sign in as themselves (email and password, or the trust's single
// sign-on); the trust's API key still works for automation. What the person's roles allow decides
// which sections and controls they see (the API refuses the rest anyway). Sections are chosen by
// the URL hash.
//
// Which trust the sign-in page offers single sign-on for: `/admin?trust=<id>` (the link a trust
// gives its control room), remembered in this browser after that and after every sign-in.
import { client, ApiError } from "/web/api.js";
import { $ } from "/web/dom.js";
import { ROLE, words } from "/web/words.js";
import { LiveMap } from "/web/admin-map.js";
import { PolicyEditor } from "/web/admin-policy.js";
import { ResponderManager } from "/web/admin-responders.js";
import { AlerterManager } from "/web/admin-alerters.js";
import { AuditView } from "/web/admin-audit.js";
import { StatsView } from "/web/admin-stats.js";
import { StaffManager } from "/web/admin-staff.js";
import { AccessSettings } from "/web/admin-access.js";
import { WellbeingQueue } from "/web/admin-wellbeing.js";

const KEY = "alerting.admin-key";  // sessionStorage: gone when the tab closes
const TRUST = "alerting.trust";    // localStorage: the trust this browser signs in to
const SECTIONS = { map: "map-section", policy: "policy-section", responders: "responders-section", alerters: "alerters-section", numbers: "numbers-section", audit: "audit-section",
  staff: "staff-section", access: "access-section", wellbeing: "wellbeing-section" };
const SSO_REFUSED = {
  attempt: "That sign-in attempt had expired or was started in another browser. Please sign in again.",
  token: "Your organisation's sign-in could not be confirmed. Please try again; if it keeps happening, tell your system administrator.",
  account: "Your organisation signed you in, but this console has no active account for you. Ask your trust's console administrator to add you with the email address your organisation knows you by.",
  unavailable: "Your organisation's sign-in service is not answering. Try again in a few minutes, or sign in with your email address and password.",
  provider: "Sign-in was cancelled or refused at your organisation's sign-in page. Please try again.",
  failed: "Single sign-on did not work. Please try again.",
};
let session = null;

// What a credential may do: `admin` holds every role.
export function rightsOf(roles) {
  const held = new Set(roles || []);
  return { roles: [...held], can: (role) => held.has("admin") || held.has(role) };
}

function blank() { return client({}); }

function signedOut() {
  location.replace("/admin?session=ended");
}

async function start(api, me) {
  if (!me.trust_id || !["admin", "staff"].includes(me.kind)) {
    throw new ApiError(403, { detail: "This is not a trust's API key or a staff account." });
  }
  const rights = rightsOf(me.roles);
  const base = `/v1/trusts/${encodeURIComponent(me.trust_id)}`;
  session = { api, base, me, rights, views: {} };
  session.views.map = new LiveMap(api, base, rights);
  session.views.policy = new PolicyEditor(api, base, rights);
  if (rights.can("verifier")) session.views.responders = new ResponderManager(api, base, rights);
  session.views.alerters = new AlerterManager(api, base, rights);
  session.views.numbers = new StatsView(api, base);
  session.views.audit = new AuditView(api, base, rights);
  if (rights.can("verifier")) session.views.wellbeing = new WellbeingQueue(api, base);
  if (rights.can("admin")) {
    const ssoName = async () => (await blank()("GET", `/v1/auth/sso/${encodeURIComponent(me.trust_id)}`)).name;
    session.views.staff = new StaffManager(api, base, me, ssoName);
    session.views.access = new AccessSettings(api, base, { onNewApiKey: me.kind === "admin" ? useNewKey : undefined });
  }
  for (const el of document.querySelectorAll("[data-needs]")) el.hidden = !rights.can(el.dataset.needs);
  $("#who-name").textContent = me.kind === "staff" ? me.name : "the trust's API key";
  $("#who-roles").textContent = me.kind === "staff" ? `(${me.roles.map((r) => words(ROLE, r)).join(", ")})` : "";
  $("#trust-name").textContent = me.trust_name || me.trust_id;
  $("#who").hidden = false;
  $("#tabs").hidden = false;
  $("#sign-in").hidden = true;
  localStorage.setItem(TRUST, me.trust_id);
  show();
}

// A tab signed in with the API key follows a rotation it made: the new key replaces the old one.
let keyClient = null;
function useNewKey(key) {
  keyClient = client(key, { onSignedOut: signedOut });
  sessionStorage.setItem(KEY, key);
}

async function signInWithKey(key) {
  const me = await client(key)("GET", "/v1/whoami");
  keyClient = client(key, { onSignedOut: signedOut });
  await start((...args) => keyClient(...args), me);
  sessionStorage.setItem(KEY, key);
}

async function resumeSession() {
  const me = await blank()("GET", "/v1/whoami");
  await start(client({ csrf: me.csrf_token }, { onSignedOut: signedOut }), me);
}

function show() {
  if (!session) return;
  const wanted = location.hash.slice(1);
  const name = SECTIONS[wanted] && session.views[wanted] ? wanted : "map";
  for (const [key, id] of Object.entries(SECTIONS)) {
    const active = key === name;
    $("#" + id).hidden = !active;
    const link = document.querySelector(`#tabs a[href="#${key}"]`);
    if (active) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  $("#global-error").textContent = "";
  for (const [key, view] of Object.entries(session.views)) {
    if (key === name) {
      Promise.resolve(view.show()).catch((err) => { $("#global-error").textContent = `Could not load this section: ${err.message}`; });
    } else view.hide?.();
  }
}

async function signOut() {
  session?.views.map.stop();
  if (sessionStorage.getItem(KEY)) sessionStorage.removeItem(KEY);
  else await session?.api("POST", "/v1/auth/logout").catch(() => { /* ended already */ });
  session = null;
  location.replace("/admin");
}

function fieldError(input, box, text) {
  box.textContent = text;
  if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
}

async function logIn() {
  const email = $("#email");
  const password = $("#password");
  fieldError(email, $("#email-error"), "");
  fieldError(password, $("#password-error"), "");
  $("#sign-in-error").textContent = "";
  if (!email.value.trim()) { fieldError(email, $("#email-error"), "Enter your email address."); email.focus(); return; }
  if (!password.value) { fieldError(password, $("#password-error"), "Enter your password."); password.focus(); return; }
  const button = $("#login-button");
  button.disabled = true;
  try {
    await blank()("POST", "/v1/auth/login", { email: email.value.trim(), password: password.value });
    password.value = "";
    await resumeSession();
  } catch (err) {
    let text = err.message;
    if (err instanceof ApiError && err.status === 401) text = "That email address and password do not match an account. Check them and try again.";
    else if (err instanceof ApiError && err.status === 429) text = `Too many attempts to sign in. ${err.message}`;
    $("#sign-in-error").textContent = text;
    password.focus();
  } finally {
    button.disabled = false;
  }
}

async function offerSingleSignOn() {
  const asked = new URLSearchParams(location.search).get("trust");
  if (asked) localStorage.setItem(TRUST, asked);
  const trust = asked || localStorage.getItem(TRUST);
  if (!trust) return;
  let info;
  try {
    info = await blank()("GET", `/v1/auth/sso/${encodeURIComponent(trust)}`);
  } catch {
    return;  // no single sign-on for this trust: email and password only
  }
  const button = $("#sso-button");
  button.textContent = `Sign in with ${info.name || "your organisation's account"}`;
  button.href = `/v1/auth/sso/${encodeURIComponent(trust)}/login?next=${encodeURIComponent("/admin")}`;
  $("#sso-box").hidden = false;
  if (info.trust_name) {
    $("#sign-in-trust").textContent = info.trust_name;
    $("#sign-in-trust").hidden = false;
  }
}

// An invite link, /admin#invite=<code>: the person sets a password and is signed in. The code is in
// the fragment, so it never reaches a server log; it leaves the address bar at once.
function inviteCode() {
  const match = /^#invite=([A-Za-z0-9_-]{8,128})$/.exec(location.hash);
  return match ? match[1] : null;
}

function acceptInvite(code) {
  history.replaceState(null, "", "/admin" + location.search);
  $("#sign-in").hidden = true;
  $("#invite-section").hidden = false;
  const password = $("#new-password");
  const repeat = $("#repeat-password");
  password.focus();
  $("#invite-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    fieldError(password, $("#new-password-error"), "");
    fieldError(repeat, $("#repeat-password-error"), "");
    $("#invite-error").textContent = "";
    if (password.value.length < 12) {
      fieldError(password, $("#new-password-error"), "Use at least 12 characters.");
      password.focus();
      return;
    }
    if (repeat.value !== password.value) {
      fieldError(repeat, $("#repeat-password-error"), "The two passwords are not the same.");
      repeat.focus();
      return;
    }
    const button = $("#invite-button");
    button.disabled = true;
    let person;
    try {
      ({ staff: person } = await blank()("POST", `/v1/auth/invites/${encodeURIComponent(code)}`, { password: password.value }));
    } catch (err) {
      let text = err.message;
      if (err instanceof ApiError && err.status === 404) text = "This invite link does not work: it may have been used already. Ask your trust's console administrator for a new one.";
      else if (err instanceof ApiError && err.status === 410) text = "This invite link has expired. Ask your trust's console administrator for a new one.";
      else if (err instanceof ApiError && err.status === 422) {
        fieldError(password, $("#new-password-error"), "Use 12 to 256 characters.");
        password.focus();
        text = "";
      }
      $("#invite-error").textContent = text;
      if (err instanceof ApiError && [404, 410].includes(err.status)) {
        $("#invite-form").hidden = true;
        $("#sign-in").hidden = false;
        offerSingleSignOn();
      }
      button.disabled = false;
      return;
    }
    // The password is set: sign in with it, or say so and offer the sign-in form.
    $("#invite-form").hidden = true;
    try {
      await blank()("POST", "/v1/auth/login", { email: person.email, password: password.value });
      password.value = repeat.value = "";
      $("#invite-section").hidden = true;
      await resumeSession();
    } catch (err) {
      password.value = repeat.value = "";
      $("#invite-done").textContent = `Your password is set, but signing in did not work (${err.message}). Sign in below with ${person.email}.`;
      $("#sign-in").hidden = false;
      $("#email").value = person.email;
      offerSingleSignOn();
    }
  });
}

function explainArrival() {
  const params = new URLSearchParams(location.search);
  const refused = params.get("sso_error");
  let text = "";
  if (refused !== null) text = SSO_REFUSED[refused] || SSO_REFUSED.failed;
  else if (params.get("session") === "ended") text = "Your session has ended. Please sign in again.";
  if (!text) return;
  $("#sign-in-error").textContent = text;
  params.delete("sso_error");
  params.delete("session");
  const query = params.toString();
  history.replaceState(null, "", `/admin${query ? "?" + query : ""}${location.hash}`);
}

$("#login-form").addEventListener("submit", (event) => { event.preventDefault(); logIn(); });
$("#sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#admin-key");
  const error = $("#admin-key-error");
  fieldError(input, error, "");
  const key = input.value.trim();
  if (!key) { fieldError(input, error, "Enter the API key."); input.focus(); return; }
  try {
    await signInWithKey(key);
    input.value = "";
  } catch (err) {
    fieldError(input, error, err instanceof ApiError && err.status === 401 ? "That key was not accepted." : err.message);
    input.focus();
  }
});
$("#sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", show);

explainArrival();
const saved = sessionStorage.getItem(KEY);
const invited = inviteCode();
if (invited) {
  acceptInvite(invited);
} else if (saved) {
  signInWithKey(saved).catch(() => { sessionStorage.removeItem(KEY); offerSingleSignOn(); });
} else {
  resumeSession().catch((err) => {
    if (!(err instanceof ApiError && err.status === 401)) $("#sign-in-error").textContent = err.message;
    offerSingleSignOn();
  });
}
