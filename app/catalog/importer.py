"""CSV import of OCOP producers and products: ``chophien import …`` and the upload page ``/manage/import``.

The file
--------
UTF-8 text, with or without the byte-order mark Excel writes ("CSV UTF-8"). The delimiter is a comma,
a semicolon (Excel in the Vietnamese locale) or a tab, found from the header row; an Excel ``sep=;``
first line is honoured. The first row names the columns, in any order and any case; optional columns
may be left out; unknown or repeated columns refuse the whole file. Blank rows are skipped. Line numbers
in messages are lines of the file as a text editor shows them: the header is line 1.

producers.csv (required: name, kind, province)
    name              producer name (at most 200 characters)
    kind              cooperative | enterprise | household | cooperative_group | other, or the Vietnamese
                      labels "Hợp tác xã", "Doanh nghiệp", "Hộ kinh doanh", "Tổ hợp tác", "Khác" (any case,
                      with or without diacritics; "HTX", "Công ty", "Cơ sở sản xuất" work too)
    registration_no   business registration number; unique among producers (optional)
    province          today's province ("Vĩnh Long", "Tỉnh Vĩnh Long", "TP.HCM"), a pre-July-2025 name
                      ("Bến Tre") mapped to today's province and reported as a notice, or a 2025 code ("86")
    ward              ward/commune of the 2025 list within that province, by name ("Giồng Trôm",
                      "Xã Giồng Trôm") or code ("28984") (optional)
    address           street, hamlet (optional)
    latitude          decimal degrees inside Vietnam, such as 10.15 (a decimal comma works); with longitude
    longitude         such as 106.50; give both or neither
    contact_name      contact person (optional)
    phone             such as 0912 345 678 (optional)
    email             (optional)
    description_vi    description in Vietnamese (optional)
    description_en    description in English (optional)

products.csv (required: producer, name_vi, price_vnd)
    producer          the producer's registration_no, or its exact name
    name_vi           product name in Vietnamese
    name_en           product name in English (optional)
    group             OCOP group of the current (2022) scheme: a code such as "1.3", or its Vietnamese or
                      English name ("Thực phẩm chế biến", "Processed food") (optional)
    stars             3, 4 or 5 ("4 sao" and "★★★★" work); empty when not rated
    certificate_no    certificate/decision number; required when rated
    certificate_level province | central, or "tỉnh" / "trung ương"; empty: central for 5★, else province
    certified_on      issue date, dd/mm/yyyy or yyyy-mm-dd; required when rated, not in the future
    expires_on        expiry date; empty: 36 months after issue
    price_vnd         price in whole đồng: 45000, 45.000 or 45,000 (no decimals, not negative)
    unit              such as "hộp 400 g" (optional)
    sku               letters, digits, . - _; unique per producer, in the file and in the database (optional)
    barcode           EAN-8/UPC-A/EAN-13/GTIN-14 with a valid check digit (optional)
    origin_vi, origin_en, ingredients_vi, ingredients_en, story_vi, story_en   free text (optional)

Every row is checked with the same rules as the forms (``rules.clean_producer`` / ``rules.clean_product``)
plus the lookups (province, ward, group, producer) and the uniqueness checks (registration number, SKU),
before anything is written. One bad row and nothing is imported: the report lists every error as
(line, column, reason in the user's language). When all rows are good they are created in the caller's
transaction through ``ProducerService.create`` / ``ProductService.create`` (audit entries, search text),
inside a savepoint, so a failure half-way (a concurrent import taking the same SKU) leaves nothing behind.

Permissions: ``actor=None`` is the operator (the CLI) and is not checked. Otherwise producers need an
administrator or organizer (new producers join the organizer's organization), and each product row's
producer must be one the actor may manage (``can_manage_producer``), else that row gets an error.

The parsing and row mapping (``decode``, ``sniff_delimiter``, ``parse``, ``map_producer_row``,
``map_product_row``) are pure and need no database.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization
from app.accounts.rules import CurrentUser, can_create_producer, can_manage_producer
from app.catalog import admin_units, rules
from app.catalog.models import Producer, Product
from app.catalog.services import GroupService, ProducerService, ProductService, today_vn
from app.errors import DomainError, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.i18n import lazy_gettext
from app.settings import BASE_DIR

MAX_ERRORS = 200
MAX_NOTICES = 200
MAX_ROWS = 20_000
_IN_CHUNK = 500  # values per SQL IN (...) list

ProgressCallback = Callable[[int, int], None]


class ImportKind(enum.StrEnum):
    PRODUCERS = "producers"
    PRODUCTS = "products"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: Any  # a lazily translated string: shown in the language of the page


PRODUCER_COLUMNS: tuple[Column, ...] = (
    Column("name", True, lazy_gettext("Name of the producer, such as HTX Dừa Giồng Trôm.")),
    Column(
        "kind",
        True,
        lazy_gettext(
            "cooperative, enterprise, household, cooperative_group or other; "
            "or Hợp tác xã, Doanh nghiệp, Hộ kinh doanh, Tổ hợp tác, Khác."
        ),
    ),
    Column(
        "registration_no", False, lazy_gettext("Business registration number; no two producers share one.")
    ),
    Column(
        "province",
        True,
        lazy_gettext(
            "Province: today's name, a name from before July 2025 (such as Bến Tre, mapped to today's "
            "province) or its code."
        ),
    ),
    Column(
        "ward", False, lazy_gettext("Ward or commune of the 2025 list in that province, by name or code.")
    ),
    Column("address", False, lazy_gettext("Street, hamlet or village.")),
    Column("latitude", False, lazy_gettext("Latitude, such as 10.15; give it with the longitude.")),
    Column("longitude", False, lazy_gettext("Longitude, such as 106.50.")),
    Column("contact_name", False, lazy_gettext("Contact person.")),
    Column("phone", False, lazy_gettext("Phone number, such as 0912 345 678.")),
    Column("email", False, lazy_gettext("Email address.")),
    Column("description_vi", False, lazy_gettext("Description in Vietnamese.")),
    Column("description_en", False, lazy_gettext("Description in English.")),
)

PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column("producer", True, lazy_gettext("The producer's registration number, or its exact name.")),
    Column("name_vi", True, lazy_gettext("Product name in Vietnamese.")),
    Column("name_en", False, lazy_gettext("Product name in English.")),
    Column(
        "group",
        False,
        lazy_gettext(
            "OCOP product group: a code such as 1.3, or its name (Thực phẩm chế biến, Processed food)."
        ),
    ),
    Column("stars", False, lazy_gettext("OCOP stars: 3, 4 or 5; empty when not rated.")),
    Column("certificate_no", False, lazy_gettext("Certificate number; needed when the product is rated.")),
    Column(
        "certificate_level",
        False,
        lazy_gettext("province or central (tỉnh, trung ương); empty: central for 5 stars, else province."),
    ),
    Column("certified_on", False, lazy_gettext("Issue date, such as 22/11/2025 or 2025-11-22.")),
    Column("expires_on", False, lazy_gettext("Expiry date; empty: 36 months after the issue date.")),
    Column("price_vnd", True, lazy_gettext("Price in whole đồng, such as 45000 or 45.000.")),
    Column("unit", False, lazy_gettext("Unit sold, such as hộp 400 g.")),
    Column(
        "sku", False, lazy_gettext("Your stock code: letters, digits, dots, dashes; unique per producer.")
    ),
    Column("barcode", False, lazy_gettext("EAN or GTIN barcode (8, 12, 13 or 14 digits).")),
    Column("origin_vi", False, lazy_gettext("Origin, in Vietnamese.")),
    Column("origin_en", False, lazy_gettext("Origin, in English.")),
    Column("ingredients_vi", False, lazy_gettext("Ingredients, in Vietnamese.")),
    Column("ingredients_en", False, lazy_gettext("Ingredients, in English.")),
    Column("story_vi", False, lazy_gettext("The product's story, in Vietnamese.")),
    Column("story_en", False, lazy_gettext("The product's story, in English.")),
)

COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.PRODUCERS: PRODUCER_COLUMNS,
    ImportKind.PRODUCTS: PRODUCT_COLUMNS,
}

# Service/rule field names that differ from the CSV column names.
_FIELD_TO_COLUMN = {
    "province_code": "province",
    "ward_code": "ward",
    "group_id": "group",
    "producer_id": "producer",
}


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: `line` of the file (the header is 1; None: the whole file), `column` (None: the row)."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """What an import did. `created` is 0 whenever `errors` is not empty: nothing was written.

    `errors` and `notices` are capped (MAX_ERRORS, MAX_NOTICES); `error_count` / `notice_count` are the
    totals found, so a page can say "and N more".
    """

    created: int
    errors: list[RowError]
    notices: list[str]
    total_rows: int
    kind: ImportKind = ImportKind.PRODUCTS
    error_count: int = 0
    notice_count: int = 0
    dry_run: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "error_count", max(self.error_count, len(self.errors)))
        object.__setattr__(self, "notice_count", max(self.notice_count, len(self.notices)))

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def more_errors(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def more_notices(self) -> int:
        return self.notice_count - len(self.notices)


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, header…). `message` is translated."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- reading the file (pure) -----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    line: int  # the file line the row starts on
    values: dict[str, str]  # column → stripped cell text ("" when empty or missing)


@dataclass(frozen=True)
class ParsedFile:
    kind: ImportKind
    delimiter: str
    columns: tuple[str, ...]  # the known columns present, in file order
    rows: list[CsvRow]
    errors: list[RowError]  # rows whose shape is wrong (more cells than the header)


_SAVE_AS_UTF8 = "“CSV UTF-8”"


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(2, len(sample) // 100)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without BOM, NFC-normalized. Raises ImportFileError."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This is an Excel workbook, not a CSV file. In Excel choose File → Save As → %(format)s "
                "and upload that file.",
                format=_SAVE_AS_UTF8,
            )
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            _("This file is UTF-16 text. Save it as %(format)s and upload it again.", format=_SAVE_AS_UTF8)
        )
    if _looks_binary(data):
        raise ImportFileError(
            _(
                "This is not a CSV text file. Export the sheet as %(format)s and upload that.",
                format=_SAVE_AS_UTF8,
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "The file is not UTF-8 text (first bad character on line %(line)d). Save it as %(format)s "
                "and upload it again.",
                line=line,
                format=_SAVE_AS_UTF8,
            ),
            line=line,
        ) from err
    # macOS and some editors write decomposed accents ("e" + combining mark): compare like the database does.
    return unicodedata.normalize("NFC", text)


_DELIMITERS = (",", ";", "\t")
_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever splits the header line most; a comma when none does."""
    for line in text.splitlines():
        if not line.strip():
            continue
        counts = {d: _count_outside_quotes(line, d) for d in _DELIMITERS}
        best = max(_DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier: the comma
        return best if counts[best] else ","
    return ","


def _column_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.replace("\ufeff", "").strip().lower())


def _expected_text(kind: ImportKind) -> str:
    columns = COLUMNS[kind]
    return _(
        "Expected columns: %(columns)s (required: %(required)s).",
        columns=", ".join(c.name for c in columns),
        required=", ".join(c.name for c in columns if c.required),
    )


def _check_header(kind: ImportKind, keys: list[str], raw: list[str], line: int) -> None:
    known = {c.name for c in COLUMNS[kind]}
    unknown = [h.strip() for h, k in zip(raw, keys, strict=True) if k and k not in known]
    seen: set[str] = set()
    repeated = []
    for key in keys:
        if key and key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in seen]
    if not (unknown or missing or repeated):
        return
    parts = [_("The header row (line %(line)d) does not fit this kind of file.", line=line)]
    if missing:
        parts.append(_("Missing columns: %(columns)s.", columns=", ".join(missing)))
    if unknown:
        parts.append(_("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
    if repeated:
        parts.append(_("Repeated columns: %(columns)s.", columns=", ".join(repeated)))
    parts.append(_expected_text(kind))
    other = ImportKind.PRODUCTS if kind is ImportKind.PRODUCERS else ImportKind.PRODUCERS
    other_names = {c.name for c in COLUMNS[other]}
    other_required = {c.name for c in COLUMNS[other] if c.required}
    if other_required <= seen and {k for k in keys if k} <= other_names:
        parts.append(
            _("This looks like a products file: choose “Products”.")
            if other is ImportKind.PRODUCTS
            else _("This looks like a producers file: choose “Producers”.")
        )
    raise ImportFileError(" ".join(parts), line=line)


def parse(data: bytes, kind: ImportKind) -> ParsedFile:
    """Decode, find the delimiter, check the header and read the rows. Raises ImportFileError."""
    text = decode(data)
    line_offset = 0
    first, newline, rest = text.partition("\n")
    sep = _SEP_LINE.match(first)
    if sep and newline:
        text, line_offset, delimiter = rest, 1, sep.group(1)
    else:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    keys: list[str] | None = None
    rows: list[CsvRow] = []
    errors: list[RowError] = []
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1 + line_offset
            previous_end = reader.line_num
            stripped = [cell.strip() for cell in cells]
            if not any(stripped):
                continue
            if keys is None:
                keys = [_column_key(cell) for cell in cells]
                _check_header(kind, keys, cells, start)
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(max)d rows; split it into several files.", max=MAX_ROWS)
                )
            values = {key: "" for key in keys if key}
            stray = False
            for index, cell in enumerate(stripped):
                if index >= len(keys) or not keys[index]:
                    stray = stray or bool(cell)
                else:
                    values[keys[index]] = cell
            if stray:
                errors.append(
                    RowError(
                        start,
                        None,
                        _(
                            "This row has values outside the named columns (the header has %(count)d): "
                            "check the delimiter and the quotes.",
                            count=len([k for k in keys if k]),
                        ),
                    )
                )
            rows.append(CsvRow(start, values))
    except csv.Error as err:
        line = reader.line_num + line_offset
        raise ImportFileError(
            _("The file cannot be read as CSV near line %(line)d: %(detail)s", line=line, detail=str(err)),
            line=line,
        ) from err
    if keys is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows to import."))
    return ParsedFile(
        kind=kind,
        delimiter=delimiter,
        columns=tuple(k for k in keys if k),
        rows=rows,
        errors=errors,
    )


# --- mapping a row to the form's raw values (pure) -------------------------------------------------


@dataclass
class MappedRow:
    line: int
    raw: dict[str, Any]  # what a form would send: ready for the service's create()
    errors: dict[str, str] = field(default_factory=dict)  # column → message
    notices: list[str] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, message)


def _key(text: str) -> str:
    return " ".join(re.sub(r"[\s_\-./]+", " ", admin_units.fold(text)).split())


_KIND_ALIASES: dict[str, str] = {
    **{k: rules.ProducerKindValue.COOPERATIVE for k in ("cooperative", "co operative", "hop tac xa", "htx")},
    **{
        k: rules.ProducerKindValue.ENTERPRISE
        for k in ("enterprise", "company", "business", "doanh nghiep", "dn", "cong ty")
    },
    **{
        k: rules.ProducerKindValue.HOUSEHOLD
        for k in (
            "household",
            "household business",
            "ho kinh doanh",
            "hkd",
            "ho san xuat",
            "co so san xuat",
            "ho gia dinh",
        )
    },
    **{
        k: rules.ProducerKindValue.COOPERATIVE_GROUP
        for k in ("cooperative group", "co operative group", "to hop tac", "tht")
    },
    **{k: rules.ProducerKindValue.OTHER for k in ("other", "khac")},
}


def resolve_kind(text: str) -> str | None:
    """A ProducerKind value from its value or a Vietnamese/English label, any case and diacritics."""
    found = _KIND_ALIASES.get(_key(text))
    return str(found) if found else None


_LEVEL_ALIASES: dict[str, str] = {
    **{k: "province" for k in ("province", "provincial", "tinh", "cap tinh")},
    **{k: "central" for k in ("central", "national", "trung uong", "cap trung uong", "tw", "quoc gia")},
}


def resolve_level(text: str) -> str | None:
    return _LEVEL_ALIASES.get(_key(text))


def _stars_text(text: str) -> str:
    """`4`, `4 sao`, `4 stars`, `4★` or `★★★★` → "4"; anything else is passed on for the rules to refuse."""
    compact = text.replace(" ", "")
    if compact and set(compact) <= {"★", "*"}:
        return str(len(compact))
    match = re.fullmatch(r"(\d+)\s*(?:★|\*|sao|stars?)?", admin_units.fold(text))
    return match.group(1) if match else text


@dataclass(frozen=True)
class GroupRef:
    id: int
    code: str
    name_vi: str
    name_en: str


_GROUP_CODE = re.compile(r"^(\d+(?:\.\d+)?)(?:$|[\s\-–:.)]+)")


def group_index(groups: Iterable[GroupRef]) -> dict[str, int]:
    """Lookup keys (code, folded Vietnamese and English names) → group id. Codes win over names."""
    index: dict[str, int] = {}
    groups = list(groups)
    for g in groups:
        for name in (g.name_vi, g.name_en):
            if name:
                index.setdefault(_key(name), g.id)
    for g in groups:
        index[g.code] = g.id
    return index


def resolve_group(text: str, index: dict[str, int]) -> int | None:
    """`1.3`, `1.3 - Thực phẩm chế biến`, `thuc pham che bien` or `Processed food` → the group id."""
    text = text.strip()
    match = _GROUP_CODE.match(text)
    if match and match.group(1) in index:
        return index[match.group(1)]
    return index.get(_key(text))


_PRODUCER_TEXT = (
    "name",
    "registration_no",
    "address",
    "latitude",
    "longitude",
    "contact_name",
    "phone",
    "email",
    "description_vi",
    "description_en",
)


def _merge_rule_errors(row: MappedRow, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        row.error(_FIELD_TO_COLUMN.get(name, name), message)


def _legacy_codes(legacy_name: str) -> tuple[int, ...]:
    for _code, name, codes in admin_units.legacy_provinces():
        if name == legacy_name:
            return codes
    return ()


def map_producer_row(row: CsvRow) -> MappedRow:
    """The form values for one producers.csv row, with the lookups done and every rule checked."""
    values = row.values
    mapped = MappedRow(row.line, {key: values.get(key, "") for key in _PRODUCER_TEXT})

    kind_text = values.get("kind", "")
    kind = resolve_kind(kind_text) if kind_text else None
    mapped.raw["kind"] = kind or ""
    if kind_text and kind is None:
        mapped.error(
            "kind",
            _(
                "Unknown kind “%(value)s”: use cooperative, enterprise, household, cooperative_group or "
                "other (or Hợp tác xã, Doanh nghiệp, Hộ kinh doanh, Tổ hợp tác, Khác).",
                value=kind_text,
            ),
        )

    province_text = values.get("province", "")
    ward_text = values.get("ward", "")
    mapped.raw["province_code"] = province_text
    mapped.raw["ward_code"] = ""
    resolved = admin_units.resolve_province(province_text) if province_text else None
    if province_text and resolved is None:
        mapped.error(
            "province",
            _(
                "Unknown province “%(value)s”: use today's name, a name from before July 2025 or a 2025 "
                "province code.",
                value=province_text,
            ),
        )
    if resolved is not None:
        province = resolved.province
        # A split old province (Tiền Giang went into two) is settled by the ward when there is one.
        candidates = [province.code]
        if resolved.legacy_name:
            candidates += [c for c in _legacy_codes(resolved.legacy_name) if c != province.code]
        if ward_text:
            found = None
            for code in candidates:
                found = admin_units.resolve_ward(ward_text, code)
                if found is not None:
                    break
            if found is None:
                mapped.error(
                    "ward",
                    _(
                        "No ward or commune “%(value)s” in %(province)s (the list of July 2025): use its "
                        "current name or its code.",
                        value=ward_text,
                        province=province.name,
                    ),
                )
            else:
                mapped.raw["ward_code"] = found.code
                if found.province_code != province.code:
                    province = admin_units.province(found.province_code) or province
        # The rules resolve the same text again and note the old name in the audit entry; a province
        # settled by the ward is passed as its code.
        same = province.code == resolved.province.code
        mapped.raw["province_code"] = province_text if same else province.code
        if resolved.legacy_name:
            if len(candidates) > 1 and not mapped.raw["ward_code"]:
                mapped.notices.append(
                    _(
                        "line %(line)d: %(old)s → %(new)s (the old province went into several; give the "
                        "ward to be sure)",
                        line=row.line,
                        old=province_text,
                        new=province.name,
                    )
                )
            else:
                mapped.notices.append(
                    _("line %(line)d: %(old)s → %(new)s", line=row.line, old=province_text, new=province.name)
                )

    _fields, errors = rules.clean_producer(mapped.raw)
    _merge_rule_errors(mapped, errors)
    return mapped


_PRODUCT_TEXT = (
    "name_vi",
    "name_en",
    "certificate_no",
    "certified_on",
    "expires_on",
    "price_vnd",
    "unit",
    "sku",
    "barcode",
    *rules.TEXT_FIELDS,
)


def map_product_row(row: CsvRow, groups: dict[str, int], today: dt.date) -> MappedRow:
    """The form values for one products.csv row, except the producer (a database lookup: the caller
    sets `raw["producer_id"]`), with every rule of the product form checked."""
    values = row.values
    mapped = MappedRow(row.line, {key: values.get(key, "") for key in _PRODUCT_TEXT})

    group_text = values.get("group", "")
    group_id = resolve_group(group_text, groups) if group_text else None
    mapped.raw["group_id"] = group_id if group_id is not None else ""
    if group_text and group_id is None:
        mapped.error(
            "group",
            _(
                "Unknown OCOP group “%(value)s”: use a code such as 1.3 or a group name of the current list.",
                value=group_text,
            ),
        )

    stars_text = values.get("stars", "")
    mapped.raw["stars"] = _stars_text(stars_text) if stars_text else ""

    level_text = values.get("certificate_level", "")
    level = resolve_level(level_text) if level_text else None
    mapped.raw["certificate_level"] = level or ""
    if level_text and level is None:
        mapped.error(
            "certificate_level",
            _(
                "Unknown certificate level “%(value)s”: use province or central (tỉnh or trung ương).",
                value=level_text,
            ),
        )

    _fields, errors = rules.clean_product(mapped.raw, today)
    _merge_rule_errors(mapped, errors)
    return mapped


# --- the import (database) -------------------------------------------------------------------------


class _WriteFailed(Exception):
    def __init__(self, line: int, error: DomainError) -> None:
        super().__init__(error.message)
        self.line = line
        self.error = error


def _tick(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _chunks(values: Sequence[str] | Sequence[int]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _report(
    kind: ImportKind,
    *,
    created: int = 0,
    errors: Sequence[RowError] = (),
    notices: Sequence[str] = (),
    total_rows: int = 0,
    dry_run: bool = False,
) -> ImportReport:
    return ImportReport(
        created=created,
        errors=list(errors[:MAX_ERRORS]),
        notices=list(notices[:MAX_NOTICES]),
        total_rows=total_rows,
        kind=kind,
        error_count=len(errors),
        notice_count=len(notices),
        dry_run=dry_run,
    )


def _file_failure(kind: ImportKind, err: ImportFileError) -> ImportReport:
    return _report(kind, errors=[RowError(err.line, None, err.message)])


def _row_errors(kind: ImportKind, parsed: ParsedFile, mapped: Sequence[MappedRow]) -> list[RowError]:
    order = {c.name: i for i, c in enumerate(COLUMNS[kind])}
    found = list(parsed.errors)
    for row in mapped:
        for column, message in row.errors.items():
            found.append(RowError(row.line, column, message))
    return sorted(found, key=lambda e: (e.line or 0, -1 if e.column is None else order.get(e.column, 99)))


def _write_failure(kind: ImportKind, failure: _WriteFailed, total: int, notices: list[str]) -> ImportReport:
    error = failure.error
    if error.fields:
        errors = [RowError(failure.line, _FIELD_TO_COLUMN.get(k, k), v) for k, v in error.fields.items()]
    else:
        errors = [RowError(failure.line, None, error.message)]
    return _report(kind, errors=errors, notices=notices, total_rows=total)


async def import_producers(
    session: AsyncSession,
    actor: CurrentUser | None,
    data: bytes,
    *,
    organization_id: int | None = None,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check every row of a producers.csv, then create them all, or none when any row is bad.

    New producers join `organization_id`; an organizer's import defaults to (and is limited to) its own
    organization. Raises PermissionDenied when the actor may not register producers and ValidationFailed
    for an unknown organization; everything about the file comes back in the report. `progress(done,
    total)` is called per row while checking (first half of `total`) and while writing (second half).
    """
    kind = ImportKind.PRODUCERS
    if actor is not None and not can_create_producer(actor):
        raise PermissionDenied(_("Only administrators and organizers can import producers."))
    if organization_id is not None:
        if await session.get(Organization, organization_id) is None:
            raise ValidationFailed(
                _("This organization does not exist."),
                fields={"organization_id": _("This organization does not exist.")},
            )
        if actor is not None and not actor.is_admin and organization_id not in actor.organizer_of:
            raise PermissionDenied(_("You may only import producers into your own organization."))
    elif actor is not None and not actor.is_admin:
        organization_id = min(actor.organizer_of)

    try:
        parsed = parse(data, kind)
    except ImportFileError as err:
        return _file_failure(kind, err)
    total = len(parsed.rows)
    steps = 2 * total

    mapped: list[MappedRow] = []
    for done, source in enumerate(parsed.rows, 1):
        mapped.append(map_producer_row(source))
        _tick(progress, done, steps)

    first_line: dict[str, int] = {}
    for row in mapped:
        registration = str(row.raw.get("registration_no") or "")
        if not registration:
            continue
        if registration in first_line:
            row.error(
                "registration_no",
                _(
                    "The registration number %(value)s is also on line %(line)d.",
                    value=registration,
                    line=first_line[registration],
                ),
            )
        else:
            first_line[registration] = row.line
    taken: set[str] = set()
    for chunk in _chunks(sorted(first_line)):
        stmt = select(Producer.registration_no).where(Producer.registration_no.in_(chunk))
        taken.update(r for r in (await session.scalars(stmt)).all() if r)
    for row in mapped:
        if row.raw.get("registration_no") in taken:
            row.error("registration_no", _("Another producer has this registration number."))

    notices = [notice for row in mapped for notice in row.notices]
    errors = _row_errors(kind, parsed, mapped)
    if errors or dry_run:
        _tick(progress, steps, steps)
        return _report(kind, errors=errors, notices=notices, total_rows=total, dry_run=dry_run)

    service = ProducerService(session)
    created_ids: list[int] = []
    try:
        async with session.begin_nested():
            for done, row in enumerate(mapped, 1):
                try:
                    producer = await service.create(actor, row.raw, organization_id=organization_id)
                except DomainError as err:
                    raise _WriteFailed(row.line, err) from err
                created_ids.append(producer.id)
                _tick(progress, total + done, steps)
    except _WriteFailed as failure:
        return _write_failure(kind, failure, total, notices)
    await audit.record(
        session,
        actor,
        "catalog.import.producers",
        "producer",
        None,
        rows=total,
        created_ids=created_ids,
        organization_id=organization_id,
        notices=notices[:MAX_NOTICES],
    )
    return _report(kind, created=len(created_ids), notices=notices, total_rows=total)


async def import_products(
    session: AsyncSession,
    actor: CurrentUser | None,
    data: bytes,
    *,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check every row of a products.csv, then create them all, or none when any row is bad.

    A row whose producer the actor may not manage gets an error on its `producer` column. Raises
    PermissionDenied only when the actor manages no catalog at all.
    """
    kind = ImportKind.PRODUCTS
    if actor is not None and not actor.manages_catalog:
        raise PermissionDenied(_("You are not allowed to manage the catalog."))
    try:
        parsed = parse(data, kind)
    except ImportFileError as err:
        return _file_failure(kind, err)
    total = len(parsed.rows)
    steps = 2 * total

    groups = group_index(
        GroupRef(g.id, g.code, g.name_vi, g.name_en) for g in await GroupService(session).all()
    )
    today = today_vn()
    mapped: list[MappedRow] = []
    for done, source in enumerate(parsed.rows, 1):
        mapped.append(map_product_row(source, groups, today))
        _tick(progress, done, steps)

    producers = await _producers_by_reference(session, {r.values.get("producer", "") for r in parsed.rows})
    producer_of: dict[int, Producer] = {}
    for row, csv_row in zip(mapped, parsed.rows, strict=True):
        reference = csv_row.values.get("producer", "")
        chosen = _choose_producer(row, reference, producers, actor)
        if chosen is not None:
            row.raw["producer_id"] = chosen.id
            producer_of[row.line] = chosen

    ids = sorted({p.id for p in producer_of.values()})
    existing_skus: set[tuple[int, str]] = set()
    existing_names: set[tuple[int, str]] = set()
    for chunk in _chunks(ids):
        stmt = select(Product.producer_id, Product.sku, Product.name_vi).where(Product.producer_id.in_(chunk))
        for producer_id, sku, name_vi in (await session.execute(stmt)).all():
            if sku:
                existing_skus.add((producer_id, sku))
            existing_names.add((producer_id, admin_units.fold(name_vi)))

    first_line: dict[tuple[int, str], int] = {}
    for row in mapped:
        found = producer_of.get(row.line)
        sku = str(row.raw.get("sku") or "")
        if found is None:
            continue
        if sku and "sku" not in row.errors:
            key = (found.id, sku)
            if key in existing_skus:
                row.error("sku", _("Another product of this producer has this SKU."))
            elif key in first_line:
                row.error(
                    "sku",
                    _(
                        "The SKU %(value)s is also on line %(line)d for the same producer.",
                        value=sku,
                        line=first_line[key],
                    ),
                )
            else:
                first_line[key] = row.line
        name = str(row.raw.get("name_vi") or "")
        if name and not sku and (found.id, admin_units.fold(name)) in existing_names:
            row.notices.append(
                _(
                    "line %(line)d: %(producer)s already has a product named “%(name)s”; this adds "
                    "another one.",
                    line=row.line,
                    producer=found.name,
                    name=name,
                )
            )

    notices = [notice for row in mapped for notice in row.notices]
    errors = _row_errors(kind, parsed, mapped)
    if errors or dry_run:
        _tick(progress, steps, steps)
        return _report(kind, errors=errors, notices=notices, total_rows=total, dry_run=dry_run)

    service = ProductService(session)
    created_ids: list[int] = []
    try:
        async with session.begin_nested():
            for done, row in enumerate(mapped, 1):
                try:
                    product = await service.create(actor, row.raw)
                except DomainError as err:
                    raise _WriteFailed(row.line, err) from err
                created_ids.append(product.id)
                _tick(progress, total + done, steps)
    except _WriteFailed as failure:
        return _write_failure(kind, failure, total, notices)
    await audit.record(
        session,
        actor,
        "catalog.import.products",
        "product",
        None,
        rows=total,
        created_ids=created_ids,
        notices=notices[:MAX_NOTICES],
    )
    return _report(kind, created=len(created_ids), notices=notices, total_rows=total)


async def _producers_by_reference(session: AsyncSession, references: set[str]) -> dict[str, list[Producer]]:
    """Producers whose registration number or exact name is one of `references`, keyed by both."""
    wanted = sorted(r for r in references if r)
    found: dict[int, Producer] = {}
    for chunk in _chunks(wanted):
        for column in (Producer.registration_no, Producer.name):
            stmt = select(Producer).where(column.in_(chunk))
            for producer in (await session.scalars(stmt)).all():
                found[producer.id] = producer
    result: dict[str, list[Producer]] = {}
    for producer in sorted(found.values(), key=lambda p: p.id):
        if producer.registration_no:
            result.setdefault("reg:" + producer.registration_no, []).append(producer)
        result.setdefault("name:" + producer.name, []).append(producer)
    return result


def _choose_producer(
    row: MappedRow, reference: str, producers: dict[str, list[Producer]], actor: CurrentUser | None
) -> Producer | None:
    if not reference:
        row.error("producer", _("Give the producer's registration number or its name."))
        return None
    candidates = producers.get("reg:" + reference) or producers.get("name:" + reference) or []
    if not candidates:
        row.error(
            "producer",
            _("No producer has the registration number or the name “%(value)s”.", value=reference),
        )
        return None
    if len(candidates) > 1:
        mine = [p for p in candidates if actor is None or can_manage_producer(actor, p.id, p.organization_id)]
        if len(mine) != 1:
            row.error(
                "producer",
                _("Several producers are named “%(value)s”: use the registration number.", value=reference),
            )
            return None
        candidates = mine
    chosen = candidates[0]
    if actor is not None and not can_manage_producer(actor, chosen.id, chosen.organization_id):
        row.error("producer", _("You may not add products for this producer."))
        return None
    return chosen


async def run_import(
    session: AsyncSession,
    actor: CurrentUser | None,
    kind: ImportKind,
    data: bytes,
    *,
    organization_id: int | None = None,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """`import_producers` or `import_products`, by kind."""
    if kind is ImportKind.PRODUCERS:
        return await import_producers(
            session, actor, data, organization_id=organization_id, progress=progress, dry_run=dry_run
        )
    return await import_products(session, actor, data, progress=progress, dry_run=dry_run)


def sample_path(kind: ImportKind) -> Path:
    """The sample CSV of `kind`, kept in docs/samples/ and linked from the upload page."""
    return BASE_DIR / "docs" / "samples" / f"{kind.value}.csv"
