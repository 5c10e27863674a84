"""The pupil-name rule: the server's copy flags what the recorder's flags, on the same list, so
that a note the tablet warned about can never be shown in the coulissen-ruimte."""

import pytest
from playwright.sync_api import Browser

from app.names import looks_like_a_name, suspect_names

SENTENCES = {
    "Leerling legt de regel uit aan de klas.": [],
    "Mohammed legt de regel uit.": ["Mohammed"],
    "Daarna gaf Sanne het antwoord.": ["Sanne"],
    "Groepje bij het raam werkt door; Emma en Noah niet.": ["Emma", "Noah"],
    "Na de uitleg in het Engels, op Magister gezet.": [],
    "HAVO-klas, bij CKV: iedereen doet mee.": [],
    "Opdracht 3b: iedereen doet mee.": [],
    "Wacht rustig. Daarna beurt aan achterin.": [],
    "“Wij kunnen dit samen,” zegt een leerling.": [],
    "Op dinsdag in Amsterdam: iedereen had zin.": [],
    "Een jongen achterin, Kevin, haakt af.": ["Kevin"],
    "Iemand zegt dat Bobbel boos is.": ["Bobbel"],
    "": [],
}


@pytest.mark.parametrize(("text", "expected"), list(SENTENCES.items()))
def test_the_rule_flags_names_and_leaves_descriptions(text: str, expected: list[str]) -> None:
    assert suspect_names(text) == expected
    assert looks_like_a_name(text) is bool(expected)


@pytest.mark.browser
def test_the_server_and_the_recorder_flag_the_same_words(
    browser: Browser, live_server: str
) -> None:
    page = browser.new_page()
    page.goto(f"{live_server}/offline")
    found = page.evaluate(
        """async (texts) => {
            const { suspectNames } = await import("/static/js/names.js");
            const out = {};
            for (const t of texts) out[t] = await suspectNames(t);
            return out;
        }""",
        list(SENTENCES),
    )
    page.close()
    assert found == {text: suspect_names(text) for text in SENTENCES}
