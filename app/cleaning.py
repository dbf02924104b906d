"""Reading raw form or JSON input in the services: one way to take a text field (with its error) and one
way to take a whole number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.i18n import gettext as _


def text_field(
    raw: Mapping[str, Any], key: str, limit: int, errors: dict[str, str], *, required: bool = False
) -> str:
    """`raw[key]` stripped; what is wrong with it (not text, too long, missing) goes into `errors[key]`."""
    value = raw.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[key] = _("At most %(limit)d characters.", limit=limit)
    elif required and not value:
        errors[key] = _("This field is required.")
    return value


def whole_number(value: Any, *, digits: int = 9) -> int | None:
    """A positive whole number, given as an int or written in ASCII digits (at most `digits` of them, so a
    number too large for the database never reaches it); None for anything else: a bool, a sign, a
    decimal point, other scripts' digits, a blank. The caller says what is wrong in its own words."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**digits else None
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= digits):
        return None
    number = int(text)
    return number if number > 0 else None
