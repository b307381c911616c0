// Web Push: the subscription the server pushes unanswered alerts to, and the token the service
// worker needs to accept from a notification (kept in Cache Storage, which a worker can read and
// localStorage is not).
import { $, h } from "/web/dom.js";
import { ApiError } from "/web/api.js";
import { t } from "/web/responder-i18n.js";

const AUTH_CACHE = "responder-auth";
const TOKEN_URL = "/responder/token";
const SW_SCOPE = "/responder";

export async function rememberToken(token) {
  if (!("caches" in window)) return;
  try { await (await caches.open(AUTH_CACHE)).put(TOKEN_URL, new Response(token)); } catch { /* private mode */ }
}

export async function forgetToken() {
  try {
    if ("caches" in window) await caches.delete(AUTH_CACHE);
    const registration = await navigator.serviceWorker?.getRegistration(SW_SCOPE);
    const subscription = await registration?.pushManager?.getSubscription();
    await subscription?.unsubscribe();
  } catch { /* nothing left to forget */ }
}

function urlBase64ToUint8Array(base64) {
  const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function say(key, values) {
  $("#push-status").replaceChildren(t(key, values));
}

async function subscribe(api, registration) {
  let key;
  try { key = (await api("GET", "/v1/me/push-config")).application_server_key; } catch (err) {
    if (err instanceof ApiError && err.status === 404) { say("push.not_configured"); return; }
    throw err;
  }
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) });
  await api("PUT", "/v1/me/push-subscription", subscription.toJSON());
  say("push.on");
}

/** Registers the worker (also the offline shell) and, once notifications are allowed, the push subscription. */
export async function registerPush(api) {
  if (!("serviceWorker" in navigator)) { say("push.unsupported"); return; }
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/responder/sw.js", { scope: SW_SCOPE });
  } catch (err) { say("push.unavailable", { detail: err.message }); return; }
  if (!("PushManager" in window) || !("Notification" in window)) { say("push.unsupported"); return; }
  const attempt = async () => {
    try { await subscribe(api, registration); } catch (err) { say("push.unavailable", { detail: err.message }); }
  };
  if (Notification.permission === "granted") { await attempt(); return; }
  if (Notification.permission === "denied") { say("push.blocked"); return; }
  // Asking needs a tap: browsers ignore (or hide) a request the page makes by itself.
  const ask = h("button", { type: "button", class: "secondary", id: "allow-push" }, t("push.allow"));
  ask.addEventListener("click", async () => {
    const answer = await Notification.requestPermission();
    if (answer === "granted") await attempt(); else say("push.blocked");
  });
  $("#push-status").replaceChildren(ask);
}
