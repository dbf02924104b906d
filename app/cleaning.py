"""Reading raw form or JSON input in the services: one way to take a text field, with its error."""

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
