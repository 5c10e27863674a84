// The recorder's controller: finds out who is here (online, or the last person on this
// tablet when offline), loads the school's codebook and teachers, and shows one of three
// screens: before the lesson (setup.js), during it (lesson.js), after it (review.js).
//
// The running lesson is remembered in localStorage ("coulisse:running-lesson"), so a reload,
// a crash or a restarted tablet opens it again, and the update offer (pwa.js) knows to wait.

import * as db from "./db.js";
import * as lesson from "./lesson.js";
import { register, watchForUpdates } from "./pwa.js";
import * as review from "./review.js";
import * as school from "./school.js";
import * as setup from "./setup.js";
import * as status from "./status.js";
import * as sync from "./sync.js";
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
    h("h1", {}, "Les opnemen"),
    h("p", {}, message),
    link ? h("p", {}, h("a", { class: "button primary large", href: link.href }, link.label))
         : null));
}

async function boot() {
  register();
  watchForUpdates({ container: document.getElementById("update") });
  status.mount(document.getElementById("status"));
  context = await school.load();
  if (!context) {
    welcome("Log een keer in terwijl de tablet online is. Daarna werkt opnemen ook zonder " +
            "netwerk.", { href: "/inloggen?volgende=/opnemen", label: "Inloggen" });
    return;
  }
  if (!context.school || !context.codebook) {
    welcome("Kies eerst op de startpagina in welke school je werkt.",
            { href: "/", label: "Naar de startpagina" });
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
  welcome("Opnemen kon niet starten op deze tablet. Vernieuw de pagina; wat al bewaard is, " +
          "blijft bewaard.");
});
