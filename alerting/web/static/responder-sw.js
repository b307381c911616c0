// The responder's service worker: an offline shell (the page opens without a network and says it is
// offline), and alerts pushed while the page is closed, shown with Accept and Decline actions that
// answer over HTTP with the token the page left in Cache Storage.
const SHELL = "responder-shell-v5";
const AUTH_CACHE = "responder-auth";
const TOKEN_URL = "/responder/token";
const SHELL_FILES = [
  "/responder",
  "/responder/manifest.webmanifest",
  "/web/common.css", "/web/responder.css",
  "/web/api.js", "/web/dom.js", "/web/leaflet-map.js",
  "/web/responder.js", "/web/responder-duty.js", "/web/responder-card.js", "/web/responder-alarm.js",
  "/web/responder-place.js", "/web/responder-i18n.js", "/web/responder-push.js", "/web/responder-hours.js",
  "/web/responder-credentials.js", "/web/responder-apply.js",
  "/web/vendor/leaflet/leaflet.js", "/web/vendor/leaflet/leaflet.css",
  "/web/icons/responder-192.png",
];
// The worker cannot import the page's catalogue module: its few words in both languages.
const WORDS = {
  en: { checkIn: "How are you?", reminder: "Credential expiring", title: "Emergency alert", accept: "Accept", decline: "Decline", away: "away", accepted: "Accepted: open the app for directions", declined: "Declined", failed: "Could not answer: open the app" },
  cy: { checkIn: "Sut ydych chi?", reminder: "Cymhwyster yn dod i ben", title: "Rhybudd brys", accept: "Derbyn", decline: "Gwrthod", away: "i ffwrdd", accepted: "Wedi derbyn: agorwch yr ap am gyfarwyddiadau", declined: "Wedi gwrthod", failed: "Methu ateb: agorwch yr ap" },
};
const words = () => WORDS[(self.navigator.language || "en").toLowerCase().split("-")[0]] || WORDS.en;

importScripts("/web/offline-shell.js");
offlineShell({ shell: SHELL, prefix: "responder-shell-", page: "/responder", files: SHELL_FILES });

/** Shows one pushed alert frame as a notification with Accept and Decline. */
async function showAlert(data) {
  const w = words();
  if (data.type === "reminder") {
    return self.registration.showNotification(w.reminder, { body: data.text || "", tag: `reminder-${data.credential_id || ""}`,
      icon: "/web/icons/responder-192.png", data: { url: "/responder#profile" } });
  }
  if (data.type === "check_in") {  // the page asks the questions: they travel in its address
    const asked = encodeURIComponent(JSON.stringify({ alert_id: data.alert_id, questions: data.questions || [] }));
    return self.registration.showNotification(w.checkIn, { body: data.text || "", tag: `check-in-${data.alert_id || ""}`,
      icon: "/web/icons/responder-192.png", data: { url: `/responder#check-in=${asked}` } });
  }
  if (data.type && data.type !== "alert") {
    return self.registration.showNotification(data.title || w.title, { body: data.text || data.body || "", tag: data.alert_id || data.type, data: { url: "/responder" } });
  }
  const distance = typeof data.distance_m === "number" ? `${Math.round(data.distance_m)} m ${w.away}` : "";
  const body = [data.category_label || data.category, data.address || data.area_hint, distance].filter(Boolean).join(" · ");
  return self.registration.showNotification(w.title, {
    body,
    tag: data.alert_id || "alert",
    renotify: true,
    requireInteraction: true,
    vibrate: [600, 200, 600, 200, 600],
    icon: "/web/icons/responder-192.png",
    actions: [{ action: "accept", title: w.accept }, { action: "decline", title: w.decline }],
    data: { url: "/responder", alert_id: data.alert_id },
  });
}

async function token() {
  const stored = await (await caches.open(AUTH_CACHE)).match(TOKEN_URL);
  return stored ? stored.text() : null;
}

async function openPage(url = "/responder") {
  const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const page = open.find((c) => new URL(c.url).pathname === "/responder");
  // Focusing is allowed only while handling a click; an answer that came some other way still stands.
  if (page) {
    const there = url !== "/responder" && page.navigate ? await page.navigate(url).catch(() => page) : page;
    return (there || page).focus().catch(() => page);
  }
  return self.clients.openWindow(url);
}

/** Accept or decline over HTTP, then open the page (after an accept) or confirm the decline. */
async function answer(action, data) {
  const w = words();
  const alertId = data?.alert_id;
  if (!alertId || (action !== "accept" && action !== "decline")) return openPage(data?.url);
  const bearer = await token();
  let ok = false;
  if (bearer) {
    try {
      const response = await fetch(`/v1/alerts/${encodeURIComponent(alertId)}/${action}`, { method: "POST", headers: { Authorization: `Bearer ${bearer}` } });
      ok = response.ok;
    } catch { ok = false; }
  }
  if (!ok) {
    await self.registration.showNotification(w.title, { body: w.failed, tag: alertId, data: { url: "/responder" } });
    return openPage();
  }
  if (action === "accept") return openPage();
  return self.registration.showNotification(w.declined, { tag: alertId, data: { url: "/responder" } });
}

// Named on the worker so a test can run exactly what the events run.
self.responderHandlers = { showAlert, answer };

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() }; }
  event.waitUntil(showAlert(data));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(answer(event.action, event.notification.data));
});
