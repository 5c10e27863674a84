// The panel of the last moment: what and when, its zone, its note (lesson-note.js), undo.

import { _ } from "./i18n.js";
import { clock, h } from "./ui.js";

const ZONES = [["groen", _("Groen")], ["oranje", _("Oranje")], ["rood", _("Rood")]];

export function lastMoment({ book, note, onZone, onUndo }) {
  const title = h("p", { class: "rec-last-title" });
  const help = h("p", { class: "rec-last-help" });
  const zones = ZONES.map(([zone, label]) =>
    h("button", { type: "button", class: `rec-zone rec-zone-${zone}`, "data-zone": zone,
                  onclick: () => onZone(zone) }, label));
  const undo = h("button", { type: "button", class: "button secondary",
                             "data-action": "undo", onclick: () => onUndo() },
                 _("Ongedaan maken"));
  const el = h("aside", { class: "rec-last", "aria-label": _("Laatste moment") },
    title,
    h("div", { class: "rec-zones", role: "group", "aria-label": _("Zone van het laatste moment") },
      zones),
    h("label", { for: "note", class: "rec-label" }, _("Notitie bij het laatste moment")),
    note.field, note.warning,
    h("div", { class: "rec-last-actions" }, note.button, undo),
    help);

  function paint(last) {
    const code = last ? book.codes.get(last.code) : null;
    if (last && code) {
      const family = book.families.get(code.family);
      title.replaceChildren(
        h("span", { class: "rec-time" }, clock(last.offset_ms)), " ",
        h("span", { class: "rec-dot", style: `--family:${family.colour}` }), " ",
        h("strong", {}, code.label), last.phase ? ` · ${last.phase}` : "");
      help.textContent = code.description;
    } else {
      title.textContent = _("Nog geen momenten");
      help.textContent = _("Tik op een code om een moment vast te leggen. Een zone en een " +
                           "notitie komen bij het laatste moment.");
    }
    for (const b of zones) {
      b.setAttribute("aria-pressed", String(Boolean(last) && last.zone === b.dataset.zone));
      b.disabled = !last;
    }
    undo.disabled = !last;
  }

  return { el, paint };
}
