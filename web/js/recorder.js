// The recorder's controller: finds out who is here (online, or the last person on this
// tablet when offline), loads the school's codebook and teachers, and shows one of three
// screens: before the lesson (setup.js), during it (lesson.js), after it (review.js).
//
// The running lesson is remembered in localStorage ("coulisse:running-lesson"), so a reload,
// a crash or a restarted tablet opens it again, and the update offer (pwa.js) knows to wait.
//
// The screen belongs to the person logged in on this tablet (tablet.js). While nobody is,
// it asks to log in and opens no store. When the person changes (a logout or another login,
// in this tab or another, or a page restored from the back-forward cache), it reloads, so
// that nothing of one person stays on screen for the next.

import * as db from "./db.js";
import { _ } from "./i18n.js";
import * as lesson from "./lesson.js";
import { register, watchForUpdates } from "./pwa.js";
import * as review from "./review.js";
import * as school from "./school.js";
import * as setup from "./setup.js";
import * as status from "./status.js";
import * as sync from "./sync.js";
import * as tablet from "./tablet.js";
import { clear, h } from "./ui.js";

export const RUNNING = "coulisse:running-lesson";

const root = document.getElementById("app");
let context = null;
let book = null;
let leave = null;  // stops the current screen's timers

function setRunning(id) {
  if (id) localStorage.setItem(RUNNING, id);
  else localStorage.removeItem(RUNNING);
  window.dispatchEvent(new Event("coulisse:lesson-changed"));
}

function show(screen) {
  leave?.();
  leave = null;
  const hash = screen.hash ?? "";
  if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname);
  return screen.render();
}

async function home() {
  return show({ hash: "", render: () => setup.render(root, { context, book, open, start }) });
}

async function start({ teacher, group, subject, focus, cue }) {
  const observation = await db.putObservation({
    id: crypto.randomUUID(), observer_id: context.me.id, observed_teacher_id: teacher,
    group_label: group, subject, started_at: new Date().toISOString(), status: "in_progress",
    summary: "", focus_codes: focus, phases: context.school.phases,
  });
  await db.setMeta(`lesson:${observation.id}`, { cue });
  status.saved();
  setRunning(observation.id);
  return record(observation.id);
}

async function record(id) {
  const observation = await db.getObservation(id);
  if (!observation || observation.deleted) {
    setRunning(null);
    return home();
  }
  if (observation.status !== "in_progress") return finish(id);
  setRunning(id);
  return show({ hash: `#les/${id}`, render: async () => {
    leave = await lesson.render(root, { context, book, observation, end: finish });
  } });
}

async function finish(id) {
  if (localStorage.getItem(RUNNING) === id) setRunning(null);
  return show({ hash: `#nabespreken/${id}`,
                render: () => review.render(root, { context, book, observationId: id, home }) });
}

async function open(id) {
  const observation = await db.getObservation(id);
  return observation?.status === "in_progress" ? record(id) : finish(id);
}

function welcome(message, link) {
  clear(root, h("div", { class: "rec-welcome" },
    h("h1", {}, _("Les opnemen")),
    h("p", {}, message),
    link ? h("p", {}, h("a", { class: "button primary large", href: link.href }, link.label))
         : null));
}

// Nobody is logged in on this tablet: no store is opened, nothing of anyone is shown.
function locked() {
  if (location.hash) history.replaceState(null, "", location.pathname);
  clear(document.getElementById("status"));
  clear(root, h("div", { class: "rec-welcome", "data-locked": true },
    h("h1", {}, _("Les opnemen")),
    h("p", {}, _("Er is niemand ingelogd op deze tablet. Log in om een les op te nemen.")),
    navigator.onLine ? null
      : h("p", {}, _("Inloggen kan zodra de tablet verbinding heeft. Daarna werkt opnemen " +
                     "ook zonder netwerk.")),
    h("p", {}, h("a", { class: "button primary large", href: "/inloggen?volgende=/opnemen" },
                 _("Inloggen"))),
    h("p", { class: "rec-muted" },
      _("Wat eerder op deze tablet is opgenomen en nog niet is verstuurd, blijft hier " +
        "bewaard, afgeschermd voor anderen. Het wordt verstuurd zodra die persoon weer " +
        "inlogt."))));
}

// Reload when the tablet's person is no longer the one this screen shows.
function watchPerson(shown) {
  const check = () => { if (tablet.person() !== shown) location.reload(); };
  window.addEventListener(tablet.PERSON_CHANGED, check);
  window.addEventListener("storage", (event) => {
    if (event.key === tablet.PERSON_KEY || event.key === null) check();
  });
  window.addEventListener("pageshow", (event) => { if (event.persisted) check(); });
}

async function boot() {
  register();
  watchForUpdates({ container: document.getElementById("update") });
  context = await school.load();
  watchPerson(context?.me.id ?? null);
  if (!context) {
    locked();
    return;
  }
  db.pin(context.me.id);
  status.mount(document.getElementById("status"));
  if (!context.school || !context.codebook) {
    welcome(_("Kies eerst op de startpagina in welke school je werkt."),
            { href: "/", label: _("Naar de startpagina") });
    return;
  }
  book = school.index(context.codebook);
  sync.start();

  const running = localStorage.getItem(RUNNING);
  const [, screen, id] = location.hash.match(/^#(les|nabespreken)\/([\w-]+)$/) ?? [];
  if (running) await record(running);
  else if (screen === "les") await record(id);
  else if (screen === "nabespreken") await finish(id);
  else await home();
}

boot().catch((error) => {
  console.error("coulisse: the recorder could not start", error);
  welcome(_("Opnemen kon niet starten op deze tablet. Vernieuw de pagina; wat al bewaard " +
            "is, blijft bewaard."));
});
