"""Does a note look like it names a pupil? The server's copy of the recorder's rule
(``web/js/names.js``); both read their word lists from one file (``web/js/voornamen.json``).

On the tablet the rule is a warning while writing; here it is a filter: a note it flags never
reaches the coulissen-ruimte, even when the observer marked it shareable (it may have been
marked on an older tablet, or through the API). Both signs are cheap and imperfect on purpose,
erring towards one note too many left out:

- a word that is a common pupil's first name, written with a capital;
- a capitalised word in the middle of a sentence that Dutch does not capitalise anyway
  (languages, places, days, months, apps), and that is not an abbreviation.
"""

import json
import re
from functools import lru_cache

from app.settings import get_settings

WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-])*")  # letters, as the recorder's \p{L}
SENTENCE_END = re.compile(r"[.!?:\n•]$")
OPENERS = " \t\"“‘'([-"


@lru_cache
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    """The first names, and the words Dutch capitalises anyway: one file for both sides."""
    path = get_settings().web_dir / "js" / "voornamen.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(body["names"]), frozenset(body["always_capitalised"])


def _starts_sentence(text: str, index: int) -> bool:
    before = text[:index].rstrip(OPENERS)
    return before == "" or bool(SENTENCE_END.search(before))


def suspect_names(text: str) -> list[str]:
    """The words that make the text look like it names someone, in order, each once."""
    names, always_capitalised = _lists()
    found: list[str] = []
    for match in WORD.finditer(text or ""):
        word = match.group(0).rstrip("'’-")
        if not word or word[0] == word[0].lower():
            continue  # no capital
        if len(word) > 1 and word == word.upper():
            continue  # HAVO, CKV, TS
        lower = word.lower()
        if lower in always_capitalised:
            continue
        if (lower in names or not _starts_sentence(text, match.start())) and word not in found:
            found.append(word)
    return found


def looks_like_a_name(text: str) -> bool:
    return bool(suspect_names(text))
