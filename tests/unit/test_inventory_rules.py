"""Pure stock rules and input readers: no database, no HTTP."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts.rules import CurrentUser
from app.inventory import rules
from app.inventory.models import LocationKind
from app.inventory.services import (
    MAX_QUANTITY,
    LineInput,
    clean_location,
    parse_id,
    parse_owner,
    parse_quantity,
    read_lines,
)

# --- quantities and ids ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), (" 12 ", 12), ("+3", 3), (7, 7), ("1000000", 1_000_000), ("007", 7)],
)
def test_whole_positive_quantities_are_read(raw: object, expected: int) -> None:
    assert parse_quantity(raw) == (expected, None)


@pytest.mark.parametrize(
    "raw",
    ["0", "-1", "1.5", "1,5", "abc", "", "  ", None, "1000001", "9" * 40, 1.0, True, 0, -4, "١٢", "1e3"],
)
def test_anything_else_is_refused_with_a_message(raw: object) -> None:
    value, problem = parse_quantity(raw)
    assert value is None and problem


def test_zero_is_a_count() -> None:
    assert parse_quantity("0", allow_zero=True) == (0, None)
    assert parse_quantity("-1", allow_zero=True)[0] is None


@given(st.integers())
def test_a_quantity_is_accepted_exactly_when_it_is_in_range(number: int) -> None:
    for raw in (number, str(number)):
        value, problem = parse_quantity(raw)
        if 1 <= number <= MAX_QUANTITY:
            assert (value, problem) == (number, None)
        else:
            assert value is None and problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (12, 12),
        (" 3 ", 3),
        ("0", None),
        ("-1", None),
        ("x", None),
        ("", None),
        (None, None),
        (True, None),
        (2**60, None),
    ],
)
def test_ids(raw: object, expected: int | None) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("producer:12", (12, None)),
        ("organization:3", (None, 3)),
        ("producer:", (None, None)),
        ("admin:1", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
        ("producer:-1", (None, None)),
    ],
)
def test_owners(raw: object, expected: tuple[int | None, int | None]) -> None:
    assert parse_owner(raw) == expected


# --- line rows ---


def test_lines_skip_empty_rows_sum_repeats_and_keep_their_row_numbers() -> None:
    lines, errors = read_lines([("", ""), ("5", "2"), ("7", "1"), ("5", "3"), ("", "")])
    assert errors == {}
    assert lines == [LineInput(2, 5, 5), LineInput(3, 7, 1)]


def test_line_errors_name_the_row_and_the_field() -> None:
    lines, errors = read_lines([("5", "0"), ("", "2"), ("x", "1"), ("7", "1.5"), ("8", "3")])
    assert set(errors) == {"quantity-1", "product_id-2", "product_id-3", "quantity-4"}
    assert lines == [LineInput(5, 8, 3)]


def test_counts_refuse_a_product_twice_and_skip_uncounted_rows() -> None:
    lines, errors = read_lines(
        [("5", "0"), ("6", ""), ("5", "2")],
        quantity_field="counted",
        allow_zero=True,
        merge=False,
        skip_blank_quantity=True,
    )
    assert lines == [LineInput(1, 5, 0)] and set(errors) == {"product_id-3"}


def test_no_lines_at_all_or_too_many() -> None:
    assert read_lines([("", "")]) == ([], {"lines": read_lines([])[1]["lines"]})
    assert set(read_lines([("1", "1")] * 501)[1]) == {"lines"}


def test_repeated_lines_cannot_add_up_past_the_maximum() -> None:
    _lines, errors = read_lines([("5", str(MAX_QUANTITY)), ("5", "1")])
    assert set(errors) == {"quantity-2"}


# --- places ---


def test_a_good_place() -> None:
    fields, errors = clean_location(
        {
            "name": " Kho Giồng Trôm ",
            "kind": "warehouse",
            "province_code": "86",
            "latitude": "10,15",
            "longitude": 106.5,
        }
    )
    assert errors == {} and fields is not None
    assert (fields.name, fields.kind, fields.province_code) == ("Kho Giồng Trôm", LocationKind.WAREHOUSE, 86)
    assert (fields.latitude, fields.longitude) == (10.15, 106.5)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "booth"}, "name"),
        ({"name": 12, "kind": "booth"}, "name"),
        ({"name": "Kho"}, "kind"),
        ({"name": "Kho", "kind": "WAREHOUSE"}, "kind"),
        ({"name": "Kho", "kind": "booth", "address": "x" * 301}, "address"),
        ({"name": "Kho", "kind": "booth", "province_code": "abc"}, "province_code"),
        ({"name": "Kho", "kind": "booth", "longitude": "106"}, "latitude"),
        ({"name": "Kho", "kind": "booth", "latitude": "nan", "longitude": "106"}, "latitude"),
        ({"name": "Kho", "kind": "booth", "latitude": "35.6", "longitude": "139.7"}, "latitude"),
    ],
)
def test_a_bad_place(raw: dict[str, object], field: str) -> None:
    fields, errors = clean_location(raw)
    assert fields is None and field in errors


# --- the rules the ledger writer builds on ---


def test_combine_sums_per_product_in_id_order() -> None:
    assert rules.combine([(9, 1), (3, 2), (9, 4)]) == [(3, 2), (9, 5)]
    with pytest.raises(ValueError):
        rules.combine([(1, 0)])


def test_a_combo_draws_each_components_stock() -> None:
    taken = rules.expand_combos([(1, None, 2), (None, 7, 3)], {7: [(1, 1), (2, 2)]})
    assert taken == [(1, 5), (2, 6)]


@given(st.integers(1, 10_000), st.integers(-5, 10_000))
def test_a_shortfall_is_what_is_missing_and_never_negative(requested: int, available: int) -> None:
    missing = rules.shortfall(requested, available)
    assert missing >= 0
    assert max(available, 0) + missing >= requested
    assert missing == 0 or max(available, 0) + missing == requested


def test_ledger_levels_sum_movements_per_product_and_place() -> None:
    assert rules.ledger_levels([(1, 1, 5), (1, 1, -2), (1, 2, 3)]) == {(1, 1): 3, (1, 2): 3}


def user(**roles: frozenset[int] | bool) -> CurrentUser:
    return CurrentUser(id=1, email="a@b.vn", name="", **roles)  # type: ignore[arg-type]


def test_who_manages_and_sells_at_a_place() -> None:
    vendor = user(vendor_of_producers=frozenset({5}))
    organizer = user(organizer_of=frozenset({2}))
    operator = user(vendor_of_orgs=frozenset({3}))
    cashier = user(cashier_of_producers=frozenset({5}), cashier_of_orgs=frozenset({3}))
    admin = user(is_admin=True)
    assert rules.can_manage_location(vendor, 5, None, None)
    assert not rules.can_manage_location(vendor, 6, None, None)
    assert rules.can_manage_location(organizer, 6, None, 2)  # a producer its office registered
    assert not rules.can_manage_location(organizer, None, 3, None)
    assert rules.can_manage_location(operator, None, 3, None)
    assert not rules.can_manage_location(cashier, 5, None, None)
    assert rules.can_sell_at(cashier, 5, None, None) and rules.can_sell_at(cashier, None, 3, None)
    assert not rules.can_sell_at(cashier, 6, None, None)
    assert rules.can_manage_location(admin, None, 99, None) and rules.can_sell_at(admin, 99, None, None)
    assert not rules.can_manage_location(None, 5, None, None) and not rules.can_sell_at(None, 5, None, None)
