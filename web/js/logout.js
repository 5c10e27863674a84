// The "Uitloggen" button of the server-rendered pages, on a shared tablet (tablet.js).
//
// Logging out locks the person's work on this tablet, before and whether or not the server
// hears of it: the form's submit is taken over here. When work of theirs waits unsynced, they
// are told how much and may sync first, log out anyway (it stays on the tablet, locked, and is
// sent when they log in again) or stay. Then the tablet forgets them, and only then is the
// server asked to end the session. Offline it cannot be: the tablet is locked all the same and
// the recorder's lock screen opens; the next page or sync that finds the session still open
// ends it first (this module on page load, sync.js), and shows or uses nothing of it.
//
// Without JavaScript the form still logs out on the server; the tablet's marker is then
// replaced by the next person's login, or cleared when the server reports no session.

import { _, ngettext } from "./i18n.js";
import { RUNNING_LESSON } from "./pwa.js";
import * as tablet from "./tablet.js";
import { h } from "./ui.js";

const form = document.querySelector("form.logout");
let busy = false;

function csrfOf(target) {
  return target.elements.namedItem("csrf_token")?.value ?? "";
}

// Ends the session on the server. True when the server no longer has it: a redirect to the
// login page, or a 401 (it had ended already). False when the server could not be reached or
// did not end it; the tablet stays locked and the next page or sync tries again.
async function tellServer(target) {
  try {
    const response = await fetch(target.action, {
      method: "POST", body: new URLSearchParams(new FormData(target)), credentials: "same-origin",
      cache: "no-store", redirect: "manual" });
    if (response.type === "opaqueredirect" || response.ok || response.status === 401) {
      tablet.logoutHeard();
      return true;
    }
  } catch { /* offline */ }
  return false;
}

// Keeps this page's content out of sight (coulisse.css) from now on.
function hide() {
  document.documentElement.classList.add("logging-out");
}

// Locks the tablet first; a running lesson stays in the person's store, listed for them to
// finish when they log in again. The page is hidden before it is left: a browser may keep it
// in its back-forward cache even though it was sent no-store (WebKit does over plain http),
// and what it keeps then shows nothing.
async function logOut(target) {
  localStorage.removeItem(RUNNING_LESSON);
  tablet.logOut({ csrf: csrfOf(target) });
  hide();
  // Heard: the login page. Not heard: the recorder's lock screen, which works offline.
  location.assign((await tellServer(target)) ? "/inloggen" : "/opnemen");
}

// The warning. Resolves when the person chose to log out (after a sync, or anyway) with
// true, or to stay with false.
function warn(person, count) {
  return new Promise((resolve) => {
    const text = h("p", { id: "logout-text" });
    const status = h("p", { class: "dialog-status", role: "status" });
    const say = (n) => {
      text.textContent = ngettext(
        "{n} wijziging staat alleen op deze tablet en is nog niet naar de server verstuurd.",
        "{n} wijzigingen staan alleen op deze tablet en zijn nog niet naar de server verstuurd.",
        n);
    };
    say(count);
    const running = tablet.person() === person && localStorage.getItem(RUNNING_LESSON);
    const buttons = [];
    const choose = (value) => { dialog.close(); resolve(value); };
    const syncFirst = async () => {
      for (const button of buttons) button.disabled = true;
      status.textContent = _("Bezig met synchroniseren…");
      let left = count;
      let error = "";
      try {
        const sync = await import("./sync.js");
        const problems = await import("./problems.js");
        const ok = await sync.syncNow();
        left = await tablet.waitingFor(person);
        if (!ok) error = problems.find("sync")?.text || _("onbekende fout");
      } catch (failure) {
        error = failure.message;
      }
      if (left === 0) {
        status.textContent = _("Alles is verstuurd. Je wordt uitgelogd…");
        choose(true);
        return;
      }
      say(left);
      status.textContent = error
        ? _("Synchroniseren lukte niet: {error} Je werk blijft op deze tablet bewaard.", { error })
        : _("Nog niet alles is verstuurd. Probeer het zo nog eens.");
      for (const button of buttons) button.disabled = false;
    };
    buttons.push(
      h("button", { type: "button", class: "button", "data-choice": "sync", onclick: syncFirst },
        _("Eerst synchroniseren")),
      h("button", { type: "button", class: "button secondary", "data-choice": "logout",
                    onclick: () => choose(true) }, _("Toch uitloggen")),
      h("button", { type: "button", class: "button secondary", "data-choice": "cancel",
                    onclick: () => choose(false) }, _("Annuleren")));
    const dialog = h("dialog", { class: "dialog logout-warning", "aria-labelledby": "logout-title",
                                 "aria-describedby": "logout-text" },
      h("h2", { id: "logout-title" }, _("Nog niet verstuurd")),
      text,
      running ? h("p", {}, _("Er loopt nog een les. Die kun je afmaken als je weer inlogt."))
              : null,
      h("p", {}, _("Log je toch uit, dan blijft dit op deze tablet bewaard, afgeschermd voor " +
                   "anderen. Het wordt verstuurd zodra jij hier weer inlogt.")),
      status,
      h("div", { class: "dialog-actions" }, buttons));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();  // Escape stays "Annuleren", but not while a sync runs
      if (!buttons[0].disabled) choose(false);
    });
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  });
}

async function onSubmit(event) {
  event.preventDefault();
  if (busy) return;
  busy = true;
  try {
    const person = form.dataset.person;
    let waiting = 0;
    try {
      waiting = person ? await tablet.waitingFor(person) : 0;
    } catch (error) {
      // The store cannot be read here: its work stays where it is whatever happens next.
      console.warn("coulisse: could not count the unsynced work", error);
    }
    if (waiting > 0 && !(await warn(person, waiting))) return;
    await logOut(form);
  } finally {
    busy = false;
  }
}

// This page belongs to a session that was logged out on this tablet while the server could
// not hear it: end it now, and keep its content out of sight meanwhile.
async function finishLogout() {
  const csrf = csrfOf(form);
  if (!tablet.loggedOut(csrf, { unheard: true })) {
    tablet.logoutHeard();  // another login replaced that session, or there was none
    return;
  }
  hide();
  location.replace((await tellServer(form)) ? "/inloggen" : "/opnemen");
}

if (form) {
  form.addEventListener("submit", onSubmit);
  finishLogout();
  // A page of a session that was logged out, restored by "back": hide it before it is drawn
  // and ask the server again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && tablet.loggedOut(csrfOf(form))) {
      hide();
      location.reload();
    }
  });
}
