"""Locale selection, gettext for Python and Jinja, and locale-aware formatting filters.

Catalogs live in app/translations/<locale>/LC_MESSAGES/messages.po and are compiled in memory at start,
so no build step is needed. The active locale is a context variable set per request by LocaleMiddleware.
"""

from __future__ import annotations

import datetime as dt
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

from app.money import format_vnd

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> Translations:
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> Any:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def reset_locale(token: Any) -> None:
    _current.reset(token)


def gettext(message: str, **variables: Any) -> str:
    text = translations(get_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def template_ngettext(singular: str, plural: str, n: int) -> str:
    """For Jinja's newstyle `ngettext`: the chosen form unformatted, since Jinja fills in `num` and every
    other variable itself (formatting here would fail on any placeholder but `num`)."""
    return str(translations(get_locale()).ungettext(singular, plural, n))


_ = gettext


def lazy_gettext(message: str) -> Any:
    """For module-level labels: translated when shown, in the locale of that moment."""
    return LazyProxy(gettext, message, enable_cache=False)


def negotiate(accept_language: str | None) -> str | None:
    if not accept_language:
        return None
    preferred = []
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            preferred.append(tag)
    found = negotiate_locale(preferred, list(LOCALES), sep="_")
    if found:
        return found
    for tag in preferred:  # `en_GB` → `en`
        base = tag.split("_")[0].lower()
        if base in LOCALES:
            return base
    return None


def choose_locale(user_locale: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The user's saved choice, then the cookie, then the browser's Accept-Language, then Vietnamese."""
    for candidate in (user_locale, cookie):
        if candidate in LOCALES:
            return candidate
    return negotiate(accept_language) or DEFAULT_LOCALE


# --- formatting (used as Jinja filters and in Python) ---


def money(amount: int | None) -> str:
    if amount is None:
        return ""
    return format_vnd(int(amount), get_locale())


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def to_local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(VN_TZ)


def datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def number(value: int | float | None) -> str:
    if value is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=get_locale())


def locale_display_name(code: str) -> str:
    return LOCALE_NAMES.get(code) or Locale.parse(code).display_name or code


def localized(obj: Any, field: str) -> str:
    """`obj.name_en` on English pages when filled, else `obj.name_vi`."""
    if get_locale() == "en":
        value = getattr(obj, f"{field}_en", "") or ""
        if value:
            return str(value)
    return str(getattr(obj, f"{field}_vi", "") or "")
