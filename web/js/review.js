// After the lesson: the timeline of moments coloured by family, each moment open to
// correction (code, phase, zone, note, shareable) or deletion, the observer's summary, and
// "klaar voor de docent". Works offline like the rest of the recorder.

import * as db from "./db.js";
import { _ } from "./i18n.js";
import { suspectNames, warningText } from "./names.js";
import { KIND_MARKS } from "./school.js";
import * as status from "./status.js";
import { ask, clear, clock, dayOf, h, timeOfDay } from "./ui.js";

const ZONE_LABELS = { groen: _("groen"), oranje: _("oranje"), rood: _("rood") };

export async function render(root, { context, book, observationId, home }) {
  const staff = context.teachers.map((t) => t.name).concat(context.me.name);
  let observation = await db.getObservation(observationId);
  let moments = await db.momentsOf(observationId);
  let editing = null;
  const teacher = context.teachers.find((t) => t.id === observation.observed_teacher_id);
  const duration = Math.max(
    1, (observation.ended_at ? Date.parse(observation.ended_at) : Date.now()) -
       Date.parse(observation.started_at),
    ...moments.map((m) => m.offset_ms + 1));

  const timeline = h("div", { class: "rec-timeline", role: "img" });
  const legend = h("ul", { class: "rec-legend" });
  const list = h("ol", { class: "rec-moments" });
  const summary = h("textarea", { id: "summary", rows: 5, maxlength: 4000 });
  const summaryWarning = h("p", { class: "rec-warning", hidden: true });
  const summaryState = h("span", { class: "rec-muted", role: "status" });
  const readyBox = h("div", { class: "rec-ready" });

  const family = (m) => book.families.get(book.codes.get(m.code)?.family);

  function paintTimeline() {
    const counts = new Map();
    clear(timeline, moments.map((m) => {
      const f = family(m);
      counts.set(f?.key, (counts.get(f?.key) ?? 0) + 1);
      return h("a", { class: "rec-mark", href: `#moment-${m.id}`,
                      style: `left:${(100 * m.offset_ms) / duration}%;--family:${f?.colour ?? "#555"}`,
                      title: `${clock(m.offset_ms)} ${book.codes.get(m.code)?.label ?? m.code}`,
                      "aria-hidden": "true", tabindex: "-1" });
    }));
    const parts = book.byFamily.map(({ family: f }) => `${f.label}: ${counts.get(f.key) ?? 0}`);
    timeline.setAttribute("aria-label", _("Tijdlijn van {n} momenten over {duration}. {parts}.",
                                          { n: moments.length, duration: clock(duration),
                                            parts: parts.join(", ") }));
    clear(legend, book.byFamily.map(({ family: f }) =>
      h("li", {}, h("span", { class: "rec-dot", style: `--family:${f.colour}` }),
        ` ${f.label} `, h("strong", {}, String(counts.get(f.key) ?? 0)))));
  }

  function momentRow(m) {
    const code = book.codes.get(m.code);
    const f = family(m);
    const row = h("li", { id: `moment-${m.id}`, class: "rec-moment", "data-moment": m.id,
                          style: `--family:${f?.colour ?? "#555"}` },
      h("span", { class: "rec-time" }, clock(m.offset_ms)),
      h("span", { class: "rec-moment-what" },
        h("strong", {}, code ? [h("span", { class: "rec-kind", "aria-hidden": "true" },
                                    KIND_MARKS[code.kind]), " ", code.label] : m.code),
        h("span", { class: "rec-muted" },
          [f?.label, m.phase, m.zone ? _("zone {zone}", { zone: ZONE_LABELS[m.zone] }) : null]
            .filter(Boolean).join(" · ")),
        m.note ? h("span", { class: "rec-note" }, m.note,
                   m.note_shareable ? h("span", { class: "rec-tag" }, _("deelbaar")) : null)
               : null,
        named.get(m.id)?.length
          ? h("span", { class: "rec-warning", "data-warning": "names" },
              _("Lijkt een naam te bevatten ({list}): pas de notitie aan.",
                { list: named.get(m.id).join(", ") }))
          : null),
      h("button", { type: "button", class: "button secondary small", "data-action": "edit",
                    onclick: () => { editing = m.id; paintList(); } }, _("Wijzigen")));
    return editing === m.id ? editor(m) : row;
  }

  function editor(m) {
    const codeSelect = h("select", { id: "edit-code", name: "code" },
      book.byFamily.map(({ family: f, codes }) => h("optgroup", { label: f.label },
        codes.map((c) => h("option", { value: c.key, selected: c.key === m.code }, c.label)))));
    if (!book.codes.get(m.code)) codeSelect.prepend(h("option", { value: m.code, selected: true },
                                                      m.code));
    const phaseSelect = h("select", { id: "edit-phase", name: "phase" },
      observation.phases.map((p) => h("option", { value: p, selected: p === m.phase }, p)));
    const note = h("textarea", { id: "edit-note", name: "note", rows: 3, maxlength: 2000 },
                   m.note ?? "");
    const warning = h("p", { class: "rec-warning", hidden: true });
    const shareable = h("input", { type: "checkbox", id: "edit-shareable", name: "shareable",
                                   checked: Boolean(m.note_shareable) });
    const checkNames = async () => {
      const names = await suspectNames(note.value, staff);
      warning.hidden = names.length === 0;
      warning.textContent = names.length ? warningText(names) : "";
      shareable.disabled = names.length > 0 || !note.value.trim();
      if (shareable.disabled) shareable.checked = false;
    };
    note.addEventListener("input", checkNames);
    checkNames();
    const form = h("form", { class: "rec-editor", id: `moment-${m.id}`, "data-moment": m.id,
                             "aria-label": _("Moment op {time} wijzigen",
                                             { time: clock(m.offset_ms) }) },
      h("p", { class: "rec-time" }, clock(m.offset_ms)),
      h("label", { for: "edit-code" }, _("Code")), codeSelect,
      h("label", { for: "edit-phase" }, _("Lesfase")), phaseSelect,
      h("fieldset", { class: "rec-segmented" }, h("legend", {}, _("Zone")),
        [["", _("geen")], ...Object.entries(ZONE_LABELS)].map(
          ([value, label]) => h("label", { class: "rec-radio" },
            h("input", { type: "radio", name: "zone", value, checked: (m.zone ?? "") === value }),
            h("span", {}, label)))),
      h("label", { for: "edit-note" }, _("Notitie")), note, warning,
      h("label", { class: "rec-check" }, shareable,
        ` ${_("Deelbaar als voorbeeld in de coulissen-ruimte (zonder namen)")}`),
      h("div", { class: "rec-actions" },
        h("button", { type: "submit", class: "button primary", "data-action": "save-moment" },
          _("Bewaren")),
        h("button", { type: "button", class: "button secondary",
                      onclick: () => { editing = null; paintList(); } }, _("Annuleren")),
        h("button", { type: "button", class: "button danger", "data-action": "delete-moment",
                      onclick: () => remove(m) }, _("Verwijderen"))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const names = await suspectNames(note.value, staff);
      const updated = await db.editMoment(m.id, {
        code: codeSelect.value, phase: phaseSelect.value,
        zone: form.zone.value || null, note: note.value.trim(),
        note_shareable: shareable.checked && names.length === 0 && Boolean(note.value.trim()),
      });
      moments = moments.map((x) => (x.id === m.id ? updated : x));
      editing = null;
      status.saved();
      paintAll();
      document.getElementById(`moment-${updated.id}`)?.querySelector("button")?.focus();
    });
    queueMicrotask(() => codeSelect.focus());
    return form;
  }

  async function remove(m) {
    const sure = await ask({ title: _("Moment verwijderen?"),
                             text: `${clock(m.offset_ms)} ${book.codes.get(m.code)?.label ?? m.code}`,
                             choices: [{ label: _("Annuleren"), value: false },
                                       { label: _("Verwijderen"), value: true,
                                         kind: "danger" }] });
    if (!sure) return;
    await db.deleteMoment(m.id);
    moments = moments.filter((x) => x.id !== m.id);
    editing = null;
    status.saved();
    paintAll();
  }

  let named = new Map();  // moment id -> words in its note that look like names
  async function paintList() {
    named = new Map(await Promise.all(moments.filter((m) => m.note)
      .map(async (m) => [m.id, await suspectNames(m.note, staff)])));
    clear(list, moments.length ? moments.map(momentRow)
                               : h("li", { class: "rec-muted" }, _("Geen momenten vastgelegd.")));
  }

  async function saveSummary() {
    const text = summary.value.trim();
    if (text === (observation.summary ?? "")) return;
    observation = await db.putObservation({ id: observation.id, summary: text });
    status.saved();
    summaryState.textContent = _("Bewaard {time}", { time: timeOfDay(new Date().toISOString()) });
  }

  async function checkSummary() {
    const names = await suspectNames(summary.value, staff);
    summaryWarning.hidden = names.length === 0;
    summaryWarning.textContent = names.length ? warningText(names) : "";
  }
  summary.value = observation.summary ?? "";
  summary.addEventListener("input", () => { summaryState.textContent = ""; checkSummary(); });
  summary.addEventListener("blur", saveSummary);
  checkSummary();

  function paintReady() {
    if (observation.status === "ready") {
      clear(readyBox, h("p", { class: "rec-ok", "data-status": "ready" },
        _("Klaar voor de docent. De docent ziet de observatie na de synchronisatie en kan " +
          "erop reflecteren.")));
      return;
    }
    clear(readyBox,
      h("p", {}, _("Als je klaar bent, zet je de observatie klaar voor de docent. Je kunt " +
                   "daarna nog momenten en de samenvatting aanpassen.")),
      h("button", { type: "button", class: "button primary large", "data-action": "ready",
                    onclick: async () => {
                      await saveSummary();
                      observation = await db.putObservation({ id: observation.id,
                                                              status: "ready" });
                      status.saved();
                      paintReady();
                    } }, _("Klaar voor de docent")));
  }

  function paintAll() {
    paintTimeline();
    paintList();
  }

  const when = `${dayOf(observation.started_at)}, ${timeOfDay(observation.started_at)}` +
    (observation.ended_at ? `–${timeOfDay(observation.ended_at)}` : "");
  clear(root, h("div", { class: "rec-review" },
    h("p", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); home(); } },
                  _("← Terug naar les opnemen"))),
    h("h1", {}, _("Nabespreken")),
    h("p", { class: "rec-muted" },
      h("strong", {}, teacher?.name ?? _("Docent")), " · ",
      [observation.group_label, observation.subject].filter(Boolean).join(" · "),
      ` · ${when}`),
    h("section", { "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, _("Tijdlijn ({n} momenten)", { n: moments.length })),
      timeline, legend),
    h("section", { "aria-labelledby": "moments-title" },
      h("h2", { id: "moments-title" }, _("Momenten")),
      h("p", { class: "rec-hint" }, _("Pas een code, fase, zone of notitie aan, of verwijder " +
                                      "een moment dat niet klopt.")),
      list),
    h("section", { "aria-labelledby": "summary-title", class: "rec-summary" },
      h("h2", { id: "summary-title" }, h("label", { for: "summary" }, _("Samenvatting"))),
      h("p", { class: "rec-hint" }, _("Welke mechanismen zag je, en wat viel op? Beschrijf " +
        "gedrag, geen oordeel over de docent en geen namen van leerlingen.")),
      summary, summaryWarning,
      h("div", { class: "rec-actions" },
        h("button", { type: "button", class: "button secondary", "data-action": "save-summary",
                      onclick: saveSummary }, _("Samenvatting bewaren")),
        summaryState)),
    readyBox));
  paintAll();
  paintReady();
}
