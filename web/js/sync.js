// Sync between the tablet's store and the server (protocol: docs/sync.md).
//
// Each run: ask /api/me who is logged in (that picks the person's own database and gives the
// CSRF token and school), push, then pull. push sends outbox entries in sequence order, in
// batches; an entry leaves the outbox only after the server answered for its seq. pull asks
// for changes after the school's cursor, page by page, until has_more is false. One tab at a
// time (Web Locks). Triggers: start, the "online" event, the page becoming visible, a timer
// with backoff (1 s doubling to 5 min, reset after a success), and syncNow().
// A failed run never touches local data: a 401 or 426 only changes `state`.
// A busy server (503, 429) says in Retry-After how long to stay away: the next run waits that
// plus a random part of it, so tablets turned away together come back spread out.
// A session that was logged out on this tablet while the server could not hear it is ended
// by the next identify(), which then answers as if nobody were logged in (tablet.js).
//
// Why syncing fails is read through problems.js, which also translates the messages: they are
// Dutch source texts here, because this module and db.js load without i18n.js (the sync
// harness serves them alone, offline).

import * as db from "./db.js";
import * as tablet from "./tablet.js";

export const SCHEMA_VERSION = 1;
const BATCH = 200;
const PULL_PAGE = 500;
const LOCK = "coulisse-sync";
const MIN_DELAY = 1000;
const MAX_DELAY = 5 * 60 * 1000;
const BUSY = "De server is even druk. Alles staat veilig op deze tablet; " +
  "de app probeert het zo opnieuw.";

const listeners = new Set();
export let state = { phase: "idle", error: null, lastSync: null, needsLogin: false,
                     needsUpdate: false, pending: { count: 0, oldest: null, ageMs: 0 } };
let delay = MIN_DELAY;
let notBefore = 0;  // Retry-After
let timer = null;
let started = false;
let unwatch = null;

export function subscribe(fn) {
  listeners.add(fn);
  fn(state);
  return () => listeners.delete(fn);
}

function set(patch) {
  state = { ...state, ...patch };
  for (const fn of listeners) fn(state);
}

export async function refreshPending() {
  try {
    set({ pending: await db.pending() });
  } catch { /* nobody is logged in on this tablet: nothing of anyone is counted */ }
  return state.pending;
}

class HttpError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    Object.assign(this, { status, retryAfter });
  }
}

async function request(method, url, { body, csrf } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    // no-store: an answer about one person is never kept in the browser's HTTP cache, where
    // the next person on the tablet could be served it.
    response = await fetch(url, { method, headers, credentials: "same-origin", cache: "no-store",
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new HttpError(0, "Geen verbinding met de server.");
  }
  let payload = null;
  try { payload = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) {
    throw new HttpError(response.status, payload?.detail || response.statusText,
                        response.headers.get("Retry-After"));
  }
  return payload;
}

// Who is logged in now. Asked at the start of every run, never cached across runs: the
// session (and so the person, the CSRF token and the school) can change between runs.
export async function identify() {
  const me = await request("GET", "/api/me");
  if (tablet.loggedOut(me.csrf_token, { unheard: true })) {
    // Logged out on this tablet while offline: end that session now, and use nothing of it.
    await request("POST", "/api/auth/logout", { csrf: me.csrf_token });
    tablet.logoutHeard();
    throw new HttpError(401, "Je bent uitgelogd op deze tablet.");
  }
  tablet.logoutHeard();  // a session that was logged out here is over, or another replaced it
  db.usePerson(me.id);
  return me;
}

async function push(csrf) {
  const device_id = await db.deviceId();
  for (;;) {
    const entries = await db.takeOutbox(BATCH, batch);
    if (entries.length === 0) return;
    const mutations = entries.map(({ seq, type, id, base_version, data }) =>
      ({ seq, type, id, base_version, data }));
    const answer = await request("POST", "/api/sync/push", {
      csrf, body: { device_id, schema_version: SCHEMA_VERSION, mutations } });
    await db.acknowledge(answer.results);
    await refreshPending();
    if (answer.expected_seq != null) {
      const first = entries[answer.results.length];
      if (!first || answer.expected_seq >= first.seq) {
        throw new HttpError(409, `De server verwacht volgnummer ${answer.expected_seq}.`);
      }
      await db.renumberOutbox(answer.expected_seq);
    } else if (answer.results.length === 0) {
      throw new HttpError(500, "De server beantwoordde niets van de verzonden wijzigingen.");
    }
  }
}

// A batch ends before a second put of the same observation or reflection: that one's
// base_version is the version the first one gets, known only after its answer.
function batch(entries) {
  const seen = new Set();
  for (let i = 0; i < entries.length; i++) {
    const { type, id } = entries[i];
    if (type.endsWith(".put")) {
      if (seen.has(id)) return entries.slice(0, i);
      seen.add(id);
    }
  }
  return entries;
}

async function pull(schoolId) {
  const key = `cursor:${schoolId}`;
  for (;;) {
    const cursor = await db.getMeta(key, 0);
    const page = await request("GET", `/api/sync/pull?cursor=${cursor}&limit=${PULL_PAGE}`);
    await db.applyChanges(page.changes, key, page.cursor, { reset: Boolean(page.reset) });
    if (!page.has_more) return;
  }
}

async function run() {
  set({ phase: "syncing", error: null });
  try {
    const me = await identify();
    set({ needsLogin: false });
    if (!me.current_school_id) throw new HttpError(409, "Kies eerst een school.");
    await push(me.csrf_token);
    await pull(me.current_school_id);
    delay = MIN_DELAY;
    set({ phase: "idle", lastSync: new Date().toISOString(), needsUpdate: false });
    return true;
  } catch (error) {
    const status = error.status ?? -1;
    if (status === 401) set({ needsLogin: true });
    if (status === 426) set({ needsUpdate: true });
    if (status === 0) askForBackgroundSync();
    if (!(error instanceof HttpError)) console.error("coulisse: sync failed", error);
    const wait = busyWait(error);
    set({ phase: "idle", error: wait ? BUSY : error.message });
    delay = wait || Math.min(delay * 2, MAX_DELAY);
    notBefore = Date.now() + wait;
    return false;
  } finally {
    await refreshPending();
  }
}

// Seconds (a date gets the usual backoff), plus up to as much again.
function busyWait({ status, retryAfter }) {
  const ms = Math.min(parseInt(retryAfter, 10) * 1000, MAX_DELAY);
  if ((status !== 503 && status !== 429) || !(ms >= 0)) return 0;
  return Math.min(ms + Math.random() * Math.max(ms, MIN_DELAY), MAX_DELAY);
}

// No network: where the browser has Background Sync, it wakes the service worker when the
// network is back, and the worker only tells the open pages to run (see fromWorker).
function askForBackgroundSync() {
  navigator.serviceWorker?.getRegistration()
    .then((registration) => registration?.sync?.register("coulisse-sync"))
    .catch(() => { /* not allowed here; the online event and the timer remain */ });
}

// One tab syncs at a time. A caller that finds a sync running waits for it and then runs
// again, so that what it just saved is included.
export function syncNow() {
  return navigator.locks ? navigator.locks.request(LOCK, run) : run();
}

// After a failure, retry after the backoff. After a success, again in MIN_DELAY if something
// is still waiting, otherwise in MAX_DELAY (to pull what others changed); never before a busy
// server's Retry-After (a direct syncNow() may).
function schedule(ms) {
  clearTimeout(timer);
  if (!started) return;
  timer = setTimeout(async () => {
    const ok = await syncNow();
    if (!ok || state.pending.count > 0) schedule(ok ? MIN_DELAY : delay);
    else schedule(MAX_DELAY);
  }, Math.max(ms, notBefore - Date.now()));
}

export async function persist() {
  if (!navigator.storage?.persist) return false;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist();
}

const soon = () => schedule(0);
// A saved change syncs within a second, unless a backoff is running: then it waits its turn.
const afterChange = () => { if (delay === MIN_DELAY) schedule(MIN_DELAY); };
const whenVisible = () => { if (document.visibilityState === "visible") soon(); };
const fromWorker = (event) => { if (event.data?.type === "sync") soon(); };

export function start() {
  if (started) return;
  started = true;
  window.addEventListener("online", soon);
  document.addEventListener("visibilitychange", whenVisible);
  // Background Sync, where present, only triggers the same run (via the service worker).
  navigator.serviceWorker?.addEventListener("message", fromWorker);
  unwatch = db.onChange(afterChange);
  refreshPending();
  soon();
}

export function stop() {
  started = false;
  clearTimeout(timer);
  window.removeEventListener("online", soon);
  document.removeEventListener("visibilitychange", whenVisible);
  navigator.serviceWorker?.removeEventListener("message", fromWorker);
  unwatch?.();
}
