"""A sale rung up offline stays its cashier's when someone else sends it: the cashier sells with no network
and logs out with the sale still on the phone; the vendor logs in on the same phone, opens the register,
and the outbox sends the sale under the vendor's session — the server records the cashier who rang it up,
and the vendor as who sent it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_out, open_menu
from tests.browser.test_register_offline import (
    SYNC_TIMEOUT,
    missing_api,
    open_register,
    pending,
    product_id,
    ring_up_cash,
    stock_on_server,
)

VENDOR = "htxdua@chophien.vn"  # Nguyễn Văn Lợi, who runs the booth
CASHIER_NAME = "Lê Thu Ngân"
VENDOR_NAME = "Nguyễn Văn Lợi"


def test_a_sale_left_in_the_outbox_at_log_out_stays_the_cashiers(page: Any) -> None:
    data = open_register(page)  # the cashier
    if reason := missing_api(page):
        pytest.skip(reason)
    location_id = int(data["location"]["id"])
    pid = product_id(data)
    before = stock_on_server(page, location_id, pid)

    page.context.set_offline(True)
    pending(page).to_have_attribute("data-online", "0")
    sale_id = ring_up_cash(page, pid, 1)
    pending(page).to_have_attribute("data-pending", "1")

    # Leave the register before the network returns (it would send the sale at once), then log out:
    # the page first says a sale is still waiting; "no" stays logged in, "yes" logs out.
    page.goto("about:blank")
    page.context.set_offline(False)
    page.goto("/")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        if len(asked) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    open_menu(page)
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    page.wait_for_function("() => !document.querySelector('form[action=\"/logout\"]').dataset.forgotten")
    assert len(asked) == 1 and "Còn 1 đơn bán" in asked[0]
    assert page.request.get(f"/api/v1/sales/{sale_id}").status == 404  # still logged in; not sent yet
    log_out(page)
    assert len(asked) == 2
    assert page.request.get(f"/api/v1/sales/{sale_id}").status in (401, 403)  # logged out

    register = open_register(page, VENDOR)["url"]
    pending(page).to_have_attribute("data-pending", "0", timeout=SYNC_TIMEOUT)
    assert page.request.get(f"/api/v1/sales/{sale_id}").status == 200
    assert stock_on_server(page, location_id, pid) == before - 1

    page.goto(f"/pos/sales/{sale_id}")
    people = page.locator("#sale-people")
    expect(people).to_contain_text(CASHIER_NAME)
    expect(people).to_contain_text(VENDOR_NAME)
    # The vendor's own sales on this page are the vendor's.
    page.goto(register)
    page.locator("html[data-register-ready]").wait_for(state="attached")
    own = ring_up_cash(page, pid, 1)
    pending(page).to_have_attribute("data-pending", "0", timeout=SYNC_TIMEOUT)
    page.goto(f"/pos/sales/{own}")
    expect(page.locator("#sale-people")).to_contain_text(VENDOR_NAME)
    expect(page.locator("#sale-people")).not_to_contain_text(CASHIER_NAME)
