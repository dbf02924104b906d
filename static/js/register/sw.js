// The register's service worker, served from /pos/sw.js (scope /pos/) with VERSION and PRECACHE (the
// versioned URLs of the register's CSS and JS) prepended by app/pos/register_controller.py.
//
//   register pages  /pos/registers/{id}         network first (4 s), else the last copy
//   stock           /api/v1/locations/{id}/stock network first, else the last copy (the page compares
//                                                its Date header with what it already knows)
//   /static/…?v=…   cache first (the URL changes with the file)
//   /media/…        cache first (a photo never changes under its id)
//   anything else, and every POST                  straight to the network, never cached
/* global VERSION, PRECACHE */

const PAGES = 'register-pages-v1';  // static/js/app.js drops it at log-out and log-in: keep the names alike
const ASSETS = 'register-assets-' + VERSION;
const MEDIA = 'register-media-v1';
const SHELL_TIMEOUT = 4000;

const REGISTER_PAGE = /^\/pos\/registers\/\d+\/?$/;
const STOCK = /^\/api\/v1\/locations\/\d+\/stock$/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(ASSETS).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('register-assets-') && name !== ASSETS) { await caches.delete(name); }
    }
    await self.clients.claim();
  })());
});

// A page asks: keep these register pages for offline use. Answers {ok} on the port it sent.
self.addEventListener('message', (event) => {
  const msg = event.data || {};
  if (msg.type !== 'keep' || !Array.isArray(msg.urls)) { return; }
  const reply = (body) => event.ports[0] && event.ports[0].postMessage(body);
  event.waitUntil((async () => {
    const cache = await caches.open(PAGES);
    let ok = true;
    for (const raw of msg.urls) {
      const url = new URL(raw, self.location.origin);
      if (url.origin !== self.location.origin || !REGISTER_PAGE.test(url.pathname)) { ok = false; continue; }
      if (await cache.match(url.href)) { continue; }
      try {
        const res = await fetch(url.href, { credentials: 'same-origin', cache: 'no-store' });
        if (keepable(res)) { await cache.put(url.href, res); } else { ok = false; }
      } catch (err) { ok = false; }
    }
    reply({ ok });
  })());
});

function keepable(res) {
  return res && res.ok && !res.redirected && res.type === 'basic';
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') { return; }
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (REGISTER_PAGE.test(url.pathname) && req.mode === 'navigate') {
    event.respondWith(networkFirst(event, req, PAGES, SHELL_TIMEOUT));
  } else if (STOCK.test(url.pathname)) {
    event.respondWith(networkFirst(event, req, PAGES, 0));
  } else if (url.pathname.startsWith('/static/') && url.searchParams.has('v')) {
    event.respondWith(cacheFirst(event, req, ASSETS));
  } else if (url.pathname.startsWith('/media/')) {
    event.respondWith(cacheFirst(event, req, MEDIA));
  }
});

// The network's answer, kept for later; the kept copy when the network fails (or, with a timeout and a
// kept copy, when it is too slow — the network answer still refreshes the copy in the background).
async function networkFirst(event, req, cacheName, timeout) {
  const cache = await caches.open(cacheName);
  const key = req.url.split('#')[0];
  const fromNetwork = fetch(req).then(async (res) => {
    if (keepable(res)) { await cache.put(key, res.clone()); }
    return res;
  });
  event.waitUntil(fromNetwork.catch(() => null));
  const kept = await cache.match(key);
  try {
    if (!kept || !timeout) { return await fromNetwork; }
    const slow = new Promise((resolve) => setTimeout(() => resolve(null), timeout));
    return (await Promise.race([fromNetwork, slow])) || kept;
  } catch (err) {
    if (kept) { return kept; }
    throw err;
  }
}

async function cacheFirst(event, req, cacheName) {
  const cache = await caches.open(cacheName);
  const kept = await cache.match(req);
  if (kept) { return kept; }
  const res = await fetch(req);
  if (keepable(res)) { event.waitUntil(cache.put(req, res.clone())); }
  return res;
}
