// Shows an alert pushed while the page is closed, and opens the responder page when it is tapped.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() }; }
  const title = data.title || "Cardiac arrest alert";
  const body = data.body || [data.category, data.address, data.distance_m ? `${Math.round(data.distance_m)} m away` : ""]
    .filter(Boolean).join(" · ");
  event.waitUntil(self.registration.showNotification(title, {
    body, tag: data.alert_id || "alert", renotify: true, requireInteraction: true, vibrate: [500, 200, 500, 200, 500],
    data: { url: "/responder" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = open.find((c) => new URL(c.url).pathname === "/responder");
    if (page) return page.focus();
    return self.clients.openWindow("/responder");
  })());
});
