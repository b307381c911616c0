// The alerter's service worker: an offline shell, so the page (and its button, a tel: link that
// needs no network) opens even with no signal. Network first, so a deploy shows at once; the cached
// copy only when the network fails. Nothing else: the alerter is never pushed to.
const SHELL = "alerter-shell-v1";
const SHELL_FILES = [
  "/alert",
  "/alert/manifest.webmanifest",
  "/web/common.css", "/web/alerter.css",
  "/web/api.js", "/web/dom.js",
  "/web/alerter.js", "/web/alerter-live.js", "/web/alerter-words.js",
  "/web/responder-alarm.js", "/web/responder-place.js",
  "/web/icons/alerter-192.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await Promise.all(SHELL_FILES.map((url) => cache.add(url).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith("alerter-shell-") && name !== SHELL) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const isPage = event.request.mode === "navigate" && url.pathname === "/alert";
  if (!isPage && !SHELL_FILES.includes(url.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(SHELL);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(isPage ? "/alert" : url.pathname, response.clone());
      return response;
    } catch (err) {
      const cached = await cache.match(isPage ? "/alert" : url.pathname);
      if (cached) return cached;
      throw err;
    }
  })());
});
