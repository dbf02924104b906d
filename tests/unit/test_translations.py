"""Every user-facing string has its Vietnamese translation, and placeholders survive translation."""

from __future__ import annotations

import re

from app.i18n_tools import load, missing

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_every_string_has_a_vietnamese_translation() -> None:
    gaps = missing("vi")
    assert gaps == [], f"{len(gaps)} strings lack Vietnamese (run `make i18n` and translate): {gaps[:20]}"


def test_translations_keep_their_placeholders() -> None:
    for locale in ("vi", "en"):
        for message in load(locale):
            if not message.id or not message.string or not isinstance(message.id, str):
                continue
            assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(str(message.string))), (
                locale,
                message.id,
            )
