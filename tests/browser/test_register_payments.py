"""Paying at the register: part cash and the rest by VietQR (the code is drawn by the server), the receipt
with its QR code and its 80 mm print layout, and VietQR with no network (the account's static code)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_register_offline import (
    SYNC_TIMEOUT,
    missing_api,
    open_register,
    pending,
    product_id,
)


def money(amount: int) -> str:
    """The Vietnamese format the page uses: 25.000 ₫."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def test_part_cash_and_the_rest_by_vietqr_then_the_receipt(page: Any) -> None:
    data = open_register(page)
    if reason := missing_api(page):
        pytest.skip(reason)
    if not data["vietqr"]["enabled"]:
        pytest.skip("the demo producer has no bank account yet")
    pid = product_id(data)
    price = next(int(p["price"]) for p in data["products"] if p["id"] == pid)
    page.locator(f".reg-tile[data-key='p:{pid}']").click()
    page.click("#reg-pay")
    expect(page.locator("#pay-total")).to_have_text(money(price))

    page.click("[data-note='10000']")
    page.click("[data-note='10000']")
    expect(page.locator("#pay-short")).to_contain_text(money(price - 20000))
    expect(page.locator("#pay-cash-done")).to_be_disabled()
    split = page.locator("#pay-split")
    expect(split).to_contain_text(money(price - 20000))
    split.click()

    code = page.locator("#qr-img")
    expect(code).to_be_visible()
    assert code.evaluate("img => img.naturalWidth") > 100
    expect(page.locator("#qr-amount")).to_have_text(money(price - 20000))
    reference = page.locator("#qr-ref").inner_text()
    assert re.fullmatch(r"CP[0-9A-F]{12}", reference)
    page.click("#qr-done")

    receipt = page.locator("#receipt-sheet")
    expect(receipt).to_be_visible()
    sale_id = receipt.get_attribute("data-sale-id") or ""
    assert reference == "CP" + sale_id.replace("-", "")[:12].upper()
    expect(page.locator("#rc-cash")).to_have_text(money(20000))
    expect(page.locator("#rc-vietqr")).to_have_text(money(price - 20000))
    expect(page.locator("#rc-no")).to_have_text(re.compile(r"^\d+$"), timeout=SYNC_TIMEOUT)
    expect(page.locator("#rc-qr")).to_be_visible()
    expect(page.locator("#rc-url")).to_contain_text(sale_id)

    # Printing shows the receipt alone.
    page.emulate_media(media="print")
    expect(page.locator("#reg-tiles")).to_be_hidden()
    expect(page.locator("#receipt")).to_be_visible()
    expect(page.locator("#rc-print")).to_be_hidden()
    page.emulate_media(media="screen")

    sale = page.request.get(f"/api/v1/sales/{sale_id}").json()
    assert sale["total_vnd"] == price
    if "payments" in sale:
        assert sorted((p["method"], p["amount_vnd"]) for p in sale["payments"]) == sorted(
            [("cash", 20000), ("vietqr", price - 20000)]
        )


def test_the_vietqr_code_is_drawn_by_the_server_for_a_valid_amount_only(page: Any) -> None:
    data = open_register(page)
    if not data["vietqr"]["enabled"]:
        pytest.skip("the demo producer has no bank account yet")
    url = data["urls"]["vietqr"]
    good = page.request.get(f"{url}?amount=45000&ref=CP0123456789AB")
    assert good.status == 200
    assert good.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in good.text()
    for bad in ("0", "-5", "1.5", "abc", ""):
        assert page.request.get(f"{url}?amount={bad}&ref=x").status == 422, bad


def test_vietqr_without_network_shows_the_accounts_code_and_the_sale_waits(page: Any) -> None:
    data = open_register(page)
    if reason := missing_api(page):
        pytest.skip(reason)
    if not data["vietqr"]["enabled"]:
        pytest.skip("the demo producer has no bank account yet")
    pid = product_id(data)
    page.context.set_offline(True)
    pending(page).to_have_attribute("data-online", "0")
    page.locator(f".reg-tile[data-key='p:{pid}']").click()
    page.click("#reg-pay")
    page.click("#pay-vietqr")
    expect(page.locator("#qr-static svg")).to_be_visible()
    expect(page.locator("#qr-note")).to_be_visible()
    expect(page.locator("#qr-img")).to_be_hidden()
    page.click("#qr-done")
    expect(page.locator("#receipt-sheet")).to_be_visible()
    expect(page.locator("#rc-qr-note")).to_be_visible()
    page.click("#rc-new")
    pending(page).to_have_attribute("data-pending", "1")

    page.context.set_offline(False)
    pending(page).to_have_attribute("data-pending", "0", timeout=SYNC_TIMEOUT)
