"""Forms of the payments pages.

Form fields are strings with defaults, so that a missing or odd value reaches the service, which answers
with a message next to the field (never a framework 400).
"""

from __future__ import annotations

import msgspec


class BankAccountForm(msgspec.Struct):
    bank_bin: str = ""
    account_no: str = ""
    account_name: str = ""
