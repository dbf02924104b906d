"""Payment rules. Pure: no database, no web.

`clean_bank_account` checks the account a VietQR code pays into, as forms and the API send it. Like the
catalog's `clean_*` it returns the cleaned values and a map of field → message; the service raises when
that map is not empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.i18n import gettext as _
from app.payments import banks
from app.payments.vietqr import ascii_fold

ACCOUNT_NO_MIN = 6
ACCOUNT_NO_MAX = 19
ACCOUNT_NAME_MAX = 50
# People copy account numbers with the groups their bank prints: "0071 0012 3456", "0071-001-23456".
_ACCOUNT_SEPARATORS = re.compile(r"[\s.\-]+")
_NOT_NAME = re.compile(r"[^A-Z0-9 ]+")


@dataclass(frozen=True)
class BankAccountFields:
    bank_bin: str
    account_no: str
    account_name: str  # upper-case ASCII, as the bank holds it


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    """The value as text; None for a value of the wrong type (a list, a number with decimals…)."""
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip()


def holder_name(text: str) -> str:
    """An account holder's name as banks hold it: upper-case ASCII letters, digits and single spaces.
    "Hợp tác xã Dừa Đồng Khởi" → "HOP TAC XA DUA DONG KHOI"."""
    return " ".join(_NOT_NAME.sub(" ", ascii_fold(text).upper()).split())


def clean_bank_account(raw: Mapping[str, Any]) -> tuple[BankAccountFields | None, dict[str, str]]:
    errors: dict[str, str] = {}

    bank_bin = _text(raw, "bank_bin")
    if bank_bin == "":
        errors["bank_bin"] = _("Choose your bank.")
    elif bank_bin is None or banks.bank(bank_bin) is None:
        errors["bank_bin"] = _("Choose your bank from the list.")

    typed_no = _text(raw, "account_no")
    account_no = _ACCOUNT_SEPARATORS.sub("", typed_no or "")
    if typed_no == "" or (typed_no is not None and not account_no):
        errors["account_no"] = _("Enter the account number.")
    elif typed_no is None or not (account_no.isascii() and account_no.isdigit()):
        errors["account_no"] = _("An account number has digits only, without letters or signs.")
    elif not ACCOUNT_NO_MIN <= len(account_no) <= ACCOUNT_NO_MAX:
        errors["account_no"] = _(
            "An account number has %(min)d to %(max)d digits; this one has %(count)d.",
            min=ACCOUNT_NO_MIN,
            max=ACCOUNT_NO_MAX,
            count=len(account_no),
        )

    typed_name = _text(raw, "account_name")
    account_name = holder_name(typed_name or "")
    if typed_name == "":
        errors["account_name"] = _("Enter the account holder's name as the bank shows it.")
    elif not account_name:
        errors["account_name"] = _("Write the account holder's name in letters, as the bank shows it.")
    elif len(account_name) > ACCOUNT_NAME_MAX:
        errors["account_name"] = _("At most %(limit)d characters.", limit=ACCOUNT_NAME_MAX)

    if errors or bank_bin is None:
        return None, errors
    return BankAccountFields(bank_bin=bank_bin, account_no=account_no, account_name=account_name), errors
