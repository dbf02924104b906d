"""The back office's sale page refunds a card sale back to the card: the method is offered (and chosen) only
for a sale paid by card, and the refund reaches Stripe for the right amount."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.payments.models import PaymentStatus
from tests.factories import csrf_headers, login
from tests.integration.test_card_checkouts import CART_TOTAL
from tests.integration.test_card_refunds import card_payment, card_sale, stripe_refunds
from tests.stripe_support import LocalStripe

pytestmark = pytest.mark.usefixtures("english")

VENDOR = "vendor@htx.vn"  # tests.factories.pos_shop


async def test_a_card_sale_is_refunded_to_the_card_from_its_page(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, sale_id, intent_id = await card_sale(db, localstripe)
    await login(stripe_client, VENDOR)

    page = await stripe_client.get(f"/pos/sales/{sale_id}")
    assert page.status_code == 200
    assert re.search(r'<option value="stripe"\s+selected', page.text)

    response = await stripe_client.post(
        f"/pos/sales/{sale_id}/refund",
        data={"refund_id": str(uuid.uuid4()), "reason": "Khách đổi ý", "method": "stripe"},
        headers=csrf_headers(stripe_client),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text

    assert stripe_refunds(localstripe, intent_id) == [CART_TOTAL]
    payment = await card_payment(db, sale_id)
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.REFUNDED, CART_TOTAL)


async def test_a_cash_sale_page_offers_no_card_refund(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    from app.pos.schemas import PaymentIn, SaleIn, SaleLineIn
    from app.pos.services import SaleService
    from tests.integration.test_card_checkouts import actor_of, card_shop

    shop = await card_shop(db)
    actor = await actor_of(db, shop["vendor"])
    sale = await SaleService(db).ring_up(
        actor,
        SaleIn(
            id=uuid.uuid4(),
            location_id=shop["location"],
            lines=[SaleLineIn(quantity=1, product_id=shop["candy"])],
            payments=[PaymentIn(method="cash", amount_vnd=45_000)],
        ),
    )
    await db.commit()
    await login(stripe_client, VENDOR)

    page = await stripe_client.get(f"/pos/sales/{sale.sale.uuid}")
    assert page.status_code == 200
    assert 'value="stripe"' not in page.text
    assert re.search(r'<option value="cash"\s+selected', page.text)
