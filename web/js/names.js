// A warning, never a block: does a note look like it names a pupil? Notes describe what
// happened and which mechanism was at work; a pupil's name has no place in them. The recorder
// never marks such a note shareable, so it cannot reach the coulissen-ruimte.
//
// Two signs, both cheap and both imperfect on purpose (better one warning too many):
//  - a word that is a common pupil's first name, written with a capital;
//  - a capitalised word in the middle of a sentence that is not a word Dutch capitalises
//    anyway (languages, subjects, days, months, places), not an abbreviation, and not the
//    name of a colleague (staff names are passed in as `allowed`).

import { _ } from "./i18n.js";

// The lists live in one file the server reads too (app/names.py), so both flag the same words.
let lists = null;

async function loadLists() {
  if (!lists) {
    lists = fetch("/static/js/voornamen.json")
      .then((response) => response.json())
      .then((body) => ({
        names: new Set(body.names),
        capitalised: new Set(body.always_capitalised),
      }))
      .catch(() => ({ names: new Set(), capitalised: new Set() }));
  }
  return lists;
}



const WORD = /[\p{L}][\p{L}'’-]*/gu;

// Where a sentence may start: the beginning, after . ! ? : or a line break, or after an
// opening quote or bracket that follows one of those.
function startsSentence(text, index) {
  const before = text.slice(0, index).replace(/[\s"“‘'(\[-]+$/u, "");
  return before === "" || /[.!?:\n•]$/u.test(before);
}

export async function suspectNames(text, allowed = []) {
  if (!text) return [];
  const { names, capitalised } = await loadLists();
  const allow = new Set(allowed.flatMap((n) => n.toLowerCase().split(/\s+/u)));
  const found = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0].replace(/['’-]+$/u, "");
    const first = word[0];
    if (first === first.toLowerCase()) continue;            // no capital
    if (word.length > 1 && word === word.toUpperCase()) continue;  // HAVO, CKV, TS
    const lower = word.toLowerCase();
    if (allow.has(lower) || capitalised.has(lower)) continue;
    if (names.has(lower) || !startsSentence(text, match.index)) found.push(word);
  }
  return [...new Set(found)];
}

export function warningText(words, { short = false } = {}) {
  const list = words.map((w) => `‘${w}’`).join(", ");
  if (short) {
    return _("Lijkt een naam te bevatten ({list}): schrijf zonder namen van leerlingen.", { list });
  }
  return _("Deze tekst lijkt een naam te bevatten ({list}). Beschrijf gedrag en mechanismen, " +
           "geen leerlingen bij naam. Zo'n notitie kan niet gedeeld worden in de " +
           "coulissen-ruimte.", { list });
}
