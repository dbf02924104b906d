"""VND parsing and formatting: whole đồng only, grouped the way people type them."""

from __future__ import annotations

import pytest

from app.money import MAX_VND, MoneyError, format_vnd, from_stripe_amount, parse_vnd, to_stripe_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("1\u00a0500\u00a0000", 1_500_000),
        ("1.500.000 ₫", 1_500_000),
        ("1.500.000đ", 1_500_000),
        ("45.000 VND", 45_000),
        ("  45000  ", 45_000),
        ("0", 0),
        (45_000, 45_000),
    ],
)
def test_parse_vnd_reads_amounts_as_people_type_them(text: str | int, expected: int) -> None:
    assert parse_vnd(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "negative"),
        ("-1.500", "negative"),
        (-5, "negative"),
        ("1.5", "not a whole number of đồng"),
        ("12,5", "not a whole number of đồng"),
        ("15.00", "not a whole number of đồng"),
        ("1.500,000", "not a whole number of đồng"),
        ("1.50.000", "not a whole number of đồng"),
        ("abc", "not a whole number of đồng"),
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        (True, "not a number"),
        (MAX_VND + 1, "too large"),
    ],
)
def test_parse_vnd_refuses_fractions_negatives_and_garbage(text: str | int | None, reason: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_vnd(text)
    assert str(info.value) == reason


def test_parse_vnd_can_refuse_zero() -> None:
    assert parse_vnd("0") == 0
    with pytest.raises(MoneyError, match="zero"):
        parse_vnd("0", allow_zero=False)


def test_format_vnd_groups_with_dots_in_vietnamese_and_commas_in_english() -> None:
    assert format_vnd(1_500_000, "vi") == "1.500.000 ₫"
    assert format_vnd(1_500_000, "en") == "₫1,500,000"
    assert format_vnd(0, "vi") == "0 ₫"


def test_formatted_amounts_parse_back_to_the_same_amount() -> None:
    for amount in (0, 5, 45_000, 1_500_000, 123_456_789):
        assert parse_vnd(format_vnd(amount, "vi")) == amount


def test_stripe_amounts_for_vnd_are_whole_dong() -> None:
    assert to_stripe_amount(45_000) == 45_000
    assert from_stripe_amount(45_000) == 45_000
