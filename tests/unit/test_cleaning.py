"""app.cleaning.whole_number: the one reading of a whole number from a form or JSON body."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cleaning import whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 7 ", 7), (5, 5), ("999999999", 999_999_999), ("0042", 42)],
)
def test_positive_whole_numbers_are_read(raw: Any, expected: int) -> None:
    assert whole_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "0",
        0,
        -3,
        "-3",
        "+3",
        "1.5",
        1.0,
        "1e3",
        "١٢",
        "²",
        "12a",
        True,
        False,
        [1],
        {"a": 1},
        "9" * 10,
        10**9,
    ],
)
def test_anything_else_is_none(raw: Any) -> None:
    assert whole_number(raw) is None


def test_the_number_of_digits_is_the_callers() -> None:
    assert whole_number("12345", digits=4) is None
    assert whole_number("1234", digits=4) == 1234
    assert whole_number(10**11, digits=12) == 10**11


@given(st.text(max_size=12))
def test_a_number_read_from_text_is_that_texts_ascii_digits(raw: str) -> None:
    number = whole_number(raw)
    if number is not None:
        assert str(number) == raw.strip().lstrip("0") and number > 0
