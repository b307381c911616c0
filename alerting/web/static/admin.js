// The trust console: sign in with the admin key, then four sections chosen by the URL hash.
import { client, ApiError } from "/web/api.js";
import { $ } from "/web/dom.js";
import { LiveMap } from "/web/admin-map.js";
import { PolicyEditor } from "/web/admin-policy.js";
import { ResponderManager } from "/web/admin-responders.js";
import { AuditView } from "/web/admin-audit.js";

const KEY = "alerting.admin-key";  // sessionStorage: gone when the tab closes
const SECTIONS = { map: "map-section", policy: "policy-section", responders: "responders-section", audit: "audit-section" };
let session = null;

async function signIn(key) {
  const api = client(key);
  const me = await api("GET", "/v1/whoami");
  if (me.kind !== "admin") throw new ApiError(401, { detail: "This is not a trust admin key." });
  const base = `/v1/trusts/${encodeURIComponent(me.trust_id)}`;
  session = { api, base, trust: me.trust_id, views: {} };
  session.views.map = new LiveMap(api, base);
  session.views.policy = new PolicyEditor(api, base);
  session.views.responders = new ResponderManager(api, base);
  session.views.audit = new AuditView(api, base);
  $("#trust-name").textContent = me.trust_name || me.trust_id;
  $("#who").hidden = false;
  $("#tabs").hidden = false;
  $("#sign-in").hidden = true;
  sessionStorage.setItem(KEY, key);
  show();
}

function show() {
  if (!session) return;
  const name = SECTIONS[location.hash.slice(1)] ? location.hash.slice(1) : "map";
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

function signOut() {
  sessionStorage.removeItem(KEY);
  session?.views.map.stop();
  session = null;
  location.hash = "";
  location.reload();
}

$("#sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#admin-key");
  const error = $("#admin-key-error");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  const key = input.value.trim();
  if (!key) {
    error.textContent = "Enter the trust admin key.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  try {
    await signIn(key);
    input.value = "";
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401 ? "That key was not accepted." : err.message;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
});
$("#sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", show);

const saved = sessionStorage.getItem(KEY);
if (saved) signIn(saved).catch(() => sessionStorage.removeItem(KEY));
