// The note on the last moment: the field follows the moment shown as the last one. A note that
// looks like it names a pupil gets a warning, never a block.

import { _ } from "./i18n.js";
import { suspectNames, warningText } from "./names.js";
import { h } from "./ui.js";

export function noteField({ staff, onCommit }) {
  const field = h("textarea", {
    id: "note", rows: 2, maxlength: 2000,
    placeholder: _("Wat zag of hoorde je? Geen namen van leerlingen."),
  });
  const warning = h("p", { class: "rec-warning", hidden: true });
  const button = h("button", { type: "button", class: "button secondary",
                               "data-action": "save-note", onclick: () => onCommit() },
                   _("Notitie bewaren"));
  let noteFor = null;  // the moment the field belongs to
  listen(field, warning, staff, onCommit);
  return {
    field, warning, button,
    // { id, text } to save, or null when the field holds what its moment has.
    changed() {
      if (!noteFor) return null;
      const text = field.value.trim();
      return text === (noteFor.note ?? "") ? null : { id: noteFor.id, text };
    },
    replaced(oldId, updated) {
      if (noteFor?.id === oldId) noteFor = updated;
    },
    paint(last) {
      field.disabled = !last;
      button.disabled = !last;
      if (noteFor?.id !== last?.id || (last && document.activeElement !== field)) {
        noteFor = last;
        const text = last?.note ?? "";
        if (field.value !== text) {
          field.value = text;
          field.dispatchEvent(new Event("input"));
        }
      }
    },
  };
}

// Saved on Enter and on leaving the field; checked for names as it is typed.
function listen(field, warning, staff, onCommit) {
  field.addEventListener("input", async () => {
    const names = await suspectNames(field.value, staff);
    warning.hidden = names.length === 0;
    warning.textContent = names.length ? warningText(names, { short: true }) : "";
  });
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      onCommit();
    }
  });
  field.addEventListener("blur", () => onCommit());
}
