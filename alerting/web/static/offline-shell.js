// The offline shell both service workers keep (responder and alerter pages): the page and its files
// cached on install, older versions of this shell dropped on activate, and network first, so a
// deploy shows at once; the cached copy only when the network fails. A classic script, for
// importScripts: `offlineShell({ shell: "<prefix>-v<N>", prefix: "<prefix>-", page, files })`.
function offlineShell({ shell, prefix, page, files }) {
  self.addEventListener("install", (event) => {
    event.waitUntil((async () => {
      const cache = await caches.open(shell);
      await Promise.all(files.map((url) => cache.add(url).catch(() => {})));
      await self.skipWaiting();
    })());
  });

  self.addEventListener("activate", (event) => {
    event.waitUntil((async () => {
      for (const name of await caches.keys()) if (name.startsWith(prefix) && name !== shell) await caches.delete(name);
      await self.clients.claim();
    })());
  });

  self.addEventListener("fetch", (event) => {
    const url = new URL(event.request.url);
    if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
    const isPage = event.request.mode === "navigate" && url.pathname === page;
    if (!isPage && !files.includes(url.pathname)) return;
    event.respondWith((async () => {
      const cache = await caches.open(shell);
      try {
        const response = await fetch(event.request);
        if (response.ok) await cache.put(isPage ? page : url.pathname, response.clone());
        return response;
      } catch (err) {
        const cached = await cache.match(isPage ? page : url.pathname);
        if (cached) return cached;
        throw err;
      }
    })());
  });
}
