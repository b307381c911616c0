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

importScripts("/web/offline-shell.js");
offlineShell({ shell: SHELL, prefix: "alerter-shell-", page: "/alert", files: SHELL_FILES });
