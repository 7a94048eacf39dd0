"""The public pages speak Indonesian first: no word of the catalogue is left in English."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from registry.api.i18n import LOCALE_DIR
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def _english_sentences() -> list[str]:
    """The catalogue's English phrases (of several words) that differ from their Indonesian.

    Single words are left out: what officers recorded (names, reasons) is
    shown as recorded, and may well hold an English word.
    """
    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        messages = [m for m in read_po(source) if m.id and m.string != m.id]
    parts = [re.split(r"%\(\w+\)s", str(m.id)) for m in messages]
    return [p.strip() for pieces in parts for p in pieces if len(p.strip().split()) > 1]


@pytest.mark.parametrize("path", ["/", "/?as_of=2020-04-27", "/nope-not-a-page"])
def test_a_page_asked_for_in_indonesian_shows_no_english_phrase_of_the_catalogue(
    stack: Stack, path: str
) -> None:
    with stack.client(language="id-ID,id;q=0.9") as reader:
        shown = reader.get(path, headers={"Accept": "text/html"}).text

    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", shown, flags=re.DOTALL))
    assert '<html lang="id">' in shown
    assert [s for s in _english_sentences() if s in text] == []
