"""Catalog rules: certificate status and expiry, coordinates, and the checks on producer, product and combo
input. Pure: no database, no web. Each `clean_*` returns cleaned values and a map of field → message;
the service raises when that map is not empty, so forms, the API and the CSV import share one set of rules.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.catalog import admin_units
from app.cleaning import text_field
from app.i18n import gettext as _
from app.money import MoneyError, parse_vnd

CERTIFICATE_MONTHS = 36
EXPIRY_WARNING_DAYS = 30
# Vietnam with its islands (Phú Quốc, Côn Đảo, Hoàng Sa, Trường Sa), as a generous bounding box.
VN_LAT = (6.0, 23.5)
VN_LON = (102.0, 117.5)
MAX_TEXT = 5000

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PHONE_RE = re.compile(r"^\+?[0-9 .()-]{6,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class CertificateStatus(enum.StrEnum):
    NONE = "none"
    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"


class ProducerKindValue(enum.StrEnum):
    # Mirrors app.catalog.models.ProducerKind; kept here so the rules need no SQLAlchemy import.
    COOPERATIVE = "cooperative"
    ENTERPRISE = "enterprise"
    HOUSEHOLD = "household"
    COOPERATIVE_GROUP = "cooperative_group"
    OTHER = "other"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the 29–31st fall back to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 always exists


def default_expiry(certified_on: dt.date) -> dt.date:
    """A certificate is valid 36 months from issue."""
    return add_months(certified_on, CERTIFICATE_MONTHS)


def certificate_status(stars: int | None, expires_on: dt.date | None, today: dt.date) -> CertificateStatus:
    if stars is None or expires_on is None:
        return CertificateStatus.NONE
    if expires_on < today:
        return CertificateStatus.EXPIRED
    if (expires_on - today).days <= EXPIRY_WARNING_DAYS:
        return CertificateStatus.EXPIRING
    return CertificateStatus.ACTIVE


def is_certified(stars: int | None, expires_on: dt.date | None, today: dt.date) -> bool:
    """Only a 3–5★ product with a certificate in force carries the OCOP mark."""
    return certificate_status(stars, expires_on, today) in (
        CertificateStatus.ACTIVE,
        CertificateStatus.EXPIRING,
    )


def in_vietnam(lat: float, lon: float) -> bool:
    return VN_LAT[0] <= lat <= VN_LAT[1] and VN_LON[0] <= lon <= VN_LON[1]


def gtin_valid(code: str) -> bool:
    """EAN-8/UPC-A/EAN-13/GTIN-14 check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


# --- small field readers: each returns (value, error message or None) ---


def _optional_int(value: Any) -> tuple[int | None, bool]:
    """(number, ok). Accepts an int or a string of digits; empty means None."""
    if value is None or value == "":
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return value, True
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()), True
    return None, False


def parse_coordinate(value: Any) -> tuple[float | None, bool]:
    """(degrees, ok) from a number or a text such as `10,24`; empty means None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None, False
    else:
        return None, False
    if number != number or number in (float("inf"), float("-inf")):  # NaN or infinite
        return None, False
    return number, True


def parse_date(value: Any) -> tuple[dt.date | None, bool]:
    """ISO `2026-11-22` (what date inputs send) or Vietnamese `22/11/2026`; empty means None."""
    if value is None or value == "":
        return None, True
    if isinstance(value, dt.date):
        return value, True
    if not isinstance(value, str):
        return None, False
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date(), True
        except ValueError:
            continue
    return None, False


def _price(value: Any) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, _("Enter a price in đồng.")
    if isinstance(value, float):
        return None, _("The price must be a whole number of đồng, without decimals.")
    try:
        return parse_vnd(value), None
    except MoneyError as err:
        if str(err) == "negative":
            return None, _("The price cannot be negative.")
        if str(err) == "too large":
            return None, _("The price is too large: check the number of zeros.")
        return None, _("The price must be a whole number of đồng, without decimals.")


# --- producers ---


@dataclass(frozen=True)
class ProducerFields:
    name: str
    kind: str
    registration_no: str | None
    province_code: int
    ward_code: int | None
    address: str
    latitude: float | None
    longitude: float | None
    contact_name: str
    phone: str
    email: str
    description_vi: str
    description_en: str
    legacy_province_name: str | None = None


def clean_producer(raw: Mapping[str, Any]) -> tuple[ProducerFields | None, dict[str, str]]:
    errors: dict[str, str] = {}

    name = text_field(raw, "name", 200, errors, required=True)
    kind_raw = raw.get("kind") or ""
    if kind_raw not in {k.value for k in ProducerKindValue}:
        errors["kind"] = _("Choose the kind of producer.")
    registration_no = text_field(raw, "registration_no", 50, errors) or None

    legacy_name = None
    province_code, ok = _optional_int(raw.get("province_code"))
    if not ok and isinstance(raw.get("province_code"), str):
        # A name instead of a code (imports): old names such as "Bến Tre" map to today's province.
        resolved = admin_units.resolve_province(str(raw.get("province_code")))
        if resolved is not None:
            province_code, ok = resolved.province.code, True
            legacy_name = resolved.legacy_name
    if not ok or province_code is None:
        errors["province_code"] = _("Choose a province.")
    elif admin_units.province(province_code) is None:
        errors["province_code"] = _("This province does not exist.")

    ward_code, ok = _optional_int(raw.get("ward_code"))
    if not ok:
        errors["ward_code"] = _("Choose a ward or commune from the list.")
    elif ward_code is not None and province_code is not None and "province_code" not in errors:
        if not admin_units.ward_in_province(ward_code, province_code):
            errors["ward_code"] = _("This ward or commune is not in the chosen province.")

    address = text_field(raw, "address", 300, errors)
    lat, lat_ok = parse_coordinate(raw.get("latitude"))
    lon, lon_ok = parse_coordinate(raw.get("longitude"))
    if not lat_ok:
        errors["latitude"] = _("The latitude must be a number, such as 10.24.")
    if not lon_ok:
        errors["longitude"] = _("The longitude must be a number, such as 106.38.")
    if lat_ok and lon_ok:
        if (lat is None) != (lon is None):
            errors["latitude" if lat is None else "longitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        elif lat is not None and lon is not None and not in_vietnam(lat, lon):
            errors["latitude"] = _("These coordinates are outside Vietnam.")

    contact_name = text_field(raw, "contact_name", 200, errors)
    phone = text_field(raw, "phone", 30, errors)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Enter a phone number with digits only, such as 0912 345 678.")
    email = text_field(raw, "email", 254, errors).lower()
    if email and not EMAIL_RE.match(email):
        errors["email"] = _("Enter a valid email address.")
    description_vi = text_field(raw, "description_vi", MAX_TEXT, errors)
    description_en = text_field(raw, "description_en", MAX_TEXT, errors)

    if errors:
        return None, errors
    assert province_code is not None
    return (
        ProducerFields(
            name=name,
            kind=str(kind_raw),
            registration_no=registration_no,
            province_code=province_code,
            ward_code=ward_code,
            address=address,
            latitude=lat,
            longitude=lon,
            contact_name=contact_name,
            phone=phone,
            email=email,
            description_vi=description_vi,
            description_en=description_en,
            legacy_province_name=legacy_name,
        ),
        {},
    )


# --- products ---


@dataclass(frozen=True)
class ProductFields:
    name_vi: str
    name_en: str
    group_id: int | None
    stars: int | None
    certificate_no: str
    certificate_level: str | None
    certified_on: dt.date | None
    expires_on: dt.date | None
    price_vnd: int
    unit: str
    sku: str | None
    barcode: str | None
    origin_vi: str
    origin_en: str
    ingredients_vi: str
    ingredients_en: str
    story_vi: str
    story_en: str


TEXT_FIELDS = ("origin_vi", "origin_en", "ingredients_vi", "ingredients_en", "story_vi", "story_en")


def clean_product(raw: Mapping[str, Any], today: dt.date) -> tuple[ProductFields | None, dict[str, str]]:
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}

    def take(key: str, value_error: tuple[Any, str | None]) -> Any:
        value, error = value_error
        if error:
            errors[key] = error
        return value

    name_vi = text_field(raw, "name_vi", 200, errors, required=True)
    name_en = text_field(raw, "name_en", 200, errors)

    group_id, ok = _optional_int(raw.get("group_id"))
    if not ok:
        errors["group_id"] = _("Choose an OCOP product group from the list.")

    stars, ok = _optional_int(raw.get("stars"))
    if not ok or (stars is not None and stars not in (3, 4, 5)):
        errors["stars"] = _(
            "Stars must be 3, 4 or 5; leave the field empty for a product without an OCOP rating."
        )
        stars = None

    certificate_no = text_field(raw, "certificate_no", 100, errors)
    level = raw.get("certificate_level") or None
    if level is not None and level not in ("province", "central"):
        errors["certificate_level"] = _("Choose the provincial or the central level.")
    certified_on, ok = parse_date(raw.get("certified_on"))
    if not ok:
        errors["certified_on"] = _("Enter a date such as 22/11/2026.")
    expires_on, ok = parse_date(raw.get("expires_on"))
    if not ok:
        errors["expires_on"] = _("Enter a date such as 22/11/2026.")

    if stars is not None and "stars" not in errors:
        if not certificate_no:
            errors["certificate_no"] = _("A rated product needs its certificate number.")
        if certified_on is None and "certified_on" not in errors:
            errors["certified_on"] = _("A rated product needs the date its certificate was issued.")
        if level is None:
            # Since Decision 1489/QĐ-TTg (2025) the province awards 3★ and 4★, the central level 5★.
            level = "central" if stars == 5 else "province"
        elif stars == 5 and level == "province":
            errors["certificate_level"] = _("5-star certificates are issued at the central level.")
    if certified_on is not None and certified_on > today:
        errors["certified_on"] = _("The issue date cannot be in the future.")
    if certified_on is not None and expires_on is None:
        expires_on = default_expiry(certified_on)
    if certified_on is not None and expires_on is not None and expires_on <= certified_on:
        errors["expires_on"] = _("The expiry date must come after the issue date.")
    if stars is None:
        level = level if certificate_no else None

    price = take("price_vnd", _price(raw.get("price_vnd")))
    unit = text_field(raw, "unit", 50, errors)
    sku = text_field(raw, "sku", 64, errors) or None
    if sku and not SKU_RE.match(sku):
        errors["sku"] = _("Use letters, digits, dots, dashes or underscores only.")
    barcode = text_field(raw, "barcode", 64, errors) or None
    if barcode and not gtin_valid(barcode):
        errors["barcode"] = _("This barcode is not a valid EAN/GTIN number (check its last digit).")
    for key in TEXT_FIELDS:
        texts[key] = text_field(raw, key, MAX_TEXT, errors)

    if errors:
        return None, errors
    assert price is not None
    return (
        ProductFields(
            name_vi=name_vi,
            name_en=name_en,
            group_id=group_id,
            stars=stars,
            certificate_no=certificate_no,
            certificate_level=level,
            certified_on=certified_on,
            expires_on=expires_on,
            price_vnd=price,
            unit=unit,
            sku=sku,
            barcode=barcode,
            **texts,
        ),
        {},
    )


# --- combos ---


@dataclass(frozen=True)
class ComboFields:
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    price_vnd: int
    items: tuple[tuple[int, int], ...]  # (product_id, quantity), product ids unique


def clean_combo(raw: Mapping[str, Any]) -> tuple[ComboFields | None, dict[str, str]]:
    """`items` is a list of {"product_id", "quantity"}; the same product twice is merged."""
    errors: dict[str, str] = {}
    name_vi = text_field(raw, "name_vi", 200, errors, required=True)
    name_en = text_field(raw, "name_en", 200, errors)
    description_vi = text_field(raw, "description_vi", MAX_TEXT, errors)
    description_en = text_field(raw, "description_en", MAX_TEXT, errors)
    price, error = _price(raw.get("price_vnd"))
    if error:
        errors["price_vnd"] = error
    merged: dict[int, int] = {}
    items = raw.get("items") or []
    if not isinstance(items, list):
        items = []
    for item in items:
        if not isinstance(item, Mapping):
            errors["items"] = _("Each item needs a product and a quantity.")
            continue
        product_id, ok_product = _optional_int(item.get("product_id"))
        quantity, ok_quantity = _optional_int(item.get("quantity"))
        if product_id is None and quantity is None and ok_product and ok_quantity:
            continue  # an empty row of the form
        if not ok_product or product_id is None:
            errors["items"] = _("Each item needs a product and a quantity.")
        elif not ok_quantity or quantity is None or quantity < 1 or quantity > 1000:
            errors["items"] = _("Quantities are whole numbers from 1 to 1000.")
        else:
            merged[product_id] = merged.get(product_id, 0) + quantity
    if not merged and "items" not in errors:
        errors["items"] = _("A combo needs at least one product.")
    if errors:
        return None, errors
    assert price is not None
    return (
        ComboFields(
            name_vi=name_vi,
            name_en=name_en,
            description_vi=description_vi,
            description_en=description_en,
            price_vnd=price,
            items=tuple(sorted(merged.items())),
        ),
        {},
    )
