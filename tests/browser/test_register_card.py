"""Card payments at the register, clicked through: the cashier picks "Card", the shopper pays on their own
phone, and the register learns it from the server (even after a reload).

The vendor (htxdua@chophien.vn) rings up two candies and picks Card: the stock is held at the booth and the
register shows the pay page's QR code. A second browser (the tourist) opens the pay page, types the 3-D
Secure test card into localstripe's Card Element and completes authentication twice (the card's set-up,
then the payment). Nothing on the register completes the sale: localstripe sends the signed webhook to the
server (about a second later), the server writes the sale with the register's UUID, and the register shows
its receipt with the receipt number. The vendor then refunds one candy from the recent-sales panel, back to
the card. With the cashier (thungan@chophien.vn), a card over the stock is refused and the cart kept; Card is
off without a network; a declined card is said on both phones; then the cashier cancels and the hold is
given back.

Runs on the demo data (the booth "Gian hàng HTX Dừa Giồng Trôm", its register "Quầy 1", "Kẹo dừa sáp Giồng
Trôm" at 45.000 ₫), with Stripe on: the browser tests' server talks to localstripe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_register_offline import (
    CASHIER,
    SYNC_TIMEOUT,
    open_register,
    pending,
    product_id,
    stock_on_server,
)

VENDOR = "htxdua@chophien.vn"
CANDY = "Kẹo dừa sáp Giồng Trôm"  # 45.000 ₫
CARD_3DS = "4000002760003184"
CARD_DECLINED = "4000000000000341"
PAID_TIMEOUT = 30_000  # the webhook comes about a second after the payment; a busy machine is slower


def money(amount: int) -> str:
    """The Vietnamese format of the register: 1.500.000 ₫."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def strings(page: Any) -> dict[str, str]:
    """The register's own texts, in the page's language."""
    return dict(json.loads(page.locator("#register-strings").text_content() or "{}"))


def fill(text: str, **values: Any) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


@pytest.fixture
def tourist(browser: Any, live_server: str) -> Iterator[Any]:
    """The shopper's own phone: another browser profile, not logged in."""
    context = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(15_000)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    yield phone
    context.close()
    assert not errors, f"JavaScript errors on the pay page: {errors}"


def type_card(phone: Any, number: str) -> None:
    """localstripe's Card Element: plain inputs inside #card-element, named by their placeholders."""
    card = phone.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("70000")


def pick_card(page: Any) -> tuple[str, str]:
    """Pay → Card; returns the checkout's (sale) id and the pay page's address."""
    page.click("#reg-pay")
    expect(page.locator("#pay-card")).to_be_enabled()
    page.click("#pay-card")
    sheet = page.locator("#card-sheet")
    expect(sheet).to_be_visible()
    expect(page.locator("#card-qr svg")).to_be_visible()
    link = page.locator("#card-url")
    pay_url = link.get_attribute("href") or ""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/pay/[\w-]+", pay_url), pay_url
    expect(link).to_have_text(pay_url)
    return sheet.get_attribute("data-checkout-id") or "", pay_url


def test_a_card_sale_with_3d_secure_then_its_refund_to_the_card(page: Any, tourist: Any) -> None:
    data = open_register(page, VENDOR)
    assert data["card"] is True
    texts = strings(page)
    location_id = int(data["location"]["id"])
    candy = product_id(data, CANDY)
    before = stock_on_server(page, location_id, candy)
    assert before >= 3, "the demo stock is too small for this test"
    tile = page.locator(f".reg-tile[data-key='p:{candy}']")
    tile.click()
    tile.click()
    expect(page.locator("#reg-total")).to_have_text(money(90_000))

    sale_id, pay_url = pick_card(page)
    expect(page.locator("#card-amount")).to_have_text(money(90_000))
    expect(page.locator("#card-status")).to_have_text(texts["card_waiting"])
    assert stock_on_server(page, location_id, candy) == before - 2  # held while the shopper pays
    assert page.request.get(f"/api/v1/sales/{sale_id}").status == 404  # no sale yet

    # A reload (or a crash) meanwhile loses nothing: the register reopens the checkout it kept on the phone.
    page.reload()
    page.locator("html[data-register-ready]").wait_for(state="attached")
    expect(page.locator("#card-sheet")).to_be_visible()
    expect(page.locator("#card-sheet")).to_have_attribute("data-checkout-id", sale_id)
    expect(page.locator("#card-amount")).to_have_text(money(90_000))
    expect(page.locator("#card-url")).to_have_attribute("href", pay_url)

    # The tourist pays on their own phone; the card asks for 3-D Secure twice (set-up, then payment).
    tourist.goto(pay_url)
    expect(tourist.locator(".pay-total")).to_have_text(money(90_000))
    type_card(tourist, CARD_3DS)
    tourist.locator("#pay-button").click()
    for _ in range(2):
        authenticate = tourist.get_by_role("button", name="Complete authentication")
        expect(authenticate).to_be_visible()
        authenticate.click()
        expect(authenticate).to_have_count(0)
    expect(tourist.locator(".pay-done")).to_be_visible(timeout=PAID_TIMEOUT)

    # The register finishes as a sale does: the receipt, with the server's receipt number, and no cart.
    receipt = page.locator("#receipt-sheet")
    expect(receipt).to_be_visible(timeout=PAID_TIMEOUT)
    expect(page.locator("#card-sheet")).to_be_hidden()
    expect(page.locator("#pay-sheet")).to_be_hidden()
    assert receipt.get_attribute("data-sale-id") == sale_id
    expect(page.locator("#rc-no")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#rc-total")).to_have_text(money(90_000))
    expect(page.locator("#rc-card")).to_have_text(money(90_000))
    expect(page.locator("#rc-cash-row")).to_be_hidden()
    expect(page.locator("#rc-url")).to_contain_text(sale_id)
    receipt_no = int(page.locator("#rc-no").inner_text())

    sale = page.request.get(f"/api/v1/sales/{sale_id}").json()
    assert (sale["receipt_no"], sale["total_vnd"]) == (receipt_no, 90_000)
    assert [(p["method"], p["amount_vnd"], p["status"]) for p in sale["payments"]] == [
        ("stripe", 90_000, "succeeded")
    ]
    recent = page.request.get(data["urls"]["recent"]).json()["sales"]
    assert [s["id"] for s in recent].count(sale_id) == 1  # one sale, whatever the events and polls did
    assert stock_on_server(page, location_id, candy) == before - 2  # the hold became the sale
    expect(tile).to_have_attribute("data-stock", str(before - 2), timeout=SYNC_TIMEOUT)
    page.click("#rc-new")
    expect(page.locator("#reg-cart-empty")).to_be_visible()
    pending(page).to_have_attribute("data-pending", "0")  # nothing waits in the outbox: the server wrote it

    # A refund of the card sale goes back to the card.
    page.click("#reg-recent")
    entry = page.locator(f"#recent-list button[data-id='{sale_id}']")
    expect(entry).to_be_visible(timeout=SYNC_TIMEOUT)
    entry.click()
    expect(page.locator("#refund-form")).to_be_visible()
    expect(page.locator("#refund-method")).to_have_value("stripe")
    row = page.locator("#refund-lines .refund-line", has_text=CANDY)
    row.locator("button[data-act='more']").click()
    submit = page.locator("#refund-submit")
    expect(submit).to_have_text(fill(texts["refund_card"], amount=money(45_000)))
    page.fill("#refund-reason", "Khách đổi ý")
    submit.click()
    expect(page.locator("#recent-msg")).to_have_text(
        fill(texts["refund_card_done"], amount=money(45_000)), timeout=SYNC_TIMEOUT
    )
    sale = page.request.get(f"/api/v1/sales/{sale_id}").json()
    assert (sale["status"], sale["refunded_vnd"]) == ("partly_refunded", 45_000)
    assert [(p["method"], p["status"]) for p in sale["payments"]] == [("stripe", "partly_refunded")]
    assert stock_on_server(page, location_id, candy) == before - 1

    # A cash sale is not offered the card.
    page.locator("#recent-sheet [data-close]").click()
    page.locator(f".reg-tile[data-key='p:{candy}']").click()
    page.click("#reg-pay")
    page.click("#pay-exact")
    page.click("#pay-cash-done")
    expect(receipt).to_be_visible()
    expect(receipt).not_to_have_attribute("data-sale-id", sale_id)
    cash_id = receipt.get_attribute("data-sale-id") or ""
    expect(page.locator("#rc-no")).to_have_text(re.compile(r"^\d+$"), timeout=SYNC_TIMEOUT)
    expect(page.locator("#rc-card-row")).to_be_hidden()
    page.click("#rc-new")
    page.click("#reg-recent")
    page.locator(f"#recent-list button[data-id='{cash_id}']").click()
    expect(page.locator("#refund-submit")).to_be_enabled()
    expect(page.locator("#refund-method")).to_have_value("cash")
    expect(page.locator("#refund-method option[value='stripe']")).to_be_disabled()


def test_a_declined_card_then_the_cashier_cancels_and_the_stock_comes_back(page: Any, tourist: Any) -> None:
    data = open_register(page, CASHIER)
    assert data["card"] is True and data["can_refund"] is False
    location_id = int(data["location"]["id"])
    candy = product_id(data, CANDY)
    before = stock_on_server(page, location_id, candy)
    assert before >= 1, "the demo stock is too small for this test"
    tile = page.locator(f".reg-tile[data-key='p:{candy}']")
    expect(tile).to_have_attribute("data-stock", str(before))
    line = page.locator(f".reg-line[data-key='p:{candy}']")

    # More than the booth has: refused, said on the payment sheet, the cart kept, nothing held.
    tile.click()
    line.locator("input").fill(str(before + 5))
    line.locator("input").dispatch_event("change")
    page.click("#reg-pay")
    page.click("#pay-card")
    error = page.locator("#pay-card-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("#card-sheet")).to_be_hidden()
    expect(line.locator("input")).to_have_value(str(before + 5))
    assert stock_on_server(page, location_id, candy) == before
    page.locator("#pay-sheet [data-close]").click()
    line.locator("input").fill("1")
    line.locator("input").dispatch_event("change")
    expect(tile).to_have_attribute("data-stock", str(before - 1))

    # No network: Card is off, and says why.
    page.context.set_offline(True)
    pending(page).to_have_attribute("data-online", "0")
    page.click("#reg-pay")
    expect(page.locator("#pay-card")).to_be_disabled()
    expect(page.locator("#pay-card-offline")).to_be_visible()
    page.context.set_offline(False)
    expect(page.locator("#pay-card")).to_be_enabled()
    expect(page.locator("#pay-card-offline")).to_be_hidden()
    page.locator("#pay-sheet [data-close]").click()

    sale_id, pay_url = pick_card(page)
    expect(page.locator("#card-amount")).to_have_text(money(45_000))
    assert stock_on_server(page, location_id, candy) == before - 1  # held

    # The tourist's card is declined: their page says so, and so does the register, which keeps waiting.
    tourist.goto(pay_url)
    type_card(tourist, CARD_DECLINED)
    tourist.locator("#pay-button").click()
    declined = tourist.locator("#pay-status.is-error")
    expect(declined).to_be_visible(timeout=PAID_TIMEOUT)
    why = declined.inner_text().strip()
    assert why
    card_error = page.locator("#card-error")
    expect(card_error).to_be_visible(timeout=PAID_TIMEOUT)
    expect(card_error).to_contain_text(why)
    expect(page.locator("#card-sheet")).to_be_visible()

    # The cashier cancels: the panel closes, the cart stays, the hold is given back.
    page.click("#card-cancel")
    expect(page.locator("#card-sheet")).to_be_hidden()
    expect(page.locator("#pay-sheet")).to_be_visible()
    expect(page.locator("#pay-card-error")).to_have_text(strings(page)["card_cancelled"])
    assert stock_on_server(page, location_id, candy) == before
    assert page.request.get(f"/api/v1/sales/{sale_id}").status == 404
    checkout = page.request.get(f"{data['urls']['card_checkouts']}/{sale_id}").json()
    assert (checkout["status"], checkout["sale_id"]) == ("cancelled", None)
    page.locator("#pay-sheet [data-close]").click()
    expect(line.locator("input")).to_have_value("1")
    expect(tile).to_have_attribute("data-stock", str(before - 1), timeout=SYNC_TIMEOUT)
    line.locator("button[data-act='less']").click()
    expect(tile).to_have_attribute("data-stock", str(before), timeout=SYNC_TIMEOUT)

    # The pay page no longer takes a card.
    tourist.reload()
    expect(tourist.locator("#pay-form")).to_have_count(0)
