"""A vendor pays a held booth's fee by card, and the organizer sees the booth confirmed.

The demo's vendor htxdua@chophien.vn holds booth A-01 at the published fair "Hội chợ OCOP Xứ Dừa", fee not
paid. From "My applications" they open "My booth", choose to pay by card, first try the declined test card
(refused, the booth still held), then type 4242 4242 4242 4242 into the pay page (Stripe.js here is
localstripe's stand-in) and pay. Nothing on the page confirms the booth: localstripe sends the signed
`payment_intent.succeeded` webhook to the server, which confirms it, and the page learns so live. The
organizer tochuc@chophien.vn then finds A-01 confirmed on the fair's assignment board.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import log_in

VENDOR = "htxdua@chophien.vn"
ORGANIZER = "tochuc@chophien.vn"
FAIR = "Xứ Dừa"
BOOTH = "A-01"


def type_card(page: Any, number: str) -> None:
    """localstripe's Card Element: plain inputs named by their placeholders."""
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("70000")


def test_vendor_pays_booth_fee_by_card_and_organizer_sees_it_confirmed(page: Any, browser: Any) -> None:
    log_in(page, VENDOR)
    page.goto("/applications")
    row = page.locator("#own_rows tr", has_text=FAIR)
    row.locator("a[href$='/my-booth']").click()
    page.wait_for_url(re.compile(r"/fairs/\d+/my-booth"))
    fair_id = re.search(r"/fairs/(\d+)/my-booth", page.url).group(1)  # type: ignore[union-attr]

    fee = page.locator("section.assign-fee", has_text=BOOTH)
    fee.locator("form.assign-card button[type=submit]").click()
    page.wait_for_url(re.compile(r"/pay/[\w-]+$"))
    expect(page.locator("h1")).to_contain_text(BOOTH)

    # A declined card first: refused on the page, the booth still held, the page ready for another card.
    type_card(page, "4000000000000341")
    page.locator("#pay-button").click()
    expect(page.locator("#pay-status.is-error")).to_be_visible(timeout=20_000)
    pay_url = page.url
    page.goto(f"/fairs/{fair_id}/my-booth")
    expect(page.locator("section.assign-fee", has_text=BOOTH)).to_be_visible()
    page.goto(pay_url)
    expect(page.locator("#pay-previous")).to_be_visible()

    type_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    # The webhook confirms the payment (localstripe sends it about a second later); the page follows.
    expect(page.locator(".pay-done")).to_be_visible(timeout=30_000)
    expect(page.locator(".pay-done a[href$='/my-booth']")).to_be_visible()

    organizer = browser.new_context(base_url=page.url.split("/pay/")[0], locale="vi-VN")
    try:
        board = organizer.new_page()
        log_in(board, ORGANIZER)
        board.goto(f"/manage/fairs/{fair_id}/assignments")
        booth_row = board.locator("tr[id^=assignment-]", has=board.locator("td strong", has_text=BOOTH))
        expect(booth_row.locator(".badge-ok")).to_be_visible()
        expect(booth_row.locator("td").nth(2)).to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4}"))  # paid on
    finally:
        organizer.close()

    # Back on the vendor's side, the booth is no longer waiting for its fee.
    page.goto(f"/fairs/{fair_id}/my-booth")
    expect(page.locator("section.assign-fee", has_text=BOOTH)).to_have_count(0)
