// Before the lesson: whom you observe, the group and subject, the focus codes agreed with
// the teacher and an optional interval cue; "Start les" starts the clock. Also lists the
// lessons on this tablet that are still running or still need finishing.

import * as db from "./db.js";
import { _ } from "./i18n.js";
import { KIND_MARKS } from "./school.js";
import { clear, dayOf, h, timeOfDay } from "./ui.js";

const CUES = [0, 2, 5, 10];
const MAX_FOCUS = 8;

export async function render(root, { context, book, open, start }) {
  const mine = (await db.allObservations())
    .filter((o) => !o.deleted && o.observer_id === context.me.id && o.status !== "ready")
    .sort((a, b) => b.started_at.localeCompare(a.started_at));
  const teacherName = (id) =>
    context.teachers.find((t) => t.id === id)?.name ?? _("Onbekende docent");

  const focus = new Set();
  const error = h("p", { class: "rec-error", role: "alert", hidden: true });
  const count = h("span", { class: "rec-count" }, _("{n} gekozen", { n: 0 }));

  const chips = book.byFamily.map(({ family, codes }) =>
    h("fieldset", { class: "rec-focus-family", style: `--family:${family.colour}` },
      h("legend", {}, family.label),
      codes.map((code) => {
        const chip = h("button", {
          type: "button", class: "rec-chip-toggle", "aria-pressed": "false",
          "data-focus": code.key, title: code.description,
          onclick: () => {
            const on = !focus.has(code.key);
            if (on && focus.size >= MAX_FOCUS) {
              showError(_("Kies hoogstens {n} focuscodes; de hele kijkwijzer blijft " +
                          "tijdens de les één tik verder.", { n: MAX_FOCUS }));
              return;
            }
            showError("");
            if (on) focus.add(code.key); else focus.delete(code.key);
            chip.setAttribute("aria-pressed", String(on));
            count.textContent = _("{n} gekozen", { n: focus.size });
          },
        }, h("span", { class: "rec-kind", "aria-hidden": "true" }, KIND_MARKS[code.kind]),
           code.label);
        return chip;
      })));

  const previous = await db.getMeta("setup", {});
  const groups = [...new Set(mine.map((o) => o.group_label).filter(Boolean))];
  const subjects = [...new Set(mine.map((o) => o.subject).filter(Boolean))];
  const form = h("form", { class: "rec-setup", novalidate: true },
    h("h1", {}, _("Les opnemen")),
    h("div", { class: "rec-fields" },
      h("label", { for: "teacher" }, _("Geobserveerde docent")),
      h("select", { id: "teacher", name: "teacher", required: true },
        h("option", { value: "" }, _("Kies een docent…")),
        context.teachers.map((t) => h("option", { value: t.id }, t.name))),
      h("label", { for: "group" }, _("Groep")),
      h("input", { id: "group", name: "group", maxlength: 40, list: "groups",
                   placeholder: _("bijvoorbeeld 2B havo"), autocomplete: "off",
                   value: previous.group ?? "" }),
      h("datalist", { id: "groups" }, groups.map((g) => h("option", { value: g }))),
      h("label", { for: "subject" }, _("Vak")),
      h("input", { id: "subject", name: "subject", maxlength: 60, list: "subjects",
                   placeholder: _("bijvoorbeeld Engels"), autocomplete: "off",
                   value: previous.subject ?? "" }),
      h("datalist", { id: "subjects" }, subjects.map((s) => h("option", { value: s }))),
      h("span", { id: "cue-label", class: "rec-label" }, _("Signaal voor intervallen")),
      h("div", { class: "rec-segmented", role: "radiogroup", "aria-labelledby": "cue-label" },
        CUES.map((minutes) => h("label", { class: "rec-radio" },
          h("input", { type: "radio", name: "cue", value: minutes,
                       checked: (previous.cue ?? 0) === minutes }),
          h("span", {}, minutes ? _("elke {n} min", { n: minutes }) : _("uit")))))),
    h("section", { class: "rec-focus", "aria-labelledby": "focus-title" },
      h("h2", { id: "focus-title" }, `${_("Focuscodes")} `, count),
      h("p", { class: "rec-hint" },
        _("Kies met de docent een paar codes om op te letten. Ze staan tijdens de les " +
          "vooraan; de hele kijkwijzer blijft één tik verder. ● signaal, + productieve " +
          "reflex, − improductieve reflex.")),
      h("div", { class: "rec-focus-grid" }, chips)),
    error,
    h("div", { class: "rec-actions" },
      h("button", { type: "submit", class: "button primary large", "data-action": "start" },
        _("Start les"))));

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const teacher = form.teacher.value;
    if (!teacher) {
      showError(_("Kies eerst de docent van wie je de les observeert."));
      form.teacher.focus();
      return;
    }
    const cue = Number(form.cue.value || 0);
    const group = form.group.value.trim();
    const subject = form.subject.value.trim();
    await db.setMeta("setup", { group, subject, cue });
    start({ teacher, group, subject, focus: [...focus], cue });
  });

  const list = mine.length === 0 ? null : h("section", { class: "rec-list",
                                                          "aria-labelledby": "list-title" },
    h("h2", { id: "list-title" }, _("Op deze tablet")),
    h("ul", {}, mine.map((o) => h("li", {},
      h("span", {},
        h("strong", {}, teacherName(o.observed_teacher_id)),
        ` · ${[o.group_label, o.subject].filter(Boolean).join(" · ")}`,
        h("br"),
        h("span", { class: "rec-muted" },
          `${dayOf(o.started_at)} ${timeOfDay(o.started_at)} · `,
          o.status === "in_progress" ? _("les loopt") : _("nog afronden"))),
      h("button", { type: "button", class: "button secondary",
                    onclick: () => open(o.id) },
        o.status === "in_progress" ? _("Verder opnemen") : _("Afronden"))))));

  clear(root, list, form);
}
