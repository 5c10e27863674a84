// The service worker: keeps the recording screen (the "shell") on the tablet, so a lesson can
// be recorded with no network. The server puts two values in front of this file:
//   VERSION  a hash over this file and every shell file; any deployed change makes a new worker
//   SHELL    the addresses of the shell: /opnemen, /offline, the manifest and the static files
// A new worker installs next to the old one and waits: it takes over only when the page asks
// (web/js/pwa.js does, when no lesson is running and the person chooses to update).
// Data never goes through the cache: /api/ is network only, and so is every page except the
// shell, which falls back to /offline when there is no connection.

const PREFIX = "coulisse-shell-";
const CACHE = `${PREFIX}${VERSION}`;
const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  // "reload" skips the HTTP cache, so the new cache never holds a stale copy of an old file.
  // addAll rejects when any file is missing, and then the install fails: no half shell.
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.addAll(SHELL.map((path) => new Request(path, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
  // A page that loaded during activation, and so missed the claim above (web/js/pwa.js).
  if (event.data?.type === "claim") event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (url.pathname === "/service-worker.js") return;
  if (SHELL_PATHS.has(url.pathname)) {
    event.respondWith(fromShell(url.pathname, request));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => fromShell("/offline", request)));
  }
  // Anything else goes to the network as if there were no worker.
});

async function fromShell(path, request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(path)) ?? fetch(request);
}

// Background Sync, where the browser has it, only wakes the pages: sync.js does the work.
self.addEventListener("sync", (event) => {
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window" });
    for (const client of windows) client.postMessage({ type: "sync" });
  })());
});
