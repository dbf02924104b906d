"""Discounts and refunds at the register, clicked through on a phone-sized screen.

The vendor (htxdua@chophien.vn, who may discount and refund at its booth) takes 10.000 ₫ off a line and
5.000 ₫ off the sale, sells for cash — the total the cart shows is the server's total — then refunds one unit
from the recent-sales panel with a reason and sees the stock come back. The cashier (thungan@chophien.vn)
gets no discount or refund control, and the server refuses a discount from her anyway.

Runs on the demo data: the booth "Gian hàng HTX Dừa Giồng Trôm", its register "Quầy 1", "Kẹo dừa sáp Giồng
Trôm" at 45.000 ₫ and "Dầu dừa tinh khiết ép lạnh" at 120.000 ₫.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from playwright.sync_api import expect

from app.pos import rules
from tests.browser.test_register_offline import (
    CASHIER,
    SYNC_TIMEOUT,
    csrf_token,
    missing_api,
    open_register,
    product_id,
    stock_on_server,
)

VENDOR = "htxdua@chophien.vn"
CANDY = "Kẹo dừa sáp Giồng Trôm"  # 45.000 ₫
OIL = "Dầu dừa tinh khiết ép lạnh"  # 120.000 ₫


def money(amount: int) -> str:
    """The Vietnamese format of the register: 1.500.000 ₫."""
    return f"{amount:,}".replace(",", ".") + " ₫"


TOTALS = """async (cases) => {
  const { saleTotals } = await import('/static/js/register/cart.js');
  const { refundAmount } = await import('/static/js/register/refund.js');
  return cases.map(([lines, order, refunds]) => {
    try {
      const cart = lines.map(([price, quantity, discount]) => ({ price, quantity, discount }));
      const t = saleTotals(cart, order);
      return [t.lines.map((l) => l.total), t.subtotal, t.total,
        refunds.map(([net, quantity, before, now]) => refundAmount(net, quantity, before, now))];
    } catch (err) {
      return err instanceof RangeError ? 'refused' : String(err);
    }
  });
}"""


def give_discount(page: Any, opener: Any, amount: str) -> None:
    opener.click()
    sheet = page.locator("#disc-sheet")
    expect(sheet).to_be_visible()
    page.fill("#disc-amount", amount)
    page.click("#disc-apply")
    expect(sheet).to_be_hidden()


def test_a_vendor_discounts_sells_and_refunds_one_line(page: Any) -> None:
    data = open_register(page, VENDOR)
    assert missing_api(page) is None
    assert data["can_discount"] is True and data["can_refund"] is True
    location_id = int(data["location"]["id"])
    candy, oil = product_id(data, CANDY), product_id(data, OIL)
    prices = {int(p["id"]): int(p["price"]) for p in data["products"]}
    assert (prices[candy], prices[oil]) == (45_000, 120_000)
    candy_before = stock_on_server(page, location_id, candy)
    oil_before = stock_on_server(page, location_id, oil)
    assert candy_before >= 2 and oil_before >= 1, "the demo stock is too small for this test"

    page.locator(f".reg-tile[data-key='p:{candy}']").click()
    page.locator(f".reg-tile[data-key='p:{candy}']").click()
    page.locator(f".reg-tile[data-key='p:{oil}']").click()
    candy_line = page.locator(f".reg-line[data-key='p:{candy}']")
    expect(candy_line.locator("input")).to_have_value("2")
    expect(page.locator("#reg-total")).to_have_text(money(210_000))

    # A discount larger than the line is refused next to the field, and changes nothing.
    candy_line.locator("button[data-act='disc']").click()
    page.fill("#disc-amount", "100.000")
    page.click("#disc-apply")
    expect(page.locator("#disc-error")).to_be_visible()
    expect(page.locator("#disc-error")).to_contain_text(money(90_000))
    expect(page.locator("#disc-amount")).to_have_attribute("aria-invalid", "true")
    page.locator("#disc-sheet [data-close]").click()
    expect(page.locator("#reg-total")).to_have_text(money(210_000))

    give_discount(page, candy_line.locator("button[data-act='disc']"), "10.000")
    expect(candy_line.locator(".tt")).to_have_text(money(80_000))
    expect(candy_line.locator(".ld")).to_contain_text(money(10_000))
    give_discount(page, page.locator("#reg-order-btn"), "5000")
    expect(page.locator("#reg-subtotal")).to_contain_text(money(200_000))
    expect(page.locator("#reg-order-disc")).to_have_attribute("data-amount", "5000")
    shown = 200_000 - 5_000
    expect(page.locator("#reg-total")).to_have_text(money(shown))
    # Every control stays a thumb's size on a phone.
    for control in ("#reg-order-btn", f".reg-line[data-key='p:{candy}'] button[data-act='disc']", "#reg-pay"):
        box = page.locator(control).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, control

    page.click("#reg-pay")
    expect(page.locator("#pay-total")).to_have_text(money(shown))
    page.click("[data-note='200000']")
    expect(page.locator("#pay-change")).to_have_text(money(5_000))
    page.click("#pay-cash-done")
    sheet = page.locator("#receipt-sheet")
    expect(sheet).to_be_visible()
    expect(page.locator("#rc-discount")).to_have_text("−" + money(5_000))
    expect(page.locator("#rc-total")).to_have_text(money(shown))
    sale_id = sheet.get_attribute("data-sale-id") or ""
    expect(page.locator("#rc-no")).to_have_text(re.compile(r"^\d+$"), timeout=SYNC_TIMEOUT)
    page.click("#rc-new")
    expect(sheet).to_be_hidden()

    sale = page.request.get(f"/api/v1/sales/{sale_id}").json()
    assert sale["total_vnd"] == shown  # what the cart showed is what the server computed
    assert (sale["subtotal_vnd"], sale["discount_vnd"]) == (200_000, 5_000)
    by_product = {line["product_id"]: line for line in sale["lines"]}
    assert (by_product[candy]["discount_vnd"], by_product[candy]["total_vnd"]) == (10_000, 80_000)
    assert by_product[oil]["discount_vnd"] == 0
    assert stock_on_server(page, location_id, candy) == candy_before - 2
    candy_tile = page.locator(f".reg-tile[data-key='p:{candy}']")
    expect(candy_tile).to_have_attribute("data-stock", str(candy_before - 2), timeout=SYNC_TIMEOUT)

    # Offline, the panel says refunds need the network.
    page.context.set_offline(True)
    page.click("#reg-recent")
    expect(page.locator("#recent-offline")).to_be_visible()
    page.context.set_offline(False)
    expect(page.locator("#recent-offline")).to_be_hidden()

    # The sale is in this register's recent sales; take one candy back.
    entry = page.locator(f"#recent-list button[data-id='{sale_id}']")
    expect(entry).to_be_visible(timeout=SYNC_TIMEOUT)
    expect(entry).to_contain_text(money(shown))
    entry.click()
    form = page.locator("#refund-form")
    expect(form).to_be_visible()
    row = form.locator(".refund-line", has_text=CANDY)
    row.locator("button[data-act='more']").click()
    expect(row.locator("input")).to_have_value("1")
    # Its net is 80.000 less its share of the 5.000 off the sale (2.000): one of two units is 39.000.
    expect(page.locator("#refund-submit")).to_have_attribute("data-amount", "39000")
    expect(page.locator("#refund-submit")).to_contain_text(money(39_000))
    page.click("#refund-submit")  # no reason yet
    expect(page.locator("#refund-reason-error")).to_be_visible()
    assert page.request.get(f"/api/v1/sales/{sale_id}").json()["refunded_vnd"] == 0
    page.fill("#refund-reason", "Khách đổi ý")
    page.click("#refund-submit")
    expect(page.locator("#recent-msg")).to_contain_text(money(39_000), timeout=SYNC_TIMEOUT)
    expect(entry).to_contain_text("Đã hoàn một phần")

    sale = page.request.get(f"/api/v1/sales/{sale_id}").json()
    assert (sale["status"], sale["refunded_vnd"]) == ("partly_refunded", 39_000)
    assert stock_on_server(page, location_id, candy) == candy_before - 1
    page.locator("#recent-sheet [data-close]").click()
    expect(candy_tile).to_have_attribute("data-stock", str(candy_before - 1), timeout=SYNC_TIMEOUT)
    expect(candy_tile.locator(".st")).to_contain_text(str(candy_before - 1))


def test_a_cashier_has_no_discount_or_refund_controls(page: Any) -> None:
    data = open_register(page, CASHIER)
    assert data["can_discount"] is False and data["can_refund"] is False
    candy = product_id(data, CANDY)
    page.locator(f".reg-tile[data-key='p:{candy}']").click()
    expect(page.locator(f".reg-line[data-key='p:{candy}']")).to_be_visible()
    for absent in ("button[data-act='disc']", "#reg-order", "#disc-sheet", "#reg-recent", "#recent-sheet"):
        expect(page.locator(absent)).to_have_count(0)

    # The server refuses her a discount anyway, whatever a page sends.
    refused = page.request.post(
        "/api/v1/sales",
        headers={"X-CSRFToken": csrf_token(page)},
        data={
            "id": str(uuid.uuid4()),
            "location_id": data["location"]["id"],
            "register_id": data["register"]["id"],
            "lines": [{"product_id": candy, "quantity": 1, "discount_vnd": 5_000}],
            "payments": [{"method": "cash", "amount_vnd": 40_000}],
        },
    )
    assert refused.status == 403, refused.text()


def test_the_cart_computes_totals_and_refunds_as_the_server_does(page: Any) -> None:
    """cart.js's saleTotals and refund.js's refundAmount against app/pos/rules.py on random carts, including
    discounts the server refuses (more than the line, more than the subtotal)."""
    chance = random.Random(20261126)
    cases: list[Any] = []
    expected: list[Any] = []
    for _ in range(300):
        lines = []
        for _ in range(chance.randint(1, 5)):
            price, quantity = chance.choice([0, 1_000, 45_000, 120_000, 1_234_567]), chance.randint(1, 12)
            discount = chance.choice([0, 0, chance.randint(0, price * quantity + 2)])
            lines.append([price, quantity, discount])
        subtotal = sum(p * q - d for p, q, d in lines)
        order = chance.choice([0, chance.randint(0, max(0, subtotal) + 2)])
        try:
            totals = rules.sale_totals([rules.LineIn(p, q, d) for p, q, d in lines], order)
        except rules.SaleRuleError:
            cases.append([lines, order, []])
            expected.append("refused")
            continue
        nets = rules.line_nets([a.total_vnd for a in totals.lines], order)
        refunds = []
        for net, (_p, quantity, _d) in zip(nets, lines, strict=True):
            before = chance.randint(0, quantity - 1)
            refunds.append([net, quantity, before, chance.randint(1, quantity - before)])
        cases.append([lines, order, refunds])
        expected.append(
            [
                [a.total_vnd for a in totals.lines],
                totals.subtotal_vnd,
                totals.total_vnd,
                [rules.refund_amount(*refund) for refund in refunds],
            ]
        )
    page.goto("/")
    assert page.evaluate(TOTALS, cases) == expected
    assert "refused" in expected and any(e != "refused" for e in expected)
