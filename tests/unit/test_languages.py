"""The public's language: negotiated from the request, and a catalogue with every word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from registry.api.i18n import LOCALE_DIR, Words, accepted, marks

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("", "id"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("en;q=0.5, id;q=0.6", "id"),
        ("fr-FR, en;q=0.1", "en"),
        ("fr-FR", "id"),
        ("en;q=0, id;q=0.1", "id"),
        ("en;q=abc, id;q=0.2", "id"),
        ("EN-gb", "en"),
    ],
)
def test_the_language_is_the_best_accepted_of_ours_else_indonesian(
    header: str, language: str
) -> None:
    assert accepted(header) == language


def test_every_word_the_pages_show_has_its_indonesian_translation() -> None:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=marks()
        )
        if isinstance(message, str)
    }
    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = {m.id: m for m in read_po(source) if m.id}

    missing = sorted(found - set(catalogue))
    untranslated = sorted(k for k, m in catalogue.items() if not m.string or m.fuzzy)
    unused = sorted(set(catalogue) - found)

    assert (missing, untranslated, unused) == ([], [], [])
    assert len(found) > 100


def test_dates_have_indonesian_month_names_and_times_are_in_wib() -> None:
    words = Words("id", "Asia/Jakarta")

    assert words.day("2025-08-17") == "17 Agustus 2025"
    assert words.moment("2026-12-01T20:30:00+00:00") == "2 Desember 2026 03.30 WIB"
    assert words.word("status", "terminated") == "diputus"
    assert Words("en", "Asia/Jakarta").moment("2026-12-01T20:30:00+00:00") == (
        "2 December 2026 03:30 WIB"
    )


def test_no_template_writes_a_word_by_hand_outside_the_catalogue() -> None:
    """Text between the tags is only expressions: every word goes through _() or the record."""
    by_hand = {}
    for template in sorted((ROOT / "registry/api/templates").rglob("*.html")):
        source = template.read_text(encoding="utf-8")
        for pattern in (r"<style>.*?</style>", r"\{#.*?#\}", r"\{%.*?%\}", r"\{\{.*?\}\}",
                        r"<[^>]*>", r"&\w+;", r'[\w-]+="[^"]*"'):  # fmt: skip
            source = re.sub(pattern, " ", source, flags=re.DOTALL)
        words = set(re.findall(r"[A-Za-z]{2,}", source)) - {"JSON", "CSV", "API"}
        if words:
            by_hand[template.relative_to(ROOT).as_posix()] = sorted(words)

    assert by_hand == {}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_focus_outline_stands_out_from_the_page_and_no_date_uses_the_browsers_picker() -> None:
    """WCAG 1.4.11: a focus indicator needs 3:1 against what surrounds it (white here)."""
    base = (ROOT / "registry/api/templates/base.html").read_text(encoding="utf-8")
    outline = re.search(r"outline: 3px solid (#[0-9a-f]{6})", base)
    assert outline
    lighter, darker = 1.0, _luminance(outline.group(1))
    pages = "".join(p.read_text() for p in (ROOT / "registry/api/templates").rglob("*.html"))

    assert (lighter + 0.05) / (darker + 0.05) >= 3
    assert 'type="date"' not in pages
    assert 'type="datetime-local"' not in pages
