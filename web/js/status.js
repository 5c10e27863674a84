// The strip that is always visible while recording: that the work is kept on this tablet,
// how much waits for the server and since when, when it last synced, a button to sync now,
// what stands in the way of syncing (problems.js), the persistent-storage warning and the
// export of unsynced work.
//
// Its elements are made once and updated in place, only where something changed: it updates
// after every tap, and a rebuilt strip would make the browser lay out the page each time.

import * as db from "./db.js";
import { _, ngettext } from "./i18n.js";
import * as problems from "./problems.js";
import * as sync from "./sync.js";
import { age, clear, download, h, timeOfDay } from "./ui.js";

let parts = null;
let storageRefused = false;
let known = false;
let saves = 0;

export function mount(root) {
  parts = {
    saved: h("span", { class: "rec-chip saved", "data-status": "saved",
                       "data-saved-count": "0" }, _("Bewaard op deze tablet")),
    waiting: h("span", { class: "rec-chip", hidden: true }),
    login: h("a", { class: "rec-chip warn", "data-status": "login", hidden: true,
                    href: "/inloggen?volgende=/opnemen" },
             _("Log opnieuw in om te synchroniseren")),
    problem: h("span", { class: "rec-chip warn", hidden: true }),
    storage: h("span", { class: "rec-chip warn", "data-status": "storage", hidden: true,
                         title: _("De browser staat vaste opslag niet toe en mag deze gegevens " +
                                  "opruimen als de opslag vol raakt. Synchroniseer zo snel " +
                                  "mogelijk.") }, _("Opslag niet vastgezet")),
    sync: h("button", { type: "button", class: "button secondary small", "data-action": "sync",
                        onclick: () => sync.syncNow() }, _("Synchroniseer")),
    export: h("button", { type: "button", class: "button secondary small",
                          "data-action": "export", hidden: true,
                          title: _("Bewaar wat nog niet gesynchroniseerd is als bestand"),
                          onclick: exportUnsynced }, _("Exporteer")),
  };
  clear(root, ...Object.values(parts));
  problems.subscribe(() => render(sync.state));
  sync.subscribe(render);
  // Until the outbox has been counted, say nothing about it rather than "nothing waits".
  sync.refreshPending().then(() => { known = true; render(sync.state); });
  setInterval(() => render(sync.state), 30000);  // the age of the oldest change moves on
  window.addEventListener("online", () => render(sync.state));
  window.addEventListener("offline", () => render(sync.state));
  askForPersistence();
}

async function askForPersistence() {
  try {
    storageRefused = !(await sync.persist());
  } catch {
    storageRefused = true;
  }
  render(sync.state);
}

// Called after every local save: the user sees the save confirmed, not just the tap.
// `data-saved-count` counts the confirmed saves of this page (bench/recorder.py times them).
export function saved() {
  if (!parts) return;
  saves += 1;
  parts.saved.dataset.savedCount = String(saves);
  parts.saved.title = _("Laatst bewaard om {time}", { time: timeOfDay(new Date().toISOString()) });
  parts.saved.animate?.([{ backgroundColor: "#e7f3eb", borderColor: "#1e6b3a" }, {}],
                        { duration: 600, easing: "ease-out" });
  sync.refreshPending();
}

function set(el, { text, status, hidden = false, ...attrs }) {
  if (el.hidden !== hidden) el.hidden = hidden;
  if (hidden) return;
  if (text !== undefined && el.textContent !== text) el.textContent = text;
  if (status !== undefined && el.dataset.status !== status) el.dataset.status = status;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null) el.removeAttribute(name);
    else if (el.getAttribute(name) !== String(value)) el.setAttribute(name, String(value));
  }
}

function render(state) {
  if (!parts) return;
  const { count, ageMs } = state.pending;
  if (!known) {
    set(parts.waiting, { hidden: true });
  } else if (count > 0) {
    set(parts.waiting, {
      text: ngettext("{n} wacht\u00a0· oudste {age}", "{n} wachten\u00a0· oudste {age}", count,
                     { age: age(ageMs) }),
      status: "pending", class: "rec-chip wait", "data-count": count,
      title: ngettext("{n} wijziging wacht op synchronisatie met de server",
                      "{n} wijzigingen wachten op synchronisatie met de server", count),
    });
  } else if (state.lastSync) {
    set(parts.waiting, { text: _("Gesynchroniseerd {time}", { time: timeOfDay(state.lastSync) }),
                         status: "synced", class: "rec-chip ok", "data-count": null,
                         title: null });
  } else {
    set(parts.waiting, { text: _("Niets te versturen"), status: "idle", class: "rec-chip ok",
                         "data-count": null, title: null });
  }

  // The sync problems show here; the answers the server refused are kept for a view of their own.
  const login = problems.find("login");
  const update = problems.find("update");
  set(parts.login, { hidden: !login, text: login?.text });
  if (update) {
    set(parts.problem, { text: update.text, status: "update" });
  } else if (!navigator.onLine && !login) {
    set(parts.problem, { text: _("Offline"), status: "offline" });
  } else {
    set(parts.problem, { hidden: true });
  }
  set(parts.storage, { hidden: !storageRefused });
  const syncing = state.phase === "syncing";
  if (parts.sync.disabled !== syncing) parts.sync.disabled = syncing;
  set(parts.sync, { text: syncing ? _("Bezig…") : _("Synchroniseer") });
  set(parts.export, { hidden: !(known && count > 0) });
}

async function exportUnsynced() {
  const blob = await db.exportUnsynced();
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
  download(blob, `coulisse-niet-gesynchroniseerd-${stamp}.json`);
}
