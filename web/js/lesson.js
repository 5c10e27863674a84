// During the lesson: one big button per code; one tap is one time-stamped moment. The phase
// of the lesson is a state; a zone and a note go on the last moment; undo takes the last
// moment back. Everything is saved on the tablet before the screen says so.
//
// Offsets are wall-clock time since "Start les", taken at the tap (not when the write ends),
// so a moment keeps its place in the lesson through pauses and reloads. Writes go through
// one queue: fast taps all count and are saved in the order they were made.

import * as db from "./db.js";
import { suspectNames, warningText } from "./names.js";
import { KIND_LABELS, KIND_MARKS } from "./school.js";
import * as status from "./status.js";
import { ask, clear, clock, h } from "./ui.js";

const ZONES = [["groen", "Groen"], ["oranje", "Oranje"], ["rood", "Rood"]];

export async function render(root, { context, book, observation, end }) {
  const started = Date.parse(observation.started_at);
  const uiKey = `lesson:${observation.id}`;
  let ui = { phase: observation.phases[0], paused: false, paused_at: null, pauses: [], cue: 0,
             view: observation.focus_codes.length ? "focus" : "all",
             ...(await db.getMeta(uiKey, {})) };
  let moments = await db.momentsOf(observation.id);
  let last = moments.at(-1) ?? null;
  let queue = Promise.resolve();
  let explain = false;
  const teacher = context.teachers.find((t) => t.id === observation.observed_teacher_id);
  const staff = context.teachers.map((t) => t.name).concat(context.me.name);

  // The lesson's screen state (phase, pause, view) shows at once and is kept on the tablet
  // in its turn in the write queue, so that a reload opens the lesson as it was.
  const setUi = (patch) => {
    ui = { ...ui, ...patch };
    paint();
    const snapshot = ui;
    enqueue(() => db.setMeta(uiKey, snapshot));
  };

  // Every change goes through the queue, in tap order; a failure is shown, never swallowed.
  function enqueue(job) {
    queue = queue.then(job).then(() => status.saved(), (error) => {
      console.error("coulisse: saving failed", error);
      alertBox.textContent = "Opslaan op deze tablet is mislukt. Exporteer je werk als bestand " +
        "(bovenaan) en probeer het opnieuw.";
      alertBox.hidden = false;
    });
    return queue;
  }

  // --- the clock, pause and the interval cue ---------------------------------------------

  const clockEl = h("span", { class: "rec-clock", "aria-label": "Lestijd", role: "timer" });
  const cueEl = h("span", { class: "rec-cue", "aria-live": "polite" });
  let cueIndex = null;
  function tick() {
    const elapsed = Date.now() - started;
    const text = clock(elapsed);
    if (clockEl.textContent !== text) clockEl.textContent = text;
    if (!ui.cue) return;
    // Intervals that pass during a pause (or before a reload) go by without a cue.
    const index = Math.floor(elapsed / (ui.cue * 60000));
    if (cueIndex !== null && index > cueIndex && !ui.paused) {
      cueEl.textContent = `Interval ${index}: codeer wat je nu ziet`;
      root.classList.add("rec-cueing");
      navigator.vibrate?.(150);
      setTimeout(() => { root.classList.remove("rec-cueing"); cueEl.textContent = ""; }, 4000);
    }
    cueIndex = index;
  }
  const timer = setInterval(tick, 250);
  tick();

  const pauseButton = h("button", { type: "button", class: "button secondary",
                                    "data-action": "pause", onclick: togglePause });
  function togglePause() {
    if (ui.paused) {
      setUi({ paused: false, paused_at: null,
              pauses: [...ui.pauses, { from: ui.paused_at, to: new Date().toISOString() }] });
    } else {
      setUi({ paused: true, paused_at: new Date().toISOString() });
    }
  }

  // --- phases ------------------------------------------------------------------------------

  const phaseButtons = observation.phases.map((phase) =>
    h("button", { type: "button", class: "rec-phase", "data-phase": phase,
                  onclick: () => setUi({ phase }) }, phase));

  // --- codes -------------------------------------------------------------------------------

  const familyColour = (code) => book.families.get(code.family)?.colour ?? "#555";
  const buttons = new Map();
  function codeButton(code) {
    const family = book.families.get(code.family);
    const badge = h("span", { class: "rec-badge", "aria-hidden": "true" });
    // A long compound word gets a slightly smaller font rather than a break in mid-word.
    const long = code.label.split(/\s+/u).some((word) => word.length >= 15);
    const button = h("button", {
      type: "button", class: long ? "rec-code rec-code-long" : "rec-code", "data-code": code.key,
      style: `--family:${family.colour}`, title: code.description,
      "aria-label": `${code.label} (${family.label}, ${KIND_LABELS[code.kind]})`,
      onclick: () => tap(code, button),
    }, h("span", { class: "rec-code-label" },
         h("span", { class: "rec-kind", "aria-hidden": "true" }, KIND_MARKS[code.kind]),
         code.label), badge);
    if (!buttons.has(code.key)) buttons.set(code.key, []);
    buttons.get(code.key).push({ button, badge });
    return button;
  }

  const focusCodes = observation.focus_codes.map((k) => book.codes.get(k)).filter(Boolean);
  const focusGrid = h("div", { class: "rec-grid rec-grid-focus", "data-view": "focus" },
    focusCodes.map(codeButton));
  const allGrid = h("div", { class: "rec-grid rec-grid-all", "data-view": "all" },
    book.byFamily.map(({ family, codes }) =>
      h("section", { class: "rec-family", style: `--family:${family.colour}`,
                     "aria-label": family.label },
        h("h2", { class: "rec-family-title" }, family.label),
        codes.map(codeButton))));

  // The moment exists on screen at once (it is the "last moment" from the tap on, so a note
  // typed right after a tap goes with it); it is saved in its turn in the queue.
  function tap(code, button) {
    if (ui.paused) return;
    if (explain) {
      explainCode(code);
      return;
    }
    const offset = Date.now() - started;  // the moment is when the finger came down
    // A flash that costs no layout (a class toggle would need a forced reflow to restart).
    button.animate?.([{ boxShadow: `0 0 0 4px ${familyColour(code)}` },
                      { boxShadow: "0 0 0 0 transparent" }], { duration: 350, easing: "ease-out" });
    const pendingNote = noteChanged();
    const moment = { id: crypto.randomUUID(), observation_id: observation.id, code: code.key,
                     offset_ms: offset, phase: ui.phase, zone: null, note: "",
                     note_shareable: false };
    moments.push(moment);
    last = moment;
    paint();
    enqueue(async () => {
      if (pendingNote) await saveNote(pendingNote);
      try {
        replace(moment.id, await db.addMoment(moment));
      } catch (error) {
        moments = moments.filter((m) => m.id !== moment.id);
        if (last?.id === moment.id) last = moments.at(-1) ?? null;
        paint();
        throw error;
      }
    });
  }

  async function explainCode(code) {
    const family = book.families.get(code.family);
    const choice = await ask({
      title: code.label,
      text: `${family.label} · ${KIND_LABELS[code.kind]}. ${code.description}`,
      choices: [{ label: "Sluiten", value: null },
                { label: "Moment noteren", value: "tap", kind: "primary" }],
    });
    if (choice === "tap") {
      explain = false;
      paint();
      tap(code, buttons.get(code.key)[0].button);
    }
  }

  // --- the last moment: zone, note, undo --------------------------------------------------

  const lastTitle = h("p", { class: "rec-last-title" });
  const lastHelp = h("p", { class: "rec-last-help" });
  const zoneButtons = ZONES.map(([zone, label]) =>
    h("button", { type: "button", class: `rec-zone rec-zone-${zone}`, "data-zone": zone,
                  onclick: () => setZone(zone) }, label));
  const noteField = h("textarea", { id: "note", rows: 2, maxlength: 2000,
                                    placeholder: "Wat zag of hoorde je? Geen namen van leerlingen." });
  const noteWarning = h("p", { class: "rec-warning", hidden: true });
  const noteButton = h("button", { type: "button", class: "button secondary",
                                   "data-action": "save-note", onclick: () => commitNote() },
                       "Notitie bewaren");
  const undoButton = h("button", { type: "button", class: "button secondary",
                                   "data-action": "undo", onclick: undo }, "Ongedaan maken");
  let noteFor = null;  // the moment the note field belongs to

  function noteChanged() {
    if (!noteFor) return null;
    const text = noteField.value.trim();
    return text === (noteFor.note ?? "") ? null : { id: noteFor.id, text };
  }

  // A tap, a blur and a button can each ask to save the same note: the job looks at the
  // moment as it is by then, and does nothing when the note is already saved.
  async function saveNote({ id, text }) {
    const moment = current(id);
    if (!moment || (moment.note ?? "") === text) return;
    const changes = { note: text };
    if ((await suspectNames(text, staff)).length) changes.note_shareable = false;
    replace(moment.id, await db.editMoment(moment.id, changes));
  }

  function commitNote() {
    const pendingNote = noteChanged();
    if (!pendingNote) return queue;
    return enqueue(async () => { await saveNote(pendingNote); paint(); });
  }

  // Zone and undo act on the moment shown as the last one when they are tapped; their turn
  // in the queue comes after that moment's own save.
  function setZone(zone) {
    if (!last) return;
    const target = last;
    enqueue(async () => {
      const moment = current(target.id);
      if (!moment) return;
      replace(moment.id, await db.editMoment(moment.id,
                                             { zone: moment.zone === zone ? null : zone }));
      paint();
    });
  }

  function undo() {
    if (!last) return;
    const target = last;
    moments = moments.filter((m) => m.id !== target.id);
    last = moments.at(-1) ?? null;
    paint();
    enqueue(async () => {
      await db.deleteMoment(resolve(target.id));
    });
  }

  // A change to a moment the server already has gives it a new id; jobs queued before
  // that still name the old one.
  const replacedBy = new Map();
  function resolve(id) {
    while (replacedBy.has(id)) id = replacedBy.get(id);
    return id;
  }

  function current(id) {
    const now = resolve(id);
    return moments.find((m) => m.id === now) ?? null;
  }

  function replace(oldId, updated) {
    if (updated.id !== oldId) replacedBy.set(oldId, updated.id);
    moments = moments.map((m) => (m.id === oldId ? updated : m));
    if (last?.id === oldId) last = updated;
    if (noteFor?.id === oldId) noteFor = updated;
  }

  noteField.addEventListener("input", async () => {
    const names = await suspectNames(noteField.value, staff);
    noteWarning.hidden = names.length === 0;
    noteWarning.textContent = names.length ? warningText(names, { short: true }) : "";
  });
  noteField.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      commitNote();
    }
  });
  noteField.addEventListener("blur", () => commitNote());

  // --- ending ------------------------------------------------------------------------------

  async function finish() {
    const choice = await ask({
      title: "Les beëindigen?",
      text: "Daarna kun je de momenten nakijken en een samenvatting schrijven.",
      choices: [{ label: "Doorgaan met opnemen", value: false },
                { label: "Les beëindigen", value: true, kind: "primary" }],
    });
    if (!choice) return;
    await commitNote();
    await queue;
    clearInterval(timer);
    await db.putObservation({ id: observation.id, ended_at: new Date().toISOString(),
                              status: "ended" });
    status.saved();
    end(observation.id);
  }

  // --- layout --------------------------------------------------------------------------------

  const viewFocus = h("button", { type: "button", class: "rec-tab", "data-action": "view-focus",
                                  onclick: () => setUi({ view: "focus" }) },
                      `Focus (${focusCodes.length})`);
  const viewAll = h("button", { type: "button", class: "rec-tab", "data-action": "view-all",
                                onclick: () => setUi({ view: "all" }) },
                    "Alle codes");
  const explainButton = h("button", { type: "button", class: "rec-tab", "data-action": "explain",
                                      title: "Tik daarna op een code om te lezen wat ermee bedoeld wordt",
                                      onclick: () => { explain = !explain; paint(); } },
                          "Uitleg");
  const pausedNote = h("p", { class: "rec-paused", role: "status" });
  const alertBox = h("p", { class: "rec-error", role: "alert", hidden: true });

  const lesson = h("div", { class: "rec-lesson" },
    h("div", { class: "rec-lessonbar" },
      h("div", { class: "rec-who" },
        clockEl,
        h("span", { class: "rec-what" },
          h("strong", {}, teacher?.name ?? "Docent"),
          h("span", {}, [observation.group_label, observation.subject].filter(Boolean)
            .join(" · ")),
          ui.cue ? h("span", { class: "rec-muted" }, `signaal elke ${ui.cue} min`) : null,
          cueEl)),
      h("div", { class: "rec-phases", role: "group", "aria-label": "Lesfase" }, phaseButtons)),
    h("div", { class: "rec-tabs" },
      focusCodes.length ? viewFocus : null, viewAll, explainButton,
      h("div", { class: "rec-lesson-actions" },
        pauseButton,
        h("button", { type: "button", class: "button primary", "data-action": "end",
                      onclick: finish }, "Les beëindigen"))),
    alertBox,
    h("div", { class: "rec-body" },
      h("div", { class: "rec-codes" }, pausedNote, focusGrid, allGrid),
      h("aside", { class: "rec-last", "aria-label": "Laatste moment" },
        lastTitle,
        h("div", { class: "rec-zones", role: "group", "aria-label": "Zone van het laatste moment" },
          zoneButtons),
        h("label", { for: "note", class: "rec-label" }, "Notitie bij het laatste moment"),
        noteField, noteWarning,
        h("div", { class: "rec-last-actions" }, noteButton, undoButton),
        lastHelp)));

  function paint() {
    const showFocus = ui.view === "focus" && focusCodes.length > 0;
    focusGrid.hidden = !showFocus;
    allGrid.hidden = showFocus;
    viewFocus.setAttribute("aria-pressed", String(showFocus));
    viewAll.setAttribute("aria-pressed", String(!showFocus));
    explainButton.setAttribute("aria-pressed", String(explain));
    lesson.classList.toggle("rec-explaining", explain);
    for (const b of phaseButtons) b.setAttribute("aria-pressed", String(b.dataset.phase === ui.phase));
    pauseButton.textContent = ui.paused ? "Hervatten" : "Pauzeren";
    lesson.classList.toggle("rec-is-paused", ui.paused);
    pausedNote.textContent = ui.paused
      ? "Gepauzeerd. Tik op ‘Hervatten’ om verder te coderen; de lestijd loopt door." : "";
    pausedNote.hidden = !ui.paused;

    const counts = new Map();
    for (const m of moments) counts.set(m.code, (counts.get(m.code) ?? 0) + 1);
    // Only what changed is touched: paint runs on every tap.
    for (const [key, list] of buttons) {
      const text = counts.get(key) ? String(counts.get(key)) : "";
      for (const { button, badge } of list) {
        if (badge.textContent !== text) badge.textContent = text;
        if (button.disabled !== ui.paused) button.disabled = ui.paused;
      }
    }

    const code = last ? book.codes.get(last.code) : null;
    if (last && code) {
      const family = book.families.get(code.family);
      lastTitle.replaceChildren(
        h("span", { class: "rec-time" }, clock(last.offset_ms)), " ",
        h("span", { class: "rec-dot", style: `--family:${family.colour}` }), " ",
        h("strong", {}, code.label), last.phase ? ` · ${last.phase}` : "");
      lastHelp.textContent = code.description;
    } else {
      lastTitle.textContent = "Nog geen momenten";
      lastHelp.textContent = "Tik op een code om een moment vast te leggen. Een zone en een " +
        "notitie komen bij het laatste moment.";
    }
    for (const b of zoneButtons) {
      b.setAttribute("aria-pressed", String(Boolean(last) && last.zone === b.dataset.zone));
      b.disabled = !last;
    }
    undoButton.disabled = !last;
    noteField.disabled = !last;
    noteButton.disabled = !last;
    if (noteFor?.id !== last?.id || (last && document.activeElement !== noteField)) {
      noteFor = last;
      const text = last?.note ?? "";
      if (noteField.value !== text) {
        noteField.value = text;
        noteField.dispatchEvent(new Event("input"));
      }
    }
  }

  paint();
  clear(root, lesson);
  document.body.classList.add("rec-in-lesson");
  return () => {
    clearInterval(timer);
    document.body.classList.remove("rec-in-lesson");
  };
}
