"""The Vietnamese banks that take VietQR transfers, by their 6-digit NAPAS BIN (app/data/vn_banks_napas.csv).

Static reference data, read once into memory: every worker has the same list, and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

CSV_NAME = "vn_banks_napas.csv"


@dataclass(frozen=True)
class Bank:
    bin: str  # 6 digits
    name: str  # full name
    short_name: str  # as the bank brands itself: "Vietcombank", "MB"

    @property
    def label(self) -> str:
        """ "MB — Military Commercial Joint Stock Bank", for a picker."""
        return f"{self.short_name} — {self.name}"


@cache
def _load() -> tuple[tuple[Bank, ...], dict[str, Bank]]:
    # importlib.resources rather than __file__ so this also works from an installed wheel.
    text = files("app").joinpath("data").joinpath(CSV_NAME).read_text(encoding="utf-8-sig")
    found: dict[str, Bank] = {}
    for row in csv.DictReader(io.StringIO(text)):
        clean = {key: unicodedata.normalize("NFC", (value or "").strip()) for key, value in row.items()}
        bank_bin = clean.get("bin", "")
        if len(bank_bin) != 6 or not bank_bin.isdigit():
            raise ValueError(f"{CSV_NAME}: bad BIN {bank_bin!r}")
        if bank_bin in found:
            raise ValueError(f"{CSV_NAME}: BIN {bank_bin} appears twice")
        found[bank_bin] = Bank(
            bin=bank_bin, name=clean["name"], short_name=clean["short_name"] or clean["name"]
        )
    ordered = tuple(sorted(found.values(), key=lambda b: (b.short_name.casefold(), b.bin)))
    return ordered, found


def banks() -> list[Bank]:
    """Every bank, by short name."""
    return list(_load()[0])


def bank(bin: str) -> Bank | None:
    """The bank with this BIN, or None."""
    return _load()[1].get(bin.strip()) if isinstance(bin, str) else None
