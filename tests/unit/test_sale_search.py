"""The sales history's search box: receipt numbers, payment references, a receipt's address; else nothing."""

from __future__ import annotations

import uuid

import pytest

from app.pos import rules

SALE = uuid.UUID("4f5cdfe1-9819-4a7e-8841-182ec044c164")


@pytest.mark.parametrize(
    ("typed", "receipt_no", "prefix"),
    [
        ("21", 21, None),
        (" #21 ", 21, None),
        ("Quầy 1 #21", 21, None),
        (rules.payment_reference(SALE), None, "4f5cdfe19819"),
        ("cp4f5cdfe19819", None, "4f5cdfe19819"),
        ("CP4F5C", None, "4f5c"),  # the first digits, as far as someone read them out
        ("NGUYEN VAN A CK CP4F5CDFE19819 MUA HANG", None, "4f5cdfe19819"),  # a bank statement's line
        (str(SALE), None, SALE.hex),
        (f"https://chophien.vn/receipts/{SALE}", None, SALE.hex),
        (SALE.hex.upper(), None, SALE.hex),
        ("kẹo dừa", None, None),  # no known shape: nothing is found, the page says what to type
        ("Quầy1", None, None),
        ("1234567890", None, None),  # more digits than any receipt number
        ("CP12", None, None),
        ("x" * 10_000 + "#21", None, None),  # only the first 200 characters are read
    ],
)
def test_what_the_box_understands(typed: str, receipt_no: int | None, prefix: str | None) -> None:
    found = rules.sale_search(typed)
    assert found is not None
    assert found == rules.SaleSearch(receipt_no=receipt_no, uuid_prefix=prefix)
    assert found.understood is (receipt_no is not None or prefix is not None)


@pytest.mark.parametrize("typed", ["", "   ", "\n"])
def test_an_empty_box_is_no_search(typed: str) -> None:
    assert rules.sale_search(typed) is None


def test_a_prefix_is_the_range_of_uuids_that_start_with_it() -> None:
    search = rules.SaleSearch(uuid_prefix="4f5cdfe19819")
    low, high = search.uuid_range() or (None, None)
    assert low == uuid.UUID("4f5cdfe1-9819-0000-0000-000000000000")
    assert high == uuid.UUID("4f5cdfe1-9819-ffff-ffff-ffffffffffff")
    assert low is not None and high is not None and low <= SALE <= high
    assert rules.SaleSearch(uuid_prefix=SALE.hex).uuid_range() == (SALE, SALE)
    assert rules.SaleSearch(receipt_no=3).uuid_range() is None
