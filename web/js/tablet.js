// Who is logged in on this tablet, and what waits for whom (design.md, "Sync: the guarantees",
// 13: shared tablets). No imports, so that the server-rendered pages' logout (logout.js) can
// load it even while an older service worker still serves the older recorder files.
//
// One marker in localStorage names the person logged in on this tablet. Only the server sets
// it (sync.js, from /api/me); a logout clears it, also when the tablet is offline. Only that
// person's database opens (db.js); with no marker, none does, and whatever waits unsynced
// stays locked in its owner's database until that person logs in again.
//
// A logout must lock the tablet at once, even when the server cannot hear it. The session
// cookie is HttpOnly and cannot be dropped from here, so the logged-out session is remembered
// by its CSRF token: until the server has ended that session, the next page or sync that finds
// it still open ends it first (logout.js, sync.js) and shows or uses nothing of it. The token
// belongs to a session that was logged out, so it grants nothing once the server has heard.

export const PERSON_KEY = "coulisse:person";
export const PERSON_CHANGED = "coulisse:person-changed";
const LOGOUT_KEY = "coulisse:logout";

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;  // storage blocked: nobody can be logged in on this tablet
  }
}

// The person logged in on this tablet, or null.
export function person() {
  return stored(PERSON_KEY);
}

// The server says this person is logged in. A change is announced to this tab (other tabs
// hear of it through the `storage` event), so that no screen keeps the previous person's work.
export function setPerson(id) {
  if (stored(PERSON_KEY) === id) return;
  localStorage.setItem(PERSON_KEY, id);
  window.dispatchEvent(new Event(PERSON_CHANGED));
}

// Nobody is logged in on this tablet any more.
export function forget() {
  if (stored(PERSON_KEY) === null) return;
  localStorage.removeItem(PERSON_KEY);
  window.dispatchEvent(new Event(PERSON_CHANGED));
}

// The person logs out on this tablet: lock their store now, and remember the session that the
// server must still end.
export function logOut({ csrf }) {
  localStorage.setItem(LOGOUT_KEY, JSON.stringify({ csrf, heard: false,
                                                     at: new Date().toISOString() }));
  forget();
}

function lastLogout() {
  try {
    return JSON.parse(stored(LOGOUT_KEY)) ?? null;
  } catch {
    return null;
  }
}

// The session with this CSRF token was logged out on this tablet (and, with `unheard`, the
// server may not have ended it yet).
export function loggedOut(csrf, { unheard = false } = {}) {
  const record = lastLogout();
  return Boolean(record && csrf && record.csrf === csrf && !(unheard && record.heard));
}

// The server ended the session logged out here, or a newer login replaced it in this browser.
export function logoutHeard() {
  const record = lastLogout();
  if (record && !record.heard) {
    localStorage.setItem(LOGOUT_KEY, JSON.stringify({ ...record, heard: true }));
  }
}

// How many changes of this person wait unsynced on this tablet, read without opening their
// store for use and without making one: a person who never recorded here has none.
export function waitingFor(id) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(`coulisse-${id}`);
    // No database for this person yet: abort, so that none is made.
    request.onupgradeneeded = () => request.transaction.abort();
    request.onerror = () => {
      if (request.error?.name === "AbortError") resolve(0);
      else reject(request.error);
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      try {
        const count = db.transaction(["outbox"], "readonly").objectStore("outbox").count();
        count.onsuccess = () => { db.close(); resolve(count.result); };
        count.onerror = () => { db.close(); reject(count.error); };
      } catch (error) {
        db.close();
        reject(error);
      }
    };
  });
}
