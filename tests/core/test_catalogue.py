"""The English catalogue is complete and the compiled .mo matches the .po."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def test_every_string_has_an_english_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    missing = [e.msgid for e in po.untranslated_entries() + po.fuzzy_entries()]
    assert missing == [], "translate these in locale/en/LC_MESSAGES/django.po"


def test_the_compiled_catalogue_is_up_to_date():
    po = {
        e.msgid: e.msgstr or e.msgstr_plural.get(0) for e in polib.pofile(str(LOCALE / "django.po")) if not e.obsolete
    }
    mo = {e.msgid: e.msgstr or e.msgstr_plural.get(0) for e in polib.mofile(str(LOCALE / "django.mo"))}
    po.pop("", None)
    mo.pop("", None)
    assert po == mo, "run: msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po"
