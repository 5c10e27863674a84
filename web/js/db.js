// The tablet's own store (IndexedDB). It keeps observations, moments and reflections, the
// outbox of changes not yet acknowledged by the server, the problems the server reported
// (conflicts and rejections, kept for the user) and a few settings (meta).
//
// The rule that makes offline recording safe: every local change and its outbox entry are
// written in ONE transaction with durability "strict", and the caller is told "saved" only
// when that transaction has completed. The outbox entry's key is the device's mutation
// sequence number, taken from meta in the same transaction, so sequence numbers never repeat
// or skip, even across tabs.
//
// One database per person ("coulisse-<person id>"): on a shared tablet, one coach's outbox
// must never be pushed under another coach's login, nor shown to the next person
// (design.md, "Sync: the guarantees", 13). Only the database of the person logged in on this
// tablet opens (tablet.js): sync.js learns who that is from /api/me and calls usePerson(); a
// logout clears it. While nobody is logged in on the tablet, no database opens. A page that
// shows one person's work pins that person (pin()): if someone else logs in meanwhile, in
// this tab or another, the store refuses rather than mix the two people's work, and the page
// reloads (recorder.js).

import * as tablet from "./tablet.js";

const DB_VERSION = 1;
const RECORD_STORES = ["observations", "moments", "reflections"];

// The fields each mutation sends: pulled records carry server-only fields (school_id,
// created_at, ...) that are no business of a push.
const FIELDS = {
  "observation.put": ["observed_teacher_id", "group_label", "subject", "started_at",
                      "ended_at", "status", "summary", "focus_codes", "phases"],
  "moment.add": ["observation_id", "code", "offset_ms", "phase", "zone", "target", "note",
                 "note_shareable"],
  "reflection.put": ["observation_id", "dominant_mechanism", "zones", "next_step"],
};

let person = null;   // whose database `opening` is
let pinned = null;   // the only person this page may open a database for, once set
let opening = null;
const changeListeners = new Set();

// Its messages are Dutch source texts, translated where they are shown (see sync.js).
export class LockedError extends Error {
  constructor(message = "Er is niemand ingelogd op deze tablet.") {
    super(message);
    this.name = "LockedError";
  }
}

// Called after every saved local change (sync.js uses it to sync soon).
export function onChange(fn) {
  changeListeners.add(fn);
  return () => changeListeners.delete(fn);
}

function changed() {
  for (const fn of changeListeners) fn();
}

function pick(record, fields) {
  return Object.fromEntries(fields.filter((f) => record[f] !== undefined)
    .map((f) => [f, record[f]]));
}

// The server says this person is logged in: theirs is the database to use from now on.
export function usePerson(id) {
  if (!id) throw new Error("usePerson: no person id");
  tablet.setPerson(id);
}

export function currentPerson() {
  return tablet.person();
}

// This page shows this person's work: it must never open another person's database.
export function pin(id) {
  pinned = id;
}

function close() {
  if (opening) opening.then((db) => db.close(), () => {});
  opening = null;
  person = null;
}

// Asked before every read and write, so that a logout (or another person's login) in any tab
// takes effect at once: the tablet's marker is read each time, which costs microseconds.
export function open() {
  const who = currentPerson();
  if (!who || (pinned && who !== pinned)) {
    close();
    return Promise.reject(new LockedError(who ? "Er is intussen iemand anders ingelogd op " +
                                                "deze tablet." : undefined));
  }
  if (opening && person !== who) close();
  if (!opening) {
    person = who;
    const attempt = new Promise((resolve, reject) => {
      const request = indexedDB.open(`coulisse-${who}`, DB_VERSION);
      request.onupgradeneeded = (event) =>
        upgrade(request.result, request.transaction, event.oldVersion);
      request.onsuccess = () => {
        const db = request.result;
        // Another tab wants to upgrade the schema: close, so that its upgrade can proceed.
        db.onversionchange = () => { db.close(); if (opening === attempt) close(); };
        resolve(db);
      };
      request.onerror = () => { if (opening === attempt) close(); reject(request.error); };
      request.onblocked = () => console.warn("coulisse: database upgrade waits for other tabs");
    });
    opening = attempt;
  }
  return opening;
}

// THE RULE for every future version: an upgrade migrates the outbox (and problems), it never
// deletes or recreates those stores. They hold work that exists nowhere else. Change their
// shape by reading each entry through `tx` and writing it back converted, inside this
// upgrade transaction; if the upgrade fails, the whole transaction aborts and the old
// database stays as it was.
function upgrade(db, tx, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("observations", { keyPath: "id" });
    const moments = db.createObjectStore("moments", { keyPath: "id" });
    moments.createIndex("observation_id", "observation_id");
    db.createObjectStore("reflections", { keyPath: "id" });
    const outbox = db.createObjectStore("outbox", { keyPath: "seq" });
    outbox.createIndex("id", "id");
    db.createObjectStore("meta", { keyPath: "key" });
    // Own key: after a renumbering, a seq can be used again; a problem must not be overwritten.
    db.createObjectStore("problems", { keyPath: "key", autoIncrement: true });
  }
  // if (oldVersion < 2) { migrate tx.objectStore("outbox") entry by entry; never delete it }
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException("transaction aborted", "AbortError"));
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Run fn(stores) in one strict read-write transaction; resolves with fn's value only once
// the transaction has committed to disk. fn may await requests of this transaction only
// (any other await would let the transaction commit early).
async function write(storeNames, fn) {
  const db = await open();
  const tx = db.transaction(storeNames, "readwrite", { durability: "strict" });
  const completed = done(tx);
  completed.catch(() => {}); // observed below; avoids an "unhandled" report on abort
  const stores = Object.fromEntries(storeNames.map((name) => [name, tx.objectStore(name)]));
  let value;
  try {
    value = await fn(stores);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    throw error;
  }
  await completed;
  return value;
}

async function read(storeNames, fn) {
  const db = await open();
  const tx = db.transaction(storeNames, "readonly");
  const stores = Object.fromEntries(storeNames.map((name) => [name, tx.objectStore(name)]));
  return fn(stores);
}

// --- meta -----------------------------------------------------------------------------------

export async function getMeta(key, fallback = undefined) {
  const row = await read(["meta"], (s) => result(s.meta.get(key)));
  return row === undefined ? fallback : row.value;
}

export function setMeta(key, value) {
  return write(["meta"], (s) => result(s.meta.put({ key, value })));
}

export function deviceId() {
  return write(["meta"], async (s) => {
    const row = await result(s.meta.get("device_id"));
    if (row) return row.value;
    const id = crypto.randomUUID();
    s.meta.put({ key: "device_id", value: id });
    return id;
  });
}

// --- changes: the record and its outbox entry, together ---------------------------------------

async function enqueue(s, type, id, data, baseVersion) {
  const row = await result(s.meta.get("next_seq"));
  const seq = row ? row.value : 1;
  s.meta.put({ key: "next_seq", value: seq + 1 });
  s.outbox.put({ seq, type, id, base_version: baseVersion ?? null, data,
                 queued_at: new Date().toISOString() });
  return seq;
}

// An outbox entry no push has taken yet may still be changed in place: the server has never
// seen it. `sent_through` is the highest seq a push has taken (see takeOutbox); it is read and
// written inside the same transactions as the entries, so an entry is either amended before a
// push reads it, or left alone because a push has it.
async function unsentEntry(s, id, type) {
  const taken = (await result(s.meta.get("sent_through")))?.value ?? 0;
  const entries = await result(s.outbox.index("id").getAll(id));
  return entries.find((e) => e.type === type && e.seq > taken) ?? null;
}

// Observations and reflections are versioned (compare-and-set on the server). The base is
// the last version the server confirmed; a put queued behind another put of the same record
// gets its base from that one's answer (see acknowledge). A put while an earlier put of the
// same record still waits unsent is merged into that one: one round trip, the same outcome.
async function putVersioned(storeName, type, record) {
  return saved(write([storeName, "outbox", "meta"], async (s) => {
    const old = await result(s[storeName].get(record.id));
    const merged = { ...old, ...record, _local: true };
    s[storeName].put(merged);
    const waiting = await unsentEntry(s, merged.id, type);
    if (waiting) s.outbox.put({ ...waiting, data: pick(merged, FIELDS[type]) });
    else await enqueue(s, type, merged.id, pick(merged, FIELDS[type]), old?.version ?? null);
    return merged;
  }));
}

async function saved(writing) {
  const value = await writing;
  changed();
  return value;
}

export function putObservation(observation) {
  return putVersioned("observations", "observation.put",
                      { ...observation, id: observation.id || crypto.randomUUID() });
}

export function putReflection(reflection) {
  return putVersioned("reflections", "reflection.put",
                      { ...reflection, id: reflection.id || crypto.randomUUID() });
}

export function addMoment(moment) {
  const record = { ...moment, id: moment.id || crypto.randomUUID(), deleted: false,
                   _local: true };
  return saved(write(["moments", "outbox", "meta"], async (s) => {
    s.moments.put(record);
    await enqueue(s, "moment.add", record.id, pick(record, FIELDS["moment.add"]), null);
    return record;
  }));
}

// Moments are append-only on the server. A moment the server has not seen yet (its add still
// waits unsent) is changed in place, or on deletion removed with its add, the entries behind
// it moving up one so that the device's sequence keeps no gap. A moment the server may have
// seen gets a tombstone, plus a new moment carrying the change.
async function dropUnsent(s, entry) {
  s.outbox.delete(entry.seq);
  const later = await result(s.outbox.getAll(IDBKeyRange.lowerBound(entry.seq, true)));
  for (const next of later) {
    s.outbox.delete(next.seq);
    s.outbox.put({ ...next, seq: next.seq - 1 });
  }
  const row = await result(s.meta.get("next_seq"));
  s.meta.put({ key: "next_seq", value: row.value - 1 });
}

export function deleteMoment(id) {
  return saved(write(["moments", "outbox", "meta"], async (s) => {
    const old = await result(s.moments.get(id));
    if (!old || old.deleted) return false;
    const waiting = await unsentEntry(s, id, "moment.add");
    if (waiting) {
      s.moments.delete(id);
      await dropUnsent(s, waiting);
      return true;
    }
    s.moments.put({ ...old, deleted: true, _local: true });
    await enqueue(s, "moment.delete", id, { observation_id: old.observation_id }, null);
    return true;
  }));
}

// Change a moment's code, phase, zone, note or shareability. Resolves with the moment as it
// now is: the same id when it was changed in place, a new id when it was replaced.
export function editMoment(id, changes) {
  return saved(write(["moments", "outbox", "meta"], async (s) => {
    const old = await result(s.moments.get(id));
    if (!old || old.deleted) throw new Error("Dit moment bestaat niet meer.");
    const waiting = await unsentEntry(s, id, "moment.add");
    if (waiting) {
      const record = { ...old, ...changes, id, _local: true };
      s.moments.put(record);
      s.outbox.put({ ...waiting, data: pick(record, FIELDS["moment.add"]) });
      return record;
    }
    s.moments.put({ ...old, deleted: true, _local: true });
    await enqueue(s, "moment.delete", id, { observation_id: old.observation_id }, null);
    const record = { ...old, ...changes, id: crypto.randomUUID(), deleted: false, _local: true,
                     replaces: id };
    s.moments.put(record);
    await enqueue(s, "moment.add", record.id, pick(record, FIELDS["moment.add"]), null);
    return record;
  }));
}

// --- reading ------------------------------------------------------------------------------------

export function getObservation(id) {
  return read(["observations"], (s) => result(s.observations.get(id)));
}

export function allObservations() {
  return read(["observations"], (s) => result(s.observations.getAll()));
}

export async function momentsOf(observationId, { withDeleted = false } = {}) {
  const rows = await read(["moments"], (s) =>
    result(s.moments.index("observation_id").getAll(observationId)));
  return rows.filter((m) => withDeleted || !m.deleted)
    .sort((a, b) => a.offset_ms - b.offset_ms);
}

export function outbox(limit = undefined) {
  return read(["outbox"], (s) => result(s.outbox.getAll(null, limit)));
}

// The next entries to push, in seq order, marked as taken in the same transaction, so that
// from now on they are never changed in place (see unsentEntry). `cut` may shorten the list.
export function takeOutbox(limit, cut = (entries) => entries) {
  return write(["outbox", "meta"], async (s) => {
    const entries = cut(await result(s.outbox.getAll(null, limit)));
    if (entries.length > 0) {
      const taken = (await result(s.meta.get("sent_through")))?.value ?? 0;
      const last = entries[entries.length - 1].seq;
      s.meta.put({ key: "sent_through", value: Math.max(taken, last) });
    }
    return entries;
  });
}

export function problems() {
  return read(["problems"], (s) => result(s.problems.getAll()));
}

// A person dealt with this problem (problems.js): it leaves the tablet.
export function resolveProblem(key) {
  return write(["problems"], (s) => result(s.problems.delete(key)));
}

// How much is waiting, and since when: shown on every recording screen.
export function pending() {
  return read(["outbox"], async (s) => {
    const count = await result(s.outbox.count());
    const first = await result(s.outbox.openCursor());
    const oldest = first ? first.value.queued_at : null;
    return { count, oldest, ageMs: oldest ? Date.now() - Date.parse(oldest) : 0 };
  });
}

// --- what the server said ---------------------------------------------------------------------

const storeOf = (type) => `${type.split(".")[0]}s`;

// Remove the outbox entries the server answered (applied, duplicate, conflict, rejected: all
// are final), keeping conflicts and rejections in "problems" for the user. Only the seqs in
// `results` leave the outbox; anything unanswered stays for the next push.
export function acknowledge(results) {
  return write(["outbox", "problems", ...RECORD_STORES], async (s) => {
    for (const r of results) {
      const entry = await result(s.outbox.get(r.seq));
      if (!entry) continue;
      s.outbox.delete(r.seq);
      // A repeated seq comes back as "duplicate" with the first answer's reason; a reason
      // means that answer was a conflict or rejection, which the user must still see.
      if (r.status === "conflict" || r.status === "rejected" || r.reason) {
        s.problems.put({ ...entry, status: r.status, reason: r.reason || "",
                         answered_at: new Date().toISOString() });
        continue;
      }
      if (r.version == null || entry.type === "moment.add" || entry.type === "moment.delete") {
        continue;
      }
      const later = await result(s.outbox.index("id").getAll(entry.id));
      for (const next of later) if (next.type === entry.type) {
        s.outbox.put({ ...next, base_version: r.version });
      }
      const store = s[storeOf(entry.type)];
      const row = await result(store.get(entry.id));
      if (row) store.put({ ...row, version: r.version, _local: later.length > 0 });
    }
  });
}

// The server expects a lower sequence number than the device's first waiting entry (the
// device's counter ran ahead of what it sent): renumber the waiting entries from `expected`,
// in order, in one transaction.
export function renumberOutbox(expected) {
  return write(["outbox", "meta"], async (s) => {
    const entries = await result(s.outbox.getAll());
    s.outbox.clear();
    let seq = expected;
    for (const entry of entries) s.outbox.put({ ...entry, seq: seq++ });
    s.meta.put({ key: "next_seq", value: seq });
    // No push holds any of them now (sync runs under a lock and is between batches).
    s.meta.put({ key: "sent_through", value: expected - 1 });
  });
}

// Apply the server's changes (pull) and move the cursor, in one transaction. A record with
// local changes still waiting in the outbox keeps its local content: the outbox wins until
// the server has answered it, and the next pull brings the result.
export function applyChanges(changes, cursorKey, cursor, { reset = false } = {}) {
  return write([...RECORD_STORES, "meta", "outbox"], async (s) => {
    const waiting = new Set((await result(s.outbox.getAll())).map((e) => e.id));
    if (reset) {
      for (const name of RECORD_STORES) {
        for (const key of await result(s[name].getAllKeys())) {
          if (!waiting.has(key)) s[name].delete(key);
        }
      }
    }
    for (const change of changes) {
      const store = s[`${change.entity}s`];
      if (!store || waiting.has(change.id)) continue;
      // Moment tombstones stay, so that a deleted moment is not shown again from elsewhere.
      if (change.deleted && change.entity !== "moment") store.delete(change.id);
      else store.put({ ...change.data, id: change.id, deleted: Boolean(change.deleted) });
    }
    s.meta.put({ key: cursorKey, value: cursor });
  });
}

// Everything not yet synced, as a file the user can keep or hand to the school.
export async function exportUnsynced() {
  const [entries, issues, device] = await Promise.all([outbox(), problems(), getMeta("device_id")]);
  const body = JSON.stringify({ exported_at: new Date().toISOString(), person,
                                device_id: device ?? null, outbox: entries, problems: issues },
                              null, 2);
  return new Blob([body], { type: "application/json" });
}
