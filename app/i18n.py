"""One translation layer for every text a person reads.

Source strings are Dutch, the language of the schools; ``_()`` looks them up in the catalog of
the active language and falls back to the Dutch text. A catalog is a JSON file in
``app/locale/<lang>.json`` mapping the Dutch source text to its translation, so English can
follow without touching templates or code.
"""

import json
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

SOURCE_LANGUAGE = "nl"
LOCALE_DIR = Path(__file__).parent / "locale"
language: ContextVar[str] = ContextVar("language", default=SOURCE_LANGUAGE)


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / f"{lang}.json"
    if lang == SOURCE_LANGUAGE or not path.exists():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _(text: str, **values: Any) -> str:
    translated = catalog(language.get()).get(text, text)
    return translated.format(**values) if values else translated


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    return _(singular if n == 1 else plural, n=n, **values)
