"""Stripe's webhooks applied to card checkouts: a payment's effects happen once however many times (and
however concurrently) its events arrive, an event whose amount or currency is not the payment's fulfils
nothing, and any order of arrival ends in the same place — a refund before the success, a failure after it,
a stale failure of an earlier card after the shopper tried another."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import msgspec
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.payments.cards import CardPayments
from app.payments.models import PaymentEvent, PaymentStatus, StripeEvent
from app.payments.stripe_gateway import StripeGateway
from app.pos.models import CheckoutStatus, Sale
from app.pos.schemas import SaleIn, SaleLineIn
from tests.integration.test_card_checkouts import (
    CART_TOTAL,
    card_shop,
    cart,
    checkout_of,
    count,
    deliver,
    notes,
    on_hand,
    open_checkout,
    pay,
    payment_of,
    stripe_gateway,
)
from tests.stripe_support import CARD_DECLINED, LocalStripe, signed_event

pytestmark = pytest.mark.usefixtures("english")


async def paid_at_stripe(
    db: AsyncSession, localstripe: LocalStripe
) -> tuple[dict[str, int], StripeGateway, Any, dict[str, Any]]:
    """A checkout whose card went through at Stripe, its webhook not yet delivered: (shop, gateway, checkout
    view, the succeeded intent as Stripe sends it)."""
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    await pay(db, gw, localstripe, view.payment.pay_token or "")
    payment = await payment_of(db, view.payment.pay_token or "")
    intent = localstripe.intent(payment.provider_reference)
    assert intent["status"] == "succeeded"
    return shop, gw, view, intent


async def assert_sold_once(db: AsyncSession, shop: dict[str, int], view: Any) -> None:
    assert await count(db, Sale) == 1
    sale = await db.scalar(select(Sale).where(Sale.uuid == view.checkout.uuid))
    assert sale is not None and sale.total_vnd == CART_TOTAL
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    payment = await payment_of(db, view.payment.pay_token or "")
    assert payment.sale_id == sale.id
    assert (await notes(db, payment.id)).count("Payment succeeded.") == 1


def charge_id(intent: dict[str, Any]) -> str:
    latest = intent["latest_charge"]
    return str(latest["id"] if isinstance(latest, dict) else latest)


# --- once ---


async def test_the_same_event_twice_and_two_events_for_one_intent_sell_once(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)

    first = await deliver(db, gw, "payment_intent.succeeded", intent, event_id="evt_once_1")
    again = await deliver(db, gw, "payment_intent.succeeded", intent, event_id="evt_once_1")
    other = await deliver(db, gw, "payment_intent.succeeded", intent, event_id="evt_once_2")

    assert (first, again, other) == ("sale written", "already applied", "already succeeded")
    await assert_sold_once(db, shop, view)
    stored = (await db.scalars(select(StripeEvent).order_by(StripeEvent.id))).all()
    assert [(e.event_id, e.outcome) for e in stored] == [
        ("evt_once_1", "sale written"),
        ("evt_once_2", "already succeeded"),
    ]


async def test_concurrent_deliveries_in_separate_sessions_sell_once(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)
    events = []
    for event_id in ("evt_race_a", "evt_race_a", "evt_race_b", "evt_race_c"):
        body, header = signed_event("payment_intent.succeeded", intent, event_id=event_id)
        events.append(gw.parse_event(body, header))
    engine = create_async_engine(os.environ["DATABASE_URL"])
    start = asyncio.Event()

    async def apply(event: Any) -> str:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await start.wait()
            await session.connection(execution_options={"sqlite_begin_immediate": True})
            outcome = await CardPayments(session, gw).apply_event(event)
            await session.commit()
            return outcome

    try:
        tasks = [asyncio.create_task(apply(event)) for event in events]
        await asyncio.sleep(0.05)
        start.set()
        outcomes = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        await engine.dispose()

    assert sorted(outcomes) == sorted(
        ["sale written", "already applied", "already succeeded", "already succeeded"]
    )
    await assert_sold_once(db, shop, view)
    assert await count(db, StripeEvent) == 3


# --- amounts that are not the payment's ---


@pytest.mark.parametrize(
    ("change", "value"),
    [("amount", CART_TOTAL + 1), ("amount", CART_TOTAL * 100), ("currency", "usd"), ("currency", "")],
)
async def test_an_event_of_another_amount_or_currency_fulfils_nothing(
    db: AsyncSession, localstripe: LocalStripe, change: str, value: Any
) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)

    outcome = await deliver(db, gw, "payment_intent.succeeded", {**intent, change: value})

    assert outcome == "amount mismatch"
    payment = await payment_of(db, view.payment.pay_token or "")
    assert payment.status == PaymentStatus.PENDING and payment.sale_id is None
    assert await count(db, Sale) == 0
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # held, not sold
    assert "Stripe reported a payment of another amount; nothing was fulfilled." in await notes(
        db, payment.id
    )
    # The genuine event still completes the sale.
    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "sale written"
    await assert_sold_once(db, shop, view)


async def test_an_event_naming_another_payment_with_its_own_amount_fulfils_nothing(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    """A signed event for a cheap payment whose metadata points at a dear one: neither is fulfilled."""
    shop, gw, dear, _intent = await paid_at_stripe(db, localstripe)
    cheap = await open_checkout(db, gw, shop, _one_candy(shop))
    await pay(db, gw, localstripe, cheap.payment.pay_token or "")
    cheap_intent = localstripe.intent(
        (await payment_of(db, cheap.payment.pay_token or "")).provider_reference
    )
    assert cheap_intent["amount"] == 45_000
    dear_payment = await payment_of(db, dear.payment.pay_token or "")

    outcome = await deliver(
        db,
        gw,
        "payment_intent.succeeded",
        {**cheap_intent, "metadata": {**cheap_intent["metadata"], "payment_id": str(dear_payment.id)}},
    )

    assert outcome == "amount mismatch"
    assert await count(db, Sale) == 0
    for view in (dear, cheap):
        payment = await payment_of(db, view.payment.pay_token or "")
        assert payment.status == PaymentStatus.PENDING and payment.sale_id is None
        assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN


def _one_candy(shop: dict[str, int]) -> SaleIn:
    return msgspec.structs.replace(cart(shop), lines=[SaleLineIn(quantity=1, product_id=shop["candy"])])


async def test_unknown_payments_and_other_event_types_change_nothing(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)

    stranger = {**intent, "id": "pi_not_ours", "metadata": {}}
    assert await deliver(db, gw, "payment_intent.succeeded", stranger) == "no such payment"
    not_a_number = {**intent, "id": "pi_not_ours_2", "metadata": {"payment_id": "1 OR 1=1"}}
    assert await deliver(db, gw, "payment_intent.succeeded", not_a_number) == "no such payment"
    assert await deliver(db, gw, "customer.created", {"id": "cus_1", "object": "customer"}) == "ignored"
    assert await deliver(db, gw, "charge.refunded", {"id": "ch_1", "object": "charge"}) == "no intent"

    assert await count(db, Sale) == 0
    assert (await payment_of(db, view.payment.pay_token or "")).status == PaymentStatus.PENDING
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


# --- any order ---


async def test_a_refund_reported_before_the_success_ends_as_if_in_order(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)
    client = localstripe.client()
    client.v1.refunds.create(params={"payment_intent": intent["id"], "amount": 50_000})
    charge = client.v1.charges.retrieve(charge_id(intent)).to_dict()
    assert (charge["amount_refunded"], charge["payment_intent"]) == (50_000, intent["id"])

    assert await deliver(db, gw, "charge.refunded", charge) == "refund recorded"
    early = await payment_of(db, view.payment.pay_token or "")
    assert (early.status, early.refunded_vnd) == (PaymentStatus.PENDING, 50_000)  # not yet succeeded
    assert await count(db, Sale) == 0

    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "sale written"

    payment = await payment_of(db, view.payment.pay_token or "")
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.PARTLY_REFUNDED, 50_000)
    await assert_sold_once(db, shop, view)
    # The same refund reported again changes nothing.
    assert await deliver(db, gw, "charge.refunded", charge) == "refund already recorded"
    assert (await payment_of(db, view.payment.pay_token or "")).refunded_vnd == 50_000


async def test_a_whole_refund_after_the_success_marks_the_payment_refunded(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)
    await deliver(db, gw, "payment_intent.succeeded", intent)
    client = localstripe.client()
    client.v1.refunds.create(params={"payment_intent": intent["id"]})
    charge = client.v1.charges.retrieve(charge_id(intent)).to_dict()

    assert await deliver(db, gw, "charge.refunded", charge) == "refund recorded"

    payment = await payment_of(db, view.payment.pay_token or "")
    assert (payment.status, payment.refunded_vnd) == (PaymentStatus.REFUNDED, CART_TOTAL)
    await assert_sold_once(db, shop, view)  # a refund made at Stripe does not unsell the goods


async def test_a_failure_after_the_success_is_ignored(db: AsyncSession, localstripe: LocalStripe) -> None:
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)
    await deliver(db, gw, "payment_intent.succeeded", intent)

    failed = {**intent, "status": "requires_payment_method", "last_payment_error": {"message": "Declined."}}
    outcome = await deliver(db, gw, "payment_intent.payment_failed", failed)

    assert outcome == "stale failure"
    payment = await payment_of(db, view.payment.pay_token or "")
    assert (payment.status, payment.failure_message) == (PaymentStatus.SUCCEEDED, "")
    await assert_sold_once(db, shop, view)


async def test_a_stale_failure_of_the_first_card_does_not_touch_the_second(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    assert (await pay(db, gw, localstripe, token, CARD_DECLINED)).status == "declined"
    first = (await payment_of(db, token)).provider_reference
    first_intent = localstripe.intent(first)

    assert (await pay(db, gw, localstripe, token)).status == "processing"  # another card
    second = (await payment_of(db, token)).provider_reference
    assert second != first
    assert localstripe.intent(first)["status"] == "canceled"  # the first intent can take no money now
    assert (await payment_of(db, token)).status == PaymentStatus.PENDING

    assert await deliver(db, gw, "payment_intent.payment_failed", first_intent) == "stale failure"
    payment = await payment_of(db, token)
    assert (payment.status, payment.provider_reference, payment.failure_message) == (
        PaymentStatus.PENDING,
        second,
        "",
    )

    assert await deliver(db, gw, "payment_intent.succeeded", localstripe.intent(second)) == "sale written"
    await assert_sold_once(db, shop, view)


async def test_a_second_intent_succeeding_for_a_paid_payment_is_noted_not_sold_again(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    """Two charges for one payment (never made by the pay page, which cancels an earlier intent before a new
    one): the second success sells nothing more and leaves a note in the payment's history to refund it."""
    shop, gw, view, intent = await paid_at_stripe(db, localstripe)
    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "sale written"

    other = {**intent, "id": "pi_second_charge"}
    assert await deliver(db, gw, "payment_intent.succeeded", other) == "charged twice"

    payment = await payment_of(db, view.payment.pay_token or "")
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == intent["id"]
    notes = (await db.scalars(select(PaymentEvent.note).where(PaymentEvent.payment_id == payment.id))).all()
    assert any("pi_second_charge" in note for note in notes)
    await assert_sold_once(db, shop, view)
