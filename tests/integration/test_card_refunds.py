"""Refunds of card sales through the sale API (`"method": "stripe"`), checked at localstripe: whole and
partial refunds make Stripe refunds of exactly those amounts, a replay of the same refund id makes no second
one, more than is left on the card is refused, a cash sale cannot be refunded to a card, Stripe refusing
rolls everything back, and Stripe's later `charge.refunded` for the same money changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import money
from app.payments.models import Payment, PaymentEvent, PaymentStatus
from app.pos.models import Refund, Sale, SaleStatus
from app.pos.schemas import PaymentIn
from app.pos.services import SaleService
from tests.factories import api_token
from tests.integration.test_card_checkouts import (
    CART_TOTAL,
    actor_of,
    card_shop,
    cart,
    count,
    deliver,
    on_hand,
    open_checkout,
    pay,
    payment_of,
    stripe_gateway,
)
from tests.integration.test_card_webhooks import charge_id
from tests.stripe_support import LocalStripe

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def in_english(stripe_client: AsyncTestClient[Litestar]) -> None:
    stripe_client.headers["Accept-Language"] = "en"


async def card_sale(db: AsyncSession, localstripe: LocalStripe) -> tuple[dict[str, int], uuid.UUID, str]:
    """A card sale of two candies and an oil (210.000 ₫) completed by its webhook: (shop, sale id, intent)."""
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    await pay(db, gw, localstripe, token)
    intent_id = (await payment_of(db, token)).provider_reference
    assert await deliver(db, gw, "payment_intent.succeeded", localstripe.intent(intent_id)) == "sale written"
    return shop, view.checkout.uuid, intent_id


def stripe_refunds(localstripe: LocalStripe, intent_id: str) -> list[int]:
    """The amounts refunded at Stripe for this intent, oldest first."""
    listed = localstripe.client().v1.refunds.list(params={"payment_intent": intent_id})
    return sorted((int(r.amount) for r in listed.data), reverse=False)


async def refund(
    client: AsyncTestClient[Litestar], headers: dict[str, str], sale_id: uuid.UUID, **body: Any
) -> Any:
    body.setdefault("id", str(uuid.uuid4()))
    body.setdefault("reason", "Khách trả hàng")
    body.setdefault("method", "stripe")
    return await client.post(f"/api/v1/sales/{sale_id}/refunds", json=body, headers=headers)


async def card_payment(db: AsyncSession, sale_id: uuid.UUID) -> Payment:
    sale = await db.scalar(select(Sale).where(Sale.uuid == sale_id).execution_options(populate_existing=True))
    assert sale is not None
    found = await db.scalar(
        select(Payment).where(Payment.sale_id == sale.id).execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def test_a_whole_refund_to_the_card_makes_one_stripe_refund_of_the_total(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, sale_id, intent_id = await card_sale(db, localstripe)
    headers = await api_token(db, await _user(db, shop["vendor"]))

    response = await refund(stripe_client, headers, sale_id)

    assert response.status_code == 201, response.text
    assert (response.json()["amount_vnd"], response.json()["method"]) == (CART_TOTAL, "stripe")
    assert stripe_refunds(localstripe, intent_id) == [CART_TOTAL]
    payment = await card_payment(db, sale_id)
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.REFUNDED, CART_TOTAL)
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)  # goods back
    history = (
        await db.scalars(
            select(PaymentEvent).where(PaymentEvent.payment_id == payment.id).order_by(PaymentEvent.id)
        )
    ).all()
    assert history[-1].note == f"Refunded to the card: {money(CART_TOTAL)}."
    assert history[-1].source.startswith("re_")


async def test_partial_refunds_make_stripe_refunds_of_each_amount_and_a_replay_makes_none(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, sale_id, intent_id = await card_sale(db, localstripe)
    headers = await api_token(db, await _user(db, shop["vendor"]))
    candy = {"id": str(uuid.uuid4()), "lines": [{"line_no": 1, "quantity": 1}]}

    first = await refund(stripe_client, headers, sale_id, **candy)
    replay = await refund(stripe_client, headers, sale_id, **candy)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json()["amount_vnd"] == replay.json()["amount_vnd"] == 45_000
    assert stripe_refunds(localstripe, intent_id) == [45_000]  # the replay made no second refund
    payment = await card_payment(db, sale_id)
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.PARTLY_REFUNDED, 45_000)

    oil = await refund(stripe_client, headers, sale_id, lines=[{"line_no": 2, "quantity": 1}])

    assert oil.status_code == 201, oil.text
    assert stripe_refunds(localstripe, intent_id) == [45_000, 120_000]
    payment = await card_payment(db, sale_id)
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.PARTLY_REFUNDED, 165_000)
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (9, 10)
    assert await count(db, Refund) == 2


async def test_a_refund_beyond_what_is_left_is_refused_and_makes_no_stripe_refund(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, sale_id, intent_id = await card_sale(db, localstripe)
    gw = stripe_gateway(localstripe)
    headers = await api_token(db, await _user(db, shop["vendor"]))
    # 200.000 ₫ were given back from Stripe's dashboard: its webhook records them on the payment.
    client = localstripe.client()
    client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 200_000})
    charge = client.v1.charges.retrieve(charge_id(localstripe.intent(intent_id))).to_dict()
    assert await deliver(db, gw, "charge.refunded", charge) == "refund recorded"

    too_much = await refund(stripe_client, headers, sale_id, lines=[{"line_no": 2, "quantity": 1}])
    too_many = await refund(stripe_client, headers, sale_id, lines=[{"line_no": 1, "quantity": 3}])

    assert too_much.status_code == 422, too_much.text
    assert too_much.json()["detail"] == f"The card payment has only {money(10_000)} left to refund."
    assert too_many.status_code == 422, too_many.text
    assert stripe_refunds(localstripe, intent_id) == [200_000]
    assert await count(db, Refund) == 0
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    payment = await card_payment(db, sale_id)
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.PARTLY_REFUNDED, 200_000)


async def test_a_cash_sale_cannot_be_refunded_to_a_card(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    vendor = await actor_of(db, shop["vendor"])
    payload = cart(shop, payments=[PaymentIn(method="cash", amount_vnd=CART_TOTAL)])
    await SaleService(db).ring_up(vendor, payload)
    await db.commit()
    headers = await api_token(db, await _user(db, shop["vendor"]))

    response = await refund(stripe_client, headers, payload.id)

    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "This sale was not paid by card: refund it in cash or by transfer."
    assert await count(db, Refund) == 0
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    # In cash it goes through.
    assert (await refund(stripe_client, headers, payload.id, method="cash")).status_code == 201


async def test_stripe_refusing_the_refund_rolls_everything_back(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, sale_id, _intent_id = await card_sale(db, localstripe)
    headers = await api_token(db, await _user(db, shop["vendor"]))
    payment = await card_payment(db, sale_id)
    await db.execute(update(Payment).where(Payment.id == payment.id).values(provider_reference="pi_unknown"))
    await db.commit()

    response = await refund(stripe_client, headers, sale_id)

    assert response.status_code == 409, response.text
    assert "nothing was refunded" in response.json()["detail"]
    assert await count(db, Refund) == 0
    sale = await db.scalar(select(Sale).where(Sale.uuid == sale_id).execution_options(populate_existing=True))
    assert sale is not None and (sale.status, sale.refunded_vnd) == (SaleStatus.COMPLETED, 0)
    payment = await card_payment(db, sale_id)
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.SUCCEEDED, 0)
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


async def test_stripes_later_charge_refunded_for_the_same_money_changes_nothing(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, sale_id, intent_id = await card_sale(db, localstripe)
    gw = stripe_gateway(localstripe)
    headers = await api_token(db, await _user(db, shop["vendor"]))
    assert (
        await refund(stripe_client, headers, sale_id, lines=[{"line_no": 1, "quantity": 2}])
    ).status_code == 201
    before = await card_payment(db, sale_id)
    notes_before = await count(db, PaymentEvent, PaymentEvent.payment_id == before.id)
    charge = localstripe.client().v1.charges.retrieve(charge_id(localstripe.intent(intent_id))).to_dict()
    assert charge["amount_refunded"] == 90_000

    outcome = await deliver(db, gw, "charge.refunded", charge)

    assert outcome == "refund already recorded"
    after = await card_payment(db, sale_id)
    assert (after.status, after.refunded_vnd) == (PaymentStatus.PARTLY_REFUNDED, 90_000)
    assert await count(db, PaymentEvent, PaymentEvent.payment_id == before.id) == notes_before
    assert stripe_refunds(localstripe, intent_id) == [90_000]


async def _user(db: AsyncSession, user_id: int) -> Any:
    from app.accounts.models import User

    user = await db.get(User, user_id)
    assert user is not None
    return user
