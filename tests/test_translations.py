"""Both catalogues carry every message of the code and templates, with the same placeholders."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-k", "ngettext:1,2", "-k", "pgettext:1c,2", "-k", "lazy_pgettext:1c,2",
         "-k", "_lp:1c,2", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(pot, "rb") as handle:
        return {key_of(message) for message in read_po(handle) if message.id}


def key_of(message) -> tuple[str | None, str]:
    """A message is known by its context (pgettext's, or none) and its id."""
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


@pytest.mark.parametrize("language", ["fa", "en"])
def test_every_message_is_translated(extracted, language):
    with open(ROOT / f"eventapp/translations/{language}/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {}
    for message in catalogue:
        if not message.id or "fuzzy" in message.flags:
            continue
        key = key_of(message)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated[key] = strings
    missing = sorted(extracted - set(translated))
    assert missing == [], f"untranslated in {language}: {missing}"
    for key, strings in translated.items():
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(key[1])), key


def test_persian_uses_persian_letters():
    text = (ROOT / "eventapp/translations/fa/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert "ي" not in text and "ك" not in text
