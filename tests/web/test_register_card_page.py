"""The register page and cards: the payment sheet offers "Card" (with its panel, its texts and its script)
only where Stripe is set up, and nothing about cards otherwise; a card sale's refund, as the register's
refund panel sends it (`"method": "stripe"`), goes back to the card, and a cash sale's is refused."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.inventory.models import StockLevel
from app.payments.models import Payment, PaymentMethod, PaymentStatus
from app.pos.models import Sale
from tests.factories import api_token, login, pos_shop
from tests.stripe_support import CARD_OK, LocalStripe, signed_event

pytestmark = pytest.mark.usefixtures("english")

EN = {"Accept-Language": "en"}
CARD_ELEMENTS = ('id="pay-card"', 'id="card-sheet"', 'id="card-cancel"', 'id="rc-card-row"')


def page_data(html: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The register's boot JSON and its translated strings, as its script reads them."""
    boot = re.search(r'<script type="application/json" id="register-data">(.*?)</script>', html, re.S)
    strings = re.search(r'<script type="application/json" id="register-strings">(.*?)</script>', html, re.S)
    assert boot and strings
    return json.loads(boot.group(1)), json.loads(strings.group(1))


def import_map(html: str) -> dict[str, str]:
    found = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert found
    return dict(json.loads(found.group(1))["imports"])


async def register_page(client: AsyncTestClient[Litestar], email: str, register_id: int) -> str:
    await login(client, email)
    page = await client.get(f"/pos/registers/{register_id}", headers=EN)
    assert page.status_code == 200, page.text
    return page.text


async def test_the_vendor_gets_card_payment_where_stripe_is_on(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop = await pos_shop(db)
    html = await register_page(stripe_client, "vendor@htx.vn", shop["register"].id)
    boot, strings = page_data(html)
    assert boot["card"] is True
    assert boot["urls"]["card_checkouts"] == "/api/v1/card-checkouts"
    assert boot["urls"]["pay"] == "/pay/"
    assert boot["urls"]["sale"] == "/api/v1/sales/"
    for element in CARD_ELEMENTS:
        assert element in html, element
    assert ">Pay by card<" in html
    assert "The card pays the whole total." in html
    assert "A card payment needs the network." in html
    assert '<option value="stripe" hidden disabled>Back to the card it was paid with</option>' in html
    assert strings["card_waiting"] == "Waiting for the shopper to pay…"
    assert strings["card_declined"] == "The card did not go through: {why} The shopper can try another card."
    assert strings["refund_card"] == "Refund {amount} to the card"
    assert strings["refund_card_done"] == "Refunded {amount} to the card. The goods are back in stock."

    # The card module is versioned like the others, and the service worker keeps it for offline use.
    modules = import_map(html)
    card_js = modules["/static/js/register/card.js"]
    assert re.fullmatch(r"/static/js/register/card\.js\?v=[0-9a-f]{12}", card_js)
    worker = await stripe_client.get("/pos/sw.js")
    assert worker.status_code == 200
    assert json.dumps(card_js) in worker.text
    script = await stripe_client.get(card_js)
    assert script.status_code == 200
    assert "export class CardPanel" in script.text


async def test_a_cashier_gets_card_payment_but_no_refund_to_the_card(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop = await pos_shop(db)
    html = await register_page(stripe_client, "cashier@htx.vn", shop["register"].id)
    boot, strings = page_data(html)
    assert boot["card"] is True and boot["can_refund"] is False
    assert 'id="pay-card"' in html and 'id="card-sheet"' in html
    assert "card_waiting" in strings
    assert "refund_card" not in strings and "refund_card_done" not in strings
    assert 'value="stripe"' not in html


async def test_nothing_about_cards_where_stripe_is_off(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop = await pos_shop(db)
    html = await register_page(client, "vendor@htx.vn", shop["register"].id)
    boot, strings = page_data(html)
    assert boot["card"] is False
    assert boot["can_refund"] is True  # the vendor: the refund panel is there, without the card
    for element in CARD_ELEMENTS:
        assert element not in html, element
    assert 'value="stripe"' not in html
    assert not [key for key in strings if key.startswith(("card_", "refund_card"))]
    assert not [text for text in strings.values() if re.search(r"\bcard\b", text, re.I)]
    # The markup, its JSON aside (checked above; the import map lists every module of the register, card.js
    # too, which is imported only where cards are on).
    markup = re.sub(r"<script [^>]*>.*?</script>", "", html, flags=re.S)
    mention = re.search(r".{0,60}\bcard\b.{0,60}", markup, re.I)
    assert mention is None, mention.group(0)


# --- a card sale refunded as the register's refund panel does it ---


async def card_sale(
    client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe, shop: dict[str, Any]
) -> uuid.UUID:
    """A card sale made as at the register: the checkout, the shopper's pay page, then Stripe's webhook."""
    headers = await api_token(db, shop["vendor"])
    sale_id = uuid.uuid4()
    opened = await client.post(
        "/api/v1/card-checkouts",
        json={
            "id": str(sale_id),
            "location_id": shop["location"].id,
            "register_id": shop["register"].id,
            "lines": [{"product_id": shop["candy"].id, "quantity": 2}],
        },
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    token = opened.json()["pay_token"]
    assert (await client.get(f"/pay/{token}")).status_code == 200
    csrf = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    setup = await client.post(f"/pay/{token}/setup", headers=csrf)
    assert setup.status_code == 200, setup.text
    seti = localstripe.card_setup(setup.json()["client_secret"], CARD_OK)
    charged = await client.post(f"/pay/{token}/charge", json={"setup_intent": seti["id"]}, headers=csrf)
    assert charged.status_code == 200, charged.text
    payment = (await db.scalars(select(Payment).where(Payment.pay_token == token))).one()
    body, signature = signed_event("payment_intent.succeeded", localstripe.intent(payment.provider_reference))
    delivered = await client.post(
        "/webhooks/stripe",
        content=body,
        headers={"stripe-signature": signature, "content-type": "application/json"},
    )
    assert delivered.status_code == 200, delivered.text
    return sale_id


async def on_hand(db: AsyncSession, product_id: int, location_id: int) -> int:
    level = await db.scalar(
        select(StockLevel)
        .where(StockLevel.product_id == product_id, StockLevel.location_id == location_id)
        .execution_options(populate_existing=True)
    )
    assert level is not None
    return level.on_hand


async def test_a_card_sale_is_refunded_to_the_card(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await pos_shop(db)
    sale_id = await card_sale(stripe_client, db, localstripe, shop)
    headers = await api_token(db, shop["vendor"])
    sale = (await stripe_client.get(f"/api/v1/sales/{sale_id}", headers=headers)).json()
    assert [(p["method"], p["amount_vnd"], p["status"]) for p in sale["payments"]] == [
        ("stripe", 90_000, "succeeded")
    ]
    before = await on_hand(db, shop["candy"].id, shop["location"].id)

    refund = await stripe_client.post(
        f"/api/v1/sales/{sale_id}/refunds",
        json={
            "id": str(uuid.uuid4()),
            "reason": "Khách đổi ý",
            "method": "stripe",
            "register_id": shop["register"].id,
            "lines": [{"line_no": 1, "quantity": 1}],
        },
        headers=headers,
    )
    assert refund.status_code == 201, refund.text
    assert (refund.json()["method"], refund.json()["amount_vnd"]) == ("stripe", 45_000)
    payment = await db.scalar(
        select(Payment)
        .where(Payment.method == PaymentMethod.STRIPE, Payment.sale_id == (await sale_pk(db, sale_id)))
        .execution_options(populate_existing=True)
    )
    assert payment is not None
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.PARTLY_REFUNDED, 45_000)
    assert await on_hand(db, shop["candy"].id, shop["location"].id) == before + 1


async def sale_pk(db: AsyncSession, sale_id: uuid.UUID) -> int:
    sale = await db.scalar(select(Sale).where(Sale.uuid == sale_id).execution_options(populate_existing=True))
    assert sale is not None
    return sale.id


async def test_a_cash_sale_is_not_refunded_to_a_card(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop = await pos_shop(db)
    headers = await api_token(db, shop["vendor"])
    sale_id = uuid.uuid4()
    sold = await stripe_client.post(
        "/api/v1/sales",
        json={
            "id": str(sale_id),
            "location_id": shop["location"].id,
            "register_id": shop["register"].id,
            "lines": [{"product_id": shop["candy"].id, "quantity": 1}],
            "payments": [{"method": "cash", "amount_vnd": 45_000}],
        },
        headers=headers,
    )
    assert sold.status_code == 201, sold.text
    before = await on_hand(db, shop["candy"].id, shop["location"].id)

    refused = await stripe_client.post(
        f"/api/v1/sales/{sale_id}/refunds",
        json={"id": str(uuid.uuid4()), "reason": "Khách đổi ý", "method": "stripe"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["fields"]["method"] == (
        "This sale was not paid by card: refund it in cash or by transfer."
    )
    sale = await db.scalar(select(Sale).where(Sale.uuid == sale_id).execution_options(populate_existing=True))
    assert sale is not None and sale.refunded_vnd == 0
    assert await on_hand(db, shop["candy"].id, shop["location"].id) == before
