"""Catalog rules: certificate dates and status, barcodes, and the checks on producer, product, combo input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.catalog import admin_units
from app.catalog.rules import (
    CertificateStatus,
    add_months,
    certificate_status,
    clean_combo,
    clean_producer,
    clean_product,
    default_expiry,
    gtin_valid,
    in_vietnam,
    is_certified,
)
from app.i18n import reset_locale, set_locale, translations

TODAY = dt.date(2026, 11, 22)


# --- dates ---


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 36, dt.date(2027, 2, 28)),
        (dt.date(2024, 2, 29), 48, dt.date(2028, 2, 29)),
        (dt.date(2025, 3, 31), 1, dt.date(2025, 4, 30)),
        (dt.date(2025, 12, 15), 1, dt.date(2026, 1, 15)),
        (dt.date(2025, 11, 30), 14, dt.date(2027, 1, 30)),
        (dt.date(2025, 5, 1), 0, dt.date(2025, 5, 1)),
    ],
)
def test_add_months_keeps_the_day_or_falls_back_to_the_months_last_day(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected


def test_a_certificate_is_valid_36_months_from_issue() -> None:
    assert default_expiry(dt.date(2025, 3, 1)) == dt.date(2028, 3, 1)
    assert default_expiry(dt.date(2024, 2, 29)) == dt.date(2027, 2, 28)


@pytest.mark.parametrize(
    ("stars", "expires_on", "expected"),
    [
        (4, TODAY - dt.timedelta(days=1), CertificateStatus.EXPIRED),
        (4, TODAY, CertificateStatus.EXPIRING),
        (4, TODAY + dt.timedelta(days=30), CertificateStatus.EXPIRING),
        (4, TODAY + dt.timedelta(days=31), CertificateStatus.ACTIVE),
        (5, TODAY + dt.timedelta(days=900), CertificateStatus.ACTIVE),
        (None, TODAY + dt.timedelta(days=900), CertificateStatus.NONE),
        (3, None, CertificateStatus.NONE),
    ],
)
def test_certificate_status_at_its_boundaries(
    stars: int | None, expires_on: dt.date | None, expected: CertificateStatus
) -> None:
    assert certificate_status(stars, expires_on, TODAY) == expected


def test_only_a_certificate_in_force_counts_as_certified() -> None:
    assert is_certified(4, TODAY, TODAY)
    assert is_certified(4, TODAY + dt.timedelta(days=400), TODAY)
    assert not is_certified(4, TODAY - dt.timedelta(days=1), TODAY)
    assert not is_certified(None, TODAY + dt.timedelta(days=400), TODAY)


# --- barcodes and places ---


@pytest.mark.parametrize(
    "code", ["4006381333931", "8934563138165", "73513537", "036000291452", "10012345678902"]
)
def test_gtin_valid_accepts_codes_with_a_right_check_digit(code: str) -> None:
    assert gtin_valid(code)


@pytest.mark.parametrize(
    "code", ["4006381333932", "7351353", "12345", "40063813339a1", "", "400638133393100"]
)
def test_gtin_valid_refuses_wrong_check_digits_lengths_and_letters(code: str) -> None:
    assert not gtin_valid(code)


def test_in_vietnam_covers_the_islands_and_not_paris() -> None:
    assert in_vietnam(10.24, 106.38)  # Bến Tre
    assert in_vietnam(10.29, 103.98)  # Phú Quốc
    assert in_vietnam(8.68, 106.60)  # Côn Đảo
    assert not in_vietnam(48.85, 2.35)  # Paris
    assert not in_vietnam(13.75, 100.50)  # Bangkok


# --- products ---


def product_raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name_vi": "Kẹo dừa sáp",
        "name_en": "Waxy coconut candy",
        "group_id": "3",
        "stars": "4",
        "certificate_no": "123/QĐ-UBND",
        "certified_on": "2025-03-01",
        "price_vnd": "45.000",
        "unit": "hộp 400 g",
    }
    raw.update(changes)
    return raw


def test_clean_product_reads_form_strings() -> None:
    fields, errors = clean_product(product_raw(), TODAY)
    assert errors == {}
    assert fields is not None
    assert fields.price_vnd == 45_000
    assert fields.stars == 4
    assert fields.group_id == 3
    assert fields.certificate_level == "province"
    assert fields.expires_on == dt.date(2028, 3, 1)


@pytest.mark.parametrize("name", ["", "   ", None])
def test_clean_product_requires_a_vietnamese_name(name: str | None) -> None:
    fields, errors = clean_product(product_raw(name_vi=name), TODAY)
    assert fields is None
    assert set(errors) == {"name_vi"}


def test_clean_product_refuses_a_name_that_is_not_text_or_too_long() -> None:
    assert "name_vi" in clean_product(product_raw(name_vi=12), TODAY)[1]
    assert "name_vi" in clean_product(product_raw(name_vi="x" * 201), TODAY)[1]


@pytest.mark.parametrize("price", ["-5", "1.5", "12,5", 1.5, "abc", "", None, -5, True, "99999999999999"])
def test_clean_product_refuses_negative_fractional_and_missing_prices(price: Any) -> None:
    fields, errors = clean_product(product_raw(price_vnd=price), TODAY)
    assert fields is None
    assert set(errors) == {"price_vnd"}


def test_clean_product_says_why_a_price_is_refused_in_the_users_language() -> None:
    token = set_locale("en")
    try:
        negative = clean_product(product_raw(price_vnd="-5"), TODAY)[1]["price_vnd"]
        fraction = clean_product(product_raw(price_vnd="12,5"), TODAY)[1]["price_vnd"]
    finally:
        reset_locale(token)
    assert "negative" in negative
    assert fraction != negative
    token = set_locale("vi")
    try:
        vietnamese = clean_product(product_raw(price_vnd="-5"), TODAY)[1]["price_vnd"]
    finally:
        reset_locale(token)
    assert vietnamese == translations("vi").ugettext(negative) != negative


@pytest.mark.parametrize("stars", [7, "7", 2, "abc", True, 4.5])
def test_clean_product_accepts_only_three_to_five_stars(stars: Any) -> None:
    fields, errors = clean_product(product_raw(stars=stars), TODAY)
    assert fields is None
    assert set(errors) == {"stars"}


def test_a_product_without_stars_needs_no_certificate() -> None:
    fields, errors = clean_product(
        product_raw(stars="", certificate_no="", certified_on="", certificate_level=""), TODAY
    )
    assert errors == {}
    assert fields is not None
    assert (fields.stars, fields.certificate_level, fields.expires_on) == (None, None, None)


def test_a_rated_product_needs_its_certificate_number_and_issue_date() -> None:
    _fields, errors = clean_product(product_raw(certificate_no="", certified_on=""), TODAY)
    assert set(errors) == {"certificate_no", "certified_on"}


def test_five_stars_are_issued_at_the_central_level() -> None:
    fields, errors = clean_product(product_raw(stars=5), TODAY)
    assert fields is not None and fields.certificate_level == "central"
    _fields, errors = clean_product(product_raw(stars=5, certificate_level="province"), TODAY)
    assert set(errors) == {"certificate_level"}
    _fields, errors = clean_product(product_raw(certificate_level="national"), TODAY)
    assert set(errors) == {"certificate_level"}


def test_certificate_dates_are_checked() -> None:
    assert set(clean_product(product_raw(certified_on="2026-11-23"), TODAY)[1]) == {"certified_on"}
    assert set(clean_product(product_raw(certified_on="31/02/2025"), TODAY)[1]) == {"certified_on"}
    assert set(clean_product(product_raw(expires_on="2025-02-01"), TODAY)[1]) == {"expires_on"}
    assert set(clean_product(product_raw(expires_on="soon"), TODAY)[1]) == {"expires_on"}
    fields, errors = clean_product(product_raw(certified_on="01/03/2025", expires_on="2027-01-01"), TODAY)
    assert errors == {}
    assert fields is not None
    assert (fields.certified_on, fields.expires_on) == (dt.date(2025, 3, 1), dt.date(2027, 1, 1))


def test_clean_product_checks_sku_barcode_and_group() -> None:
    _fields, errors = clean_product(
        product_raw(sku="có dấu cách", barcode="4006381333932", group_id="x"), TODAY
    )
    assert set(errors) == {"sku", "barcode", "group_id"}
    fields, errors = clean_product(product_raw(sku="KD-400", barcode="4006381333931"), TODAY)
    assert errors == {}
    assert fields is not None and (fields.sku, fields.barcode) == ("KD-400", "4006381333931")


def test_clean_product_accepts_json_types_too() -> None:
    fields, errors = clean_product(product_raw(price_vnd=45000, stars=4, group_id=3), TODAY)
    assert errors == {}
    assert fields is not None and fields.price_vnd == 45000


# --- producers ---


def producer_raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "HTX Dừa Giồng Trôm",
        "kind": "cooperative",
        "province_code": "86",
        "ward_code": "",
        "address": "Ấp 1",
        "latitude": "10.15",
        "longitude": "106.50",
    }
    raw.update(changes)
    return raw


def test_clean_producer_reads_form_strings() -> None:
    ward = admin_units.wards_of(86)[0]
    fields, errors = clean_producer(producer_raw(ward_code=str(ward.code), latitude="10,15"))
    assert errors == {}
    assert fields is not None
    assert (fields.province_code, fields.ward_code) == (86, ward.code)
    assert (fields.latitude, fields.longitude) == (10.15, 106.50)


def test_clean_producer_requires_a_name_a_kind_and_a_province() -> None:
    fields, errors = clean_producer(producer_raw(name=" ", kind="", province_code=""))
    assert fields is None
    assert set(errors) == {"name", "kind", "province_code"}
    assert set(clean_producer(producer_raw(kind="farm"))[1]) == {"kind"}
    assert set(clean_producer(producer_raw(province_code="999"))[1]) == {"province_code"}


def test_clean_producer_maps_an_old_province_name_to_todays_province() -> None:
    fields, errors = clean_producer(producer_raw(province_code="Bến Tre"))
    assert errors == {}
    assert fields is not None
    assert fields.province_code == 86
    assert fields.legacy_province_name == "Tỉnh Bến Tre"


def test_clean_producer_refuses_a_ward_of_another_province() -> None:
    other = admin_units.wards_of(79)[0]
    assert set(clean_producer(producer_raw(ward_code=str(other.code)))[1]) == {"ward_code"}
    assert set(clean_producer(producer_raw(ward_code="abc"))[1]) == {"ward_code"}


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        ("north", "106.5", "latitude"),
        ("10.2", "east", "longitude"),
        ("48.85", "2.35", "latitude"),  # Paris
        ("10.2", "", "longitude"),
        ("", "106.5", "latitude"),
        ("nan", "106.5", "latitude"),
        ("inf", "106.5", "latitude"),
        (True, 106.5, "latitude"),
    ],
)
def test_clean_producer_refuses_coordinates_that_are_not_numbers_or_outside_vietnam(
    latitude: Any, longitude: Any, field: str
) -> None:
    fields, errors = clean_producer(producer_raw(latitude=latitude, longitude=longitude))
    assert fields is None
    assert field in errors


def test_clean_producer_accepts_no_coordinates_at_all() -> None:
    fields, errors = clean_producer(producer_raw(latitude="", longitude=""))
    assert errors == {}
    assert fields is not None and fields.latitude is None


def test_clean_producer_checks_phone_and_email() -> None:
    _fields, errors = clean_producer(producer_raw(phone="call me", email="not-an-email"))
    assert set(errors) == {"phone", "email"}
    fields, errors = clean_producer(producer_raw(phone="0912 345 678", email="HTX@Example.com"))
    assert errors == {}
    assert fields is not None and fields.email == "htx@example.com"


# --- combos ---


def combo_raw(items: Any, **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"name_vi": "Hộp quà Tết", "price_vnd": "250.000", "items": items}
    raw.update(changes)
    return raw


def test_clean_combo_skips_empty_rows_and_merges_the_same_product() -> None:
    items = [
        {"product_id": "2", "quantity": "1"},
        {"product_id": "", "quantity": ""},
        {"product_id": "1", "quantity": "2"},
        {"product_id": "2", "quantity": "3"},
    ]
    fields, errors = clean_combo(combo_raw(items))
    assert errors == {}
    assert fields is not None
    assert fields.items == ((1, 2), (2, 4))
    assert fields.price_vnd == 250_000


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product_id": "", "quantity": ""}],
        "1,2",
        None,
    ],
)
def test_a_combo_needs_at_least_one_product(items: Any) -> None:
    fields, errors = clean_combo(combo_raw(items))
    assert fields is None
    assert set(errors) == {"items"}


@pytest.mark.parametrize(
    "item",
    [
        {"product_id": "1", "quantity": "0"},
        {"product_id": "1", "quantity": "-1"},
        {"product_id": "1", "quantity": "1.5"},
        {"product_id": "1", "quantity": "1001"},
        {"product_id": "1", "quantity": ""},
        {"product_id": "", "quantity": "2"},
        {"product_id": "abc", "quantity": "2"},
        "1x2",
    ],
)
def test_clean_combo_refuses_bad_rows(item: Any) -> None:
    fields, errors = clean_combo(combo_raw([item]))
    assert fields is None
    assert set(errors) == {"items"}


def test_clean_combo_requires_a_name_and_a_whole_price() -> None:
    items = [{"product_id": 1, "quantity": 1}]
    assert set(clean_combo(combo_raw(items, name_vi=""))[1]) == {"name_vi"}
    assert set(clean_combo(combo_raw(items, price_vnd="-5"))[1]) == {"price_vnd"}
    assert set(clean_combo(combo_raw(items, price_vnd="12,5"))[1]) == {"price_vnd"}
