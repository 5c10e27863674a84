// What went wrong between the tablet and the server, recorded and read in one place
// (docs/recorder.md, "Problems"). Answers (a change the server answered "conflict" or
// "rejected") are stored by db.acknowledge in the transaction that empties their outbox entry,
// and stay until resolved. Sync problems ("login", "update", "sync") follow sync.js's state and
// live on this page only. db.js and sync.js load without this module and without i18n.js (the
// sync harness serves them alone), so their messages are source texts, translated here.

import * as db from "./db.js";
import { _ } from "./i18n.js";
import * as sync from "./sync.js";

const listeners = new Set();
const current = new Map();  // kind -> { kind, text }
let running = false;

// fn() is called whenever the list may have changed.
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn();
}

export function record(problem) {
  if (current.get(problem.kind)?.text === problem.text) return;
  current.set(problem.kind, problem);
  changed();
}

function forget(kind) {
  if (current.delete(kind)) changed();
}

// An answer leaves the tablet; a sync problem is forgotten until it is recorded again.
export async function resolve(problem) {
  if (problem.kind !== "answer") {
    forget(problem.kind);
    return;
  }
  await db.resolveProblem(problem.key);
  changed();
}

export function find(kind) {
  return current.get(kind) ?? null;
}

// The sync problems, then the answers ({ kind: "answer", key, status, reason, type, id, ... }).
export async function list() {
  let answers = [];
  try {
    answers = await db.problems();
  } catch { /* nobody is logged in on this tablet */ }
  return [...current.values(), ...answers.map((row) => ({ ...row, kind: "answer" }))];
}

function toggle(kind, on, text) {
  if (on) record({ kind, text });
  else forget(kind);
}

sync.subscribe((state) => {
  toggle("login", state.needsLogin, _("Log opnieuw in om te synchroniseren"));
  toggle("update", state.needsUpdate, _("Werk de app bij om te synchroniseren"));
  if (state.phase === "syncing") {
    running = true;
    return;
  }
  toggle("sync", state.error, state.error && _(state.error));
  if (running) {
    running = false;
    changed();  // the push may have stored answers
  }
});
