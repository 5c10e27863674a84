// During the lesson: one big button per code; one tap is one time-stamped moment. The phase
// of the lesson is a state; a zone and a note go on the last moment; undo takes the last
// moment back. Everything is saved on the tablet before the screen says so.
//
// Offsets are wall-clock time since "Start les", taken at the tap (not when the write ends),
// so a moment keeps its place in the lesson through pauses and reloads. Writes go through
// one queue: fast taps all count and are saved in the order they were made.
//
// The controller: the lesson's state and the queue. Each widget (lesson-*.js) makes its
// elements once and repaints them in place.

import * as db from "./db.js";
import { _ } from "./i18n.js";
import { lessonBar } from "./lesson-bar.js";
import { lessonClock } from "./lesson-clock.js";
import { codeButtons, explainCode } from "./lesson-codes.js";
import { endLesson } from "./lesson-end.js";
import { lastMoment } from "./lesson-last.js";
import { noteField } from "./lesson-note.js";
import { suspectNames } from "./names.js";
import * as status from "./status.js";
import { clear, h } from "./ui.js";

const uiKey = (observation) => `lesson:${observation.id}`;

export async function render(root, { context, book, observation, end }) {
  const ui = { phase: observation.phases[0], paused: false, paused_at: null, pauses: [], cue: 0,
               view: observation.focus_codes.length ? "focus" : "all",
               ...(await db.getMeta(uiKey(observation), {})) };
  const moments = new Moments(await db.momentsOf(observation.id));
  return new Lesson(root, { context, book, observation, end, ui, moments }).show();
}

// The lesson's moments as the screen knows them, ahead of the store. A change to a moment the
// server already has gives it a new id (db.editMoment); writes queued before that still name
// the old one.
class Moments {
  constructor(list) {
    this.list = list;
    this.last = list.at(-1) ?? null;
    this.replacedBy = new Map();
  }

  add(moment) {
    this.list.push(moment);
    this.last = moment;
  }

  remove(id) {
    this.list = this.list.filter((m) => m.id !== id);
    if (this.last?.id === id) this.last = this.list.at(-1) ?? null;
  }

  resolve(id) {
    while (this.replacedBy.has(id)) id = this.replacedBy.get(id);
    return id;
  }

  current(id) {
    const now = this.resolve(id);
    return this.list.find((m) => m.id === now) ?? null;
  }

  replace(oldId, updated) {
    if (updated.id !== oldId) this.replacedBy.set(oldId, updated.id);
    this.list = this.list.map((m) => (m.id === oldId ? updated : m));
    if (this.last?.id === oldId) this.last = updated;
  }

  counts() {
    const counts = new Map();
    for (const m of this.list) counts.set(m.code, (counts.get(m.code) ?? 0) + 1);
    return counts;
  }
}

class Lesson {
  constructor(root, { context, book, observation, end, ui, moments }) {
    Object.assign(this, { root, book, observation, end, ui, moments });
    this.started = Date.parse(observation.started_at);
    this.queue = Promise.resolve();
    this.explaining = false;
    this.staff = context.teachers.map((t) => t.name).concat(context.me.name);
    this.build(context.teachers.find((t) => t.id === observation.observed_teacher_id));
  }

  build(teacher) {
    const { root, book, observation } = this;
    this.clock = lessonClock({ started: this.started, root, state: () => this.ui });
    this.codes = codeButtons({ book, observation, onTap: (code, b) => this.tap(code, b) });
    this.bar = lessonBar({ observation, teacher, cue: this.ui.cue, clock: this.clock,
                           focusCount: this.codes.focusCount, on: {
                             phase: (phase) => this.setUi({ phase }),
                             view: (view) => this.setUi({ view }),
                             explain: () => { this.explaining = !this.explaining; this.paint(); },
                             pause: () => this.togglePause(),
                             end: () => this.finish(),
                           } });
    this.note = noteField({ staff: this.staff, onCommit: () => this.commitNote() });
    this.last = lastMoment({ book, note: this.note, onZone: (zone) => this.setZone(zone),
                             onUndo: () => this.undo() });
    this.alertBox = h("p", { class: "rec-error", role: "alert", hidden: true });
    this.el = h("div", { class: "rec-lesson" }, this.bar.bar, this.bar.tabs, this.alertBox,
                h("div", { class: "rec-body" }, this.codes.el, this.last.el));
  }

  show() {
    this.paint();
    clear(this.root, this.el);
    document.body.classList.add("rec-in-lesson");
    return () => {
      this.clock.stop();
      document.body.classList.remove("rec-in-lesson");
    };
  }

  paint() {
    const { ui, explaining, moments } = this;
    const showFocus = ui.view === "focus" && this.codes.focusCount > 0;
    this.bar.paint({ ui, explaining, showFocus });
    this.el.classList.toggle("rec-explaining", explaining);
    this.el.classList.toggle("rec-is-paused", ui.paused);
    this.codes.paint({ showFocus, paused: ui.paused, counts: moments.counts() });
    this.last.paint(moments.last);
    this.note.paint(moments.last);
  }

  // The lesson's screen state (phase, pause, view) shows at once and is kept on the tablet
  // in its turn in the write queue, so that a reload opens the lesson as it was.
  setUi(patch) {
    this.ui = { ...this.ui, ...patch };
    this.paint();
    const snapshot = this.ui;
    this.enqueue(() => db.setMeta(uiKey(this.observation), snapshot));
  }

  // Every change goes through the queue, in tap order; a failure is shown, never swallowed.
  enqueue(job) {
    this.queue = this.queue.then(job).then(() => status.saved(), (error) => {
      console.error("coulisse: saving failed", error);
      this.alertBox.textContent = _("Opslaan op deze tablet is mislukt. Exporteer je werk als " +
                                    "bestand (bovenaan) en probeer het opnieuw.");
      this.alertBox.hidden = false;
    });
    return this.queue;
  }

  togglePause() {
    const { ui } = this;
    if (ui.paused) {
      this.setUi({ paused: false, paused_at: null,
                   pauses: [...ui.pauses, { from: ui.paused_at, to: new Date().toISOString() }] });
    } else {
      this.setUi({ paused: true, paused_at: new Date().toISOString() });
    }
  }

  // The moment exists on screen at once (it is the "last moment" from the tap on, so a note
  // typed right after a tap goes with it); it is saved in its turn in the queue.
  tap(code, button) {
    if (this.ui.paused) return;
    if (this.explaining) {
      this.explain(code);
      return;
    }
    const offset = Date.now() - this.started;  // the moment is when the finger came down
    this.codes.flash(code, button);
    const pendingNote = this.note.changed();
    const moment = { id: crypto.randomUUID(), observation_id: this.observation.id, code: code.key,
                     offset_ms: offset, phase: this.ui.phase, zone: null, note: "",
                     note_shareable: false };
    this.moments.add(moment);
    this.paint();
    this.enqueue(async () => {
      if (pendingNote) await this.saveNote(pendingNote);
      try {
        this.replace(moment.id, await db.addMoment(moment));
      } catch (error) {
        this.moments.remove(moment.id);
        this.paint();
        throw error;
      }
    });
  }

  async explain(code) {
    if (!(await explainCode(this.book, code))) return;
    this.explaining = false;
    this.paint();
    this.tap(code, this.codes.first(code.key));
  }

  // A tap, a blur and a button can each ask to save the same note: the job looks at the
  // moment as it is by then, and does nothing when the note is already saved.
  async saveNote({ id, text }) {
    const moment = this.moments.current(id);
    if (!moment || (moment.note ?? "") === text) return;
    const changes = { note: text };
    if ((await suspectNames(text, this.staff)).length) changes.note_shareable = false;
    this.replace(moment.id, await db.editMoment(moment.id, changes));
  }

  commitNote() {
    const pendingNote = this.note.changed();
    if (!pendingNote) return this.queue;
    return this.enqueue(async () => { await this.saveNote(pendingNote); this.paint(); });
  }

  // Zone and undo act on the moment shown as the last one when they are tapped; their turn
  // in the queue comes after that moment's own save.
  setZone(zone) {
    const target = this.moments.last;
    if (!target) return;
    this.enqueue(async () => {
      const moment = this.moments.current(target.id);
      if (!moment) return;
      this.replace(moment.id, await db.editMoment(moment.id,
                                                  { zone: moment.zone === zone ? null : zone }));
      this.paint();
    });
  }

  undo() {
    const target = this.moments.last;
    if (!target) return;
    this.moments.remove(target.id);
    this.paint();
    this.enqueue(async () => {
      await db.deleteMoment(this.moments.resolve(target.id));
    });
  }

  replace(oldId, updated) {
    this.moments.replace(oldId, updated);
    this.note.replaced(oldId, updated);
  }

  finish() {
    return endLesson({ observation: this.observation, end: this.end,
                       settle: async () => { await this.commitNote(); await this.queue; },
                       stop: () => this.clock.stop() });
  }
}
