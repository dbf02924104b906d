"""Vietnam's administrative units after the July 2025 reform, plus the pre-2025 provinces.

Pure lookups over the CSV files in ``app/data``: no database, no web. Each CSV is read once
(``functools.cache``) and the results are immutable, so the module is safe to share between
requests and workers.

Two schemes exist side by side because OCOP certificates issued before July 2025 name one of the
63 old provinces, while everything new names one of the 34 current ones. ``resolve_province`` maps
either onto a current province so imports and search boxes accept both.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

LEGACY_SCHEME = "legacy-1991"
CURRENT_SCHEME = "2025"

_PROVINCE_PREFIXES = ("Tỉnh ", "Thành phố ")

# Folded word sequences that may open a province name typed by a person. "t p" is what "T.P." becomes
# once punctuation turns into spaces.
_PROVINCE_PREFIX_WORDS: tuple[tuple[str, ...], ...] = (("thanh", "pho"), ("tinh",), ("tp",), ("t", "p"))

# Current-province aliases, keyed like _province_key (folded, no prefix, no spaces).
_CURRENT_ALIASES: dict[str, int] = {
    "hcm": 79,
    "tphcm": 79,  # typed without a space, so the "tp" prefix is not split off
    "saigon": 79,
}

# Old names that are missing from vn_legacy_provinces.csv: the file already uses "Thành phố Huế"
# (renamed in January 2025), but certificates from before then say "Tỉnh Thừa Thiên Huế".
_LEGACY_ALIASES: dict[str, tuple[str, int]] = {
    "thuathienhue": ("Tỉnh Thừa Thiên Huế", 46),
}

# Folded word sequences that may open a ward name, with the division type they stand for.
_WARD_PREFIX_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("phuong",), "phường"),
    (("p",), "phường"),
    (("xa",), "xã"),
    (("x",), "xã"),
    (("dac", "khu"), "đặc khu"),
)

# Apostrophes are dropped rather than spaced so that "Ea H'Leo", "Ea HLeo" and the codename agree.
_APOSTROPHES = re.compile(r"['’‘`]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Province:
    code: int
    name: str
    short_name: str
    division_type: str
    codename: str


@dataclass(frozen=True, slots=True)
class Ward:
    code: int
    name: str
    division_type: str
    codename: str
    province_code: int


@dataclass(frozen=True, slots=True)
class ResolvedProvince:
    """A current province found from some text; ``legacy_name`` is the old name when one was mapped."""

    province: Province
    legacy_name: str | None


def fold(text: str) -> str:
    """Lowercase, drop Vietnamese diacritics and collapse whitespace: "  Đồng  Nai " -> "dong nai"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # đ is a letter of its own, not d plus a mark, so NFD leaves it alone.
    return " ".join(bare.replace("đ", "d").split())


# --- loading -------------------------------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    # importlib.resources rather than __file__ so this also works from an installed wheel.
    text = files("app").joinpath("data").joinpath(name).read_text(encoding="utf-8-sig")
    return [
        {key: unicodedata.normalize("NFC", value.strip()) for key, value in row.items()}
        for row in csv.DictReader(text.splitlines())
    ]


def _strip_prefix(name: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _ward_name(name: str, division_type: str) -> str:
    # The source has at least one lowercase prefix ("xã Bắc Sơn"); show it like all the others.
    if name.lower().startswith(division_type + " "):
        return division_type.capitalize() + name[len(division_type) :]
    return name


@cache
def _provinces_by_code() -> dict[int, Province]:
    result: dict[int, Province] = {}
    for row in _read_csv("vn_provinces_2025.csv"):
        code = int(row["code"])
        result[code] = Province(
            code=code,
            name=row["name"],
            short_name=_strip_prefix(row["name"], _PROVINCE_PREFIXES),
            division_type=row["division_type"],
            codename=row["codename"],
        )
    return result


@cache
def _sorted_provinces() -> tuple[Province, ...]:
    return tuple(sorted(_provinces_by_code().values(), key=lambda p: (fold(p.short_name), p.code)))


@cache
def _wards_by_code() -> dict[int, Ward]:
    result: dict[int, Ward] = {}
    for row in _read_csv("vn_wards_2025.csv"):
        code = int(row["code"])
        result[code] = Ward(
            code=code,
            name=_ward_name(row["name"], row["division_type"]),
            division_type=row["division_type"],
            codename=row["codename"],
            province_code=int(row["province_code"]),
        )
    return result


@cache
def _wards_by_province() -> dict[int, tuple[Ward, ...]]:
    grouped: dict[int, list[Ward]] = {}
    for w in _wards_by_code().values():
        grouped.setdefault(w.province_code, []).append(w)
    return {code: tuple(sorted(ws, key=lambda w: (fold(w.name), w.code))) for code, ws in grouped.items()}


@cache
def _legacy() -> tuple[tuple[int, str, tuple[int, ...]], ...]:
    rows = []
    for row in _read_csv("vn_legacy_provinces.csv"):
        # The file separates several new codes with a space ("80 82"); accept ; and | as well.
        codes = tuple(int(part) for part in re.split(r"[\s;|]+", row["new_province_codes"]) if part)
        rows.append((int(row["legacy_code"]), row["legacy_name"], codes))
    return tuple(rows)


# --- provinces -----------------------------------------------------------------------------------


def _successor(legacy_code: int, codes: tuple[int, ...]) -> int:
    """The current province a legacy one mainly went into. A merged province took the code of the old
    province whose capital became its capital (Long An's 80 for Tây Ninh, Tiền Giang's 82 for Đồng
    Tháp), so the current province with the legacy province's own code is where its capital, and all
    or most of it, went; else the first listed."""
    return legacy_code if legacy_code in codes else codes[0]


def provinces() -> list[Province]:
    """The 34 current provinces, sorted by their name without diacritics or prefix."""
    return list(_sorted_provinces())


def province(code: int) -> Province | None:
    return _provinces_by_code().get(code)


def legacy_provinces() -> list[tuple[int, str, tuple[int, ...]]]:
    """The 63 pre-2025 provinces as (legacy_code, legacy_name, current province codes), in file order.

    Legacy codes are a separate numbering: the same number often names a different current province
    (legacy 24 is Bắc Giang, current 24 is Bắc Ninh), so never mix the two.
    """
    return list(_legacy())


def _words(text: str) -> list[str]:
    return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text)).split()


def _drop_prefix(words: list[str], prefixes: tuple[tuple[str, ...], ...]) -> list[str]:
    for prefix in prefixes:
        if tuple(words[: len(prefix)]) == prefix:
            return words[len(prefix) :]
    return words


def _province_key(text: str) -> str:
    # Spaces are removed too, so "Hanoi", "Ha Noi" and "ha_noi" all meet.
    return "".join(_drop_prefix(_words(fold(text)), _PROVINCE_PREFIX_WORDS))


@cache
def _province_index() -> dict[str, ResolvedProvince]:
    by_code = _provinces_by_code()
    index: dict[str, ResolvedProvince] = {}
    for legacy_code, legacy_name, codes in _legacy():
        index[_province_key(legacy_name)] = ResolvedProvince(
            by_code[_successor(legacy_code, codes)], legacy_name
        )
    for key, (legacy_name, code) in _LEGACY_ALIASES.items():
        index[key] = ResolvedProvince(by_code[code], legacy_name)
    # Written after the legacy names so that a name used before and after 2025 means the current one.
    for p in by_code.values():
        index[_province_key(p.name)] = ResolvedProvince(p, None)
    for key, code in _CURRENT_ALIASES.items():
        index[key] = ResolvedProvince(by_code[code], None)
    return index


def resolve_province(text: str) -> ResolvedProvince | None:
    """Find the current province meant by ``text``, or None.

    Accepts a current name with or without its prefix, in any case, with or without diacritics
    ("TP. HCM", "Tỉnh Vĩnh Long", "ha noi"), a current province code as digits ("79"), or a
    pre-2025 name ("Bến Tre"), which comes back mapped with ``legacy_name`` set to its full old name.
    When a name exists in both schemes the current province wins and ``legacy_name`` is None.

    A legacy province listed in several current ones (the data lists Tiền Giang as "80 82") maps to
    its main successor (`_successor`): a free-text name cannot tell which part was meant, and a single
    answer keeps imports deterministic (the importer settles it by the ward when it has one). Digits
    are never read as legacy codes, which reuse the same numbers for different provinces.
    """
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit():
        found = province(int(stripped))
        return ResolvedProvince(found, None) if found else None
    return _province_index().get(_province_key(stripped))


# --- wards ---------------------------------------------------------------------------------------


def ward(code: int) -> Ward | None:
    return _wards_by_code().get(code)


def wards_of(province_code: int) -> list[Ward]:
    """The wards, communes and special zones of a current province, sorted by folded full name."""
    return list(_wards_by_province().get(province_code, ()))


def ward_in_province(ward_code: int, province_code: int) -> bool:
    found = ward(ward_code)
    return found is not None and found.province_code == province_code


def _bare_ward_name(w: Ward) -> str:
    return w.name[len(w.division_type) :].strip()


def _ward_readings(words: list[str]) -> list[tuple[str | None, str]]:
    """Ways to read typed words as (division type or None, bare name).

    The unprefixed reading is always kept because real names start with prefix-like words
    ("Xã Xà Phiên", "Phường Phương Liệt").
    """
    readings: list[tuple[str | None, str]] = [(None, " ".join(words))]
    for prefix, division_type in _WARD_PREFIX_WORDS:
        n = len(prefix)
        if len(words) > n and tuple(fold(word) for word in words[:n]) == prefix:
            readings.append((division_type, " ".join(words[n:])))
    return readings


def _ward_key(value: str, folded: bool) -> list[str]:
    return _words(fold(value) if folded else unicodedata.normalize("NFC", value).lower())


def _match_wards(candidates: list[Ward], text: str, folded: bool) -> set[Ward]:
    matches: set[Ward] = set()
    for division_type, bare in _ward_readings(_ward_key(text, folded)):
        matches.update(
            w
            for w in candidates
            if " ".join(_ward_key(_bare_ward_name(w), folded)) == bare
            and division_type in (None, w.division_type)
        )
    return matches


def resolve_ward(text: str, province_code: int) -> Ward | None:
    """Find a ward of ``province_code`` by code (digits) or name, with or without prefix, or None.

    Names are compared with diacritics first, then folded. Folding makes some names collide
    ("Tân Thành"/"Tân Thạnh" in Tây Ninh, "Phường Mỹ Tho"/"Xã Mỹ Thọ" in Đồng Tháp); a folded
    query that still fits more than one ward returns None rather than guessing.
    """
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit():
        found = ward(int(stripped))
        return found if found is not None and found.province_code == province_code else None
    candidates = wards_of(province_code)
    for folded in (False, True):
        matches = _match_wards(candidates, stripped, folded)
        if matches:
            return matches.pop() if len(matches) == 1 else None
    return None
