"""Vietnamese đồng: parse, format and Stripe amounts. VND has no minor unit, so money is an int of đồng.

Nothing else in the app parses or formats money.
"""

from __future__ import annotations

import re

from babel.numbers import format_currency

MAX_VND = 10**13  # ten thousand billion đồng: far above any price, and safe in a BIGINT


class MoneyError(ValueError):
    """A text that is not a whole, non-negative amount of đồng."""


_GROUPED = re.compile(r"^\d{1,3}([.,\s\u00a0]\d{3})+$")


def parse_vnd(text: str | int | None, *, allow_zero: bool = True) -> int:
    """Read an amount typed by a person: `1500000`, `1.500.000`, `1,500,000`, `1 500 000`, `1.500.000 ₫`.

    Decimals are refused (đồng has no fraction); so are negatives and amounts over MAX_VND.
    """
    if isinstance(text, bool):
        raise MoneyError("not a number")
    if isinstance(text, int):
        value = text
    else:
        raw = (text or "").strip().replace("₫", "").replace("đ", "").replace("VND", "").strip()
        if not raw:
            raise MoneyError("empty")
        if raw.startswith("-"):
            raise MoneyError("negative")
        if raw.isdigit():
            value = int(raw)
        elif _GROUPED.match(raw) and len({c for c in raw if not c.isdigit()}) == 1:
            value = int(re.sub(r"\D", "", raw))
        else:
            raise MoneyError("not a whole number of đồng")
    if value < 0:
        raise MoneyError("negative")
    if value == 0 and not allow_zero:
        raise MoneyError("zero")
    if value > MAX_VND:
        raise MoneyError("too large")
    return value


def format_vnd(amount: int, locale: str = "vi") -> str:
    """`1.500.000 ₫` in Vietnamese, `₫1,500,000` in English (Babel's CLDR data)."""
    return format_currency(amount, "VND", locale=locale, currency_digits=True).replace("\u00a0", " ")


def to_stripe_amount(amount_vnd: int) -> int:
    """Stripe treats VND as zero-decimal: the amount is whole đồng, never × 100."""
    return amount_vnd


def from_stripe_amount(amount: int) -> int:
    return amount
