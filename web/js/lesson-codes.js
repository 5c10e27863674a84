// The code buttons, in two views: the focus codes and the whole book. A focus code has a
// button in each; both count its moments on a badge.

import { _ } from "./i18n.js";
import { KIND_LABELS, KIND_MARKS } from "./school.js";
import { ask, h } from "./ui.js";

export function codeButtons({ book, observation, onTap }) {
  const buttons = new Map();  // code key -> [{ button, badge }]
  const button = (code) => codeButton(book, code, onTap, buttons);
  const focusCodes = observation.focus_codes.map((k) => book.codes.get(k)).filter(Boolean);
  const focusGrid = h("div", { class: "rec-grid rec-grid-focus", "data-view": "focus" },
    focusCodes.map(button));
  const allGrid = h("div", { class: "rec-grid rec-grid-all", "data-view": "all" },
    book.byFamily.map(({ family, codes }) =>
      h("section", { class: "rec-family", style: `--family:${family.colour}`,
                     "aria-label": family.label },
        h("h2", { class: "rec-family-title" }, family.label),
        codes.map(button))));
  const pausedNote = h("p", { class: "rec-paused", role: "status" });

  function paint({ showFocus, paused, counts }) {
    focusGrid.hidden = !showFocus;
    allGrid.hidden = showFocus;
    pausedNote.textContent = paused
      ? _("Gepauzeerd. Tik op ‘Hervatten’ om verder te coderen; de lestijd loopt door.") : "";
    pausedNote.hidden = !paused;
    // Only what changed is touched: paint runs on every tap.
    for (const [key, list] of buttons) {
      const text = counts.get(key) ? String(counts.get(key)) : "";
      for (const { button, badge } of list) {
        if (badge.textContent !== text) badge.textContent = text;
        if (button.disabled !== paused) button.disabled = paused;
      }
    }
  }

  return { el: h("div", { class: "rec-codes" }, pausedNote, focusGrid, allGrid),
           focusCount: focusCodes.length, paint,
           first: (key) => buttons.get(key)[0].button,
           flash: (code, target) => flash(book, code, target) };
}

function codeButton(book, code, onTap, buttons) {
  const family = book.families.get(code.family);
  const badge = h("span", { class: "rec-badge", "aria-hidden": "true" });
  // A long compound word gets a slightly smaller font rather than a break in mid-word.
  const long = code.label.split(/\s+/u).some((word) => word.length >= 15);
  const button = h("button", {
    type: "button", class: long ? "rec-code rec-code-long" : "rec-code", "data-code": code.key,
    style: `--family:${family.colour}`, title: code.description,
    "aria-label": `${code.label} (${family.label}, ${KIND_LABELS[code.kind]})`,
    onclick: () => onTap(code, button),
  }, h("span", { class: "rec-code-label" },
       h("span", { class: "rec-kind", "aria-hidden": "true" }, KIND_MARKS[code.kind]),
       code.label), badge);
  if (!buttons.has(code.key)) buttons.set(code.key, []);
  buttons.get(code.key).push({ button, badge });
  return button;
}

// A flash that costs no layout (a class toggle would need a forced reflow to restart).
function flash(book, code, button) {
  const colour = book.families.get(code.family)?.colour ?? "#555";
  button.animate?.([{ boxShadow: `0 0 0 4px ${colour}` }, { boxShadow: "0 0 0 0 transparent" }],
                   { duration: 350, easing: "ease-out" });
}

// True when the person, having read what the code means, notes a moment of it.
export async function explainCode(book, code) {
  const family = book.families.get(code.family);
  const choice = await ask({
    title: code.label,
    text: `${family.label} · ${KIND_LABELS[code.kind]}. ${code.description}`,
    choices: [{ label: _("Sluiten"), value: null },
              { label: _("Moment noteren"), value: "tap", kind: "primary" }],
  });
  return choice === "tap";
}
