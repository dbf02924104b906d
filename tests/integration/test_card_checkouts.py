"""Card checkouts at the register against localstripe: the cart's stock is held while the shopper pays, the
sale is written only by the signed `payment_intent.succeeded` webhook (never by the charge, even a succeeded
one), a declined card or failed 3-D Secure leaves the hold as it was until the cashier cancels, cancelling
cancels the intent at Stripe and gives the hold back exactly (refused once the money is taken), and lapsed
checkouts close on their own.

The helpers here (a gateway on localstripe, a checkout, the pay page's steps, a signed webhook delivered to
the service) are shared by the other card test modules."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.accounts.models import AuditEntry, User
from app.accounts.rules import CurrentUser
from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.inventory.models import Location, MovementKind, StockMovement
from app.inventory.services import InsufficientStock, StockService
from app.payments.cards import CardPayments, ChargeResult
from app.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus, StripeEvent
from app.payments.stripe_gateway import StripeGateway, gateway
from app.pos.card import CardCheckoutService, CheckoutView
from app.pos.models import CardCheckout, CheckoutStatus, Register, Sale
from app.pos.schemas import PaymentIn, SaleIn, SaleLineIn
from app.pos.services import SaleService
from app.settings import get_settings
from tests.factories import pos_actor, pos_shop
from tests.stripe_support import CARD_3DS, CARD_DECLINED, CARD_OK, LocalStripe, signed_event

pytestmark = pytest.mark.usefixtures("english")

CART_TOTAL = 2 * 45_000 + 120_000  # two candies and a bottle of oil


# --- helpers shared by the card tests ---


def stripe_gateway(localstripe: LocalStripe) -> StripeGateway:
    """The app's gateway with Stripe on, pointed at the test's localstripe."""
    found = gateway(localstripe.settings(get_settings()))
    assert found is not None
    return found


async def card_shop(db: AsyncSession, **kw: Any) -> dict[str, int]:
    """tests.factories.pos_shop as plain ids (ORM objects expire when a refused call rolls back)."""
    return {name: made.id for name, made in (await pos_shop(db, **kw)).items()}


async def actor_of(db: AsyncSession, user_id: int) -> CurrentUser:
    user = await db.get(User, user_id)
    assert user is not None
    return await pos_actor(db, user)


def cart(shop: dict[str, int], **extra: Any) -> SaleIn:
    """Two candies (45.000 ₫) and one oil (120.000 ₫) at the shop's booth: 210.000 ₫."""
    return SaleIn(
        id=uuid.uuid4(),
        location_id=shop["location"],
        register_id=shop["register"],
        lines=[
            SaleLineIn(quantity=2, product_id=shop["candy"]),
            SaleLineIn(quantity=1, product_id=shop["oil"]),
        ],
        **extra,
    )


async def open_checkout(
    db: AsyncSession, gw: StripeGateway | None, shop: dict[str, int], payload: SaleIn | None = None, **kw: Any
) -> CheckoutView:
    actor = await actor_of(db, kw.pop("user", shop["vendor"]))
    view = await CardCheckoutService(db, gw, **kw).open(actor, payload or cart(shop))
    await db.commit()
    return view


async def set_up_card(
    db: AsyncSession, gw: StripeGateway, localstripe: LocalStripe, token: str, card: str
) -> str:
    """The pay page's first step and Stripe.js's confirmCardSetup (3-D Secure of the setup passed): the
    SetupIntent's id."""
    secret = await CardPayments(db, gw).setup(token)
    await db.commit()
    seti = localstripe.card_setup(secret, card)
    if seti.get("status") == "requires_action":
        seti = localstripe.finish_setup_3ds(secret)
    assert seti["status"] == "succeeded", seti
    return str(seti["id"])


async def pay(
    db: AsyncSession, gw: StripeGateway, localstripe: LocalStripe, token: str, card: str = CARD_OK
) -> ChargeResult:
    """The shopper pays on the pay page with `card`: setup, then the server's charge."""
    seti = await set_up_card(db, gw, localstripe, token, card)
    result = await CardPayments(db, gw).charge(token, seti)
    await db.commit()
    return result


async def payment_of(db: AsyncSession, token: str) -> Payment:
    found = await db.scalar(
        select(Payment).where(Payment.pay_token == token).execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def checkout_of(db: AsyncSession, checkout_uuid: uuid.UUID) -> CardCheckout:
    found = await db.scalar(
        select(CardCheckout)
        .where(CardCheckout.uuid == checkout_uuid)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def deliver(
    db: AsyncSession, gw: StripeGateway, event_type: str, obj: dict[str, Any], event_id: str | None = None
) -> str:
    """Stripe's webhook as the endpoint handles it: the signed body checked, then applied, then committed."""
    body, header = signed_event(event_type, obj, event_id=event_id)
    event = gw.parse_event(body, header)
    outcome = await CardPayments(db, gw).apply_event(event)
    await db.commit()
    return outcome


async def count(db: AsyncSession, model: Any, *where: Any) -> int:
    await db.commit()
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def on_hand(db: AsyncSession, shop: dict[str, int], product: str) -> int:
    await db.commit()
    return await StockService(db).on_hand(shop[product], shop["location"])


async def ledger(db: AsyncSession, reference: str) -> list[tuple[MovementKind, int, int]]:
    """(kind, product id, signed quantity) of the movements with this reference, in order."""
    await db.commit()
    rows = await db.execute(
        select(StockMovement.kind, StockMovement.product_id, StockMovement.quantity)
        .where(StockMovement.reference == reference)
        .order_by(StockMovement.id)
    )
    return [(kind, product, quantity) for kind, product, quantity in rows.all()]


async def notes(db: AsyncSession, payment_id: int) -> list[str]:
    await db.commit()
    return list(
        (
            await db.scalars(
                select(PaymentEvent.note)
                .where(PaymentEvent.payment_id == payment_id)
                .order_by(PaymentEvent.id)
            )
        ).all()
    )


# --- the happy path: only the webhook writes the sale ---


async def test_a_succeeded_charge_writes_nothing_until_the_signed_webhook_says_so(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    assert (view.checkout.amount_vnd, view.payment.status) == (CART_TOTAL, PaymentStatus.PENDING)
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # held

    result = await pay(db, gw, localstripe, token)

    assert result.status == "processing"
    payment = await payment_of(db, token)
    intent = localstripe.intent(payment.provider_reference)
    assert intent["status"] == "succeeded"  # Stripe took the money …
    assert payment.status == PaymentStatus.PENDING  # … but nothing is fulfilled on the charge's word
    assert payment.sale_id is None
    assert await count(db, Sale) == 0
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN

    outcome = await deliver(db, gw, "payment_intent.succeeded", intent)

    assert outcome == "sale written"
    sale = await db.scalar(select(Sale).where(Sale.uuid == view.checkout.uuid))
    assert sale is not None and sale.total_vnd == CART_TOTAL and sale.paid_vnd == CART_TOTAL
    payment = await payment_of(db, token)
    assert (payment.status, payment.sale_id, payment.method) == (
        PaymentStatus.SUCCEEDED,
        sale.id,
        PaymentMethod.STRIPE,
    )
    checkout = await checkout_of(db, view.checkout.uuid)
    assert (checkout.status, checkout.sale_id) == (CheckoutStatus.PAID, sale.id)
    assert await count(db, Payment, Payment.sale_id == sale.id) == 1  # the card payment, no other
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # sold once
    candy, oil = shop["candy"], shop["oil"]
    assert await ledger(db, f"checkout:{view.checkout.uuid}") == [
        (MovementKind.HOLD, candy, -2),
        (MovementKind.HOLD, oil, -1),
        (MovementKind.RELEASE, candy, 2),
        (MovementKind.RELEASE, oil, 1),
    ]
    assert await ledger(db, f"sale:{view.checkout.uuid}") == [
        (MovementKind.SALE, candy, -2),
        (MovementKind.SALE, oil, -1),
    ]


async def test_vnd_goes_to_stripe_in_whole_dong(db: AsyncSession, localstripe: LocalStripe) -> None:
    """VND is a zero-decimal currency: 209.999 ₫ is 209999 at Stripe, never 20999900."""
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop, cart(shop, discount_vnd=1))

    await pay(db, gw, localstripe, view.payment.pay_token or "")

    payment = await payment_of(db, view.payment.pay_token or "")
    intent = localstripe.intent(payment.provider_reference)
    assert (intent["amount"], intent["currency"]) == (CART_TOTAL - 1, "vnd")
    assert payment.amount_vnd == view.checkout.amount_vnd == CART_TOTAL - 1
    assert intent["metadata"]["payment_id"] == str(payment.id)


# --- a declined card, 3-D Secure ---


async def test_a_declined_card_leaves_the_hold_and_cancelling_gives_it_back_exactly(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""

    result = await pay(db, gw, localstripe, token, CARD_DECLINED)

    assert result.status == "declined" and "declined" in result.message
    payment = await payment_of(db, token)
    assert payment.status == PaymentStatus.FAILED and "declined" in payment.failure_message
    assert payment.provider_reference.startswith("pi_")  # the failed intent is kept
    assert localstripe.intent(payment.provider_reference)["status"] == "requires_payment_method"
    assert await count(db, Sale) == 0
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # still held
    # Stripe's own word on the decline changes nothing either.
    outcome = await deliver(
        db, gw, "payment_intent.payment_failed", localstripe.intent(payment.provider_reference)
    )
    assert outcome == "failure already recorded"
    assert (await payment_of(db, token)).status == PaymentStatus.FAILED
    assert await count(db, Sale) == 0

    vendor = await actor_of(db, shop["vendor"])
    await CardCheckoutService(db, gw).cancel(vendor, view.checkout.uuid)
    await db.commit()

    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)
    moves = await ledger(db, f"checkout:{view.checkout.uuid}")
    assert sorted(kind for kind, _p, _q in moves) == [MovementKind.HOLD] * 2 + [MovementKind.RELEASE] * 2
    for product in (shop["candy"], shop["oil"]):
        assert sum(q for _k, p, q in moves if p == product) == 0
    assert localstripe.intent(payment.provider_reference)["status"] == "canceled"
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.CANCELLED


async def test_3d_secure_asks_for_action_then_the_webhook_completes_the_sale(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""

    result = await pay(db, gw, localstripe, token, CARD_3DS)

    payment = await payment_of(db, token)
    assert result.status == "requires_action"
    assert result.client_secret.startswith(payment.provider_reference + "_secret_")
    assert localstripe.intent(payment.provider_reference)["status"] == "requires_action"
    assert payment.status == PaymentStatus.PENDING and await count(db, Sale) == 0

    localstripe.authenticate_payment(result.client_secret)  # the shopper passes 3-D Secure
    intent = localstripe.intent(payment.provider_reference)
    assert intent["status"] == "succeeded"
    assert await count(db, Sale) == 0  # still nothing before the webhook

    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "sale written"
    assert (await payment_of(db, token)).status == PaymentStatus.SUCCEEDED
    assert await count(db, Sale, Sale.uuid == view.checkout.uuid) == 1


async def test_failed_3d_secure_leaves_the_sale_unpaid_and_the_stock_held(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    result = await pay(db, gw, localstripe, token, CARD_3DS)

    localstripe.authenticate_payment(result.client_secret, success=False)
    payment = await payment_of(db, token)
    intent = localstripe.intent(payment.provider_reference)
    assert intent["status"] == "requires_payment_method"
    outcome = await deliver(db, gw, "payment_intent.payment_failed", intent)

    assert outcome == "failed"
    payment = await payment_of(db, token)
    assert payment.status == PaymentStatus.FAILED
    assert "authentication" in payment.failure_message
    assert await count(db, Sale) == 0
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    # The pay page stays open for another card.
    assert (await CardPayments(db, gw).by_token(token)).open


# --- cancel ---


async def test_cancel_cancels_the_intent_at_stripe_and_gives_the_hold_back_once(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    await pay(db, gw, localstripe, token, CARD_3DS)  # waiting for 3-D Secure: the intent may still be stopped
    intent_id = (await payment_of(db, token)).provider_reference
    vendor = await actor_of(db, shop["vendor"])
    service = CardCheckoutService(db, gw)

    cancelled = await service.cancel(vendor, view.checkout.uuid)
    await db.commit()

    assert cancelled.checkout.status == CheckoutStatus.CANCELLED
    assert localstripe.intent(intent_id)["status"] == "canceled"
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)
    payment = await payment_of(db, token)
    assert payment.status == PaymentStatus.FAILED and payment.failure_message == "Cancelled at the register."
    before = (
        await ledger(db, f"checkout:{view.checkout.uuid}"),
        await count(db, AuditEntry, AuditEntry.action == "pos.card_checkout.cancelled"),
        await count(db, PaymentEvent, PaymentEvent.payment_id == payment.id),
    )
    assert before[1] == 1

    again = await service.cancel(vendor, view.checkout.uuid)  # a replay: harmless
    await db.commit()

    assert again.checkout.status == CheckoutStatus.CANCELLED
    assert (
        await ledger(db, f"checkout:{view.checkout.uuid}"),
        await count(db, AuditEntry, AuditEntry.action == "pos.card_checkout.cancelled"),
        await count(db, PaymentEvent, PaymentEvent.payment_id == payment.id),
    ) == before
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)
    assert not (await CardPayments(db, gw).by_token(token)).open


async def test_cancelling_after_the_money_was_taken_is_refused_and_releases_nothing(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    checkout_uuid = view.checkout.uuid
    await pay(db, gw, localstripe, token)  # succeeded at Stripe; the webhook is on its way
    vendor = await actor_of(db, shop["vendor"])

    with pytest.raises(Conflict, match="already gone through"):
        await CardCheckoutService(db, gw).cancel(vendor, checkout_uuid)
    await db.rollback()

    assert (await checkout_of(db, checkout_uuid)).status == CheckoutStatus.OPEN
    assert [k for k, _p, _q in await ledger(db, f"checkout:{checkout_uuid}")] == [MovementKind.HOLD] * 2
    assert (await payment_of(db, token)).status == PaymentStatus.PENDING
    intent = localstripe.intent((await payment_of(db, token)).provider_reference)
    assert intent["status"] == "succeeded"
    # The webhook then writes the sale as usual.
    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "sale written"
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


async def test_a_payment_that_arrives_after_the_cancel_writes_no_sale_and_says_so(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    """A bank that answered late: Stripe reports success for a checkout already cancelled. The payment is
    marked succeeded (the money is there, to be refunded) but no sale is written and no stock moves."""
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    vendor = await actor_of(db, shop["vendor"])
    await CardCheckoutService(db, gw).cancel(vendor, view.checkout.uuid)
    await db.commit()
    payment = await payment_of(db, token)
    late = {
        "id": "pi_late_bank",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": CART_TOTAL,
        "currency": "vnd",
        "metadata": {"payment_id": str(payment.id)},
    }

    outcome = await deliver(db, gw, "payment_intent.succeeded", late)

    assert outcome == "paid after cancel"
    assert (await payment_of(db, token)).status == PaymentStatus.SUCCEEDED
    assert await count(db, Sale) == 0
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.CANCELLED
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)
    assert any("Paid after the checkout was cancelled" in n for n in await notes(db, payment.id))


async def test_expire_lapsed_closes_only_the_checkouts_past_their_time(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    lapsed = await open_checkout(db, gw, shop)
    fresh = await open_checkout(db, gw, shop)
    taken = await open_checkout(db, gw, shop)
    await pay(db, gw, localstripe, taken.payment.pay_token or "")  # the money is on its way
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    for view in (lapsed, taken):
        await db.execute(
            update(CardCheckout).where(CardCheckout.id == view.checkout.id).values(expires_at=past)
        )
    await db.commit()
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (4, 7)

    closed = await CardCheckoutService(db, gw).expire_lapsed()
    await db.commit()

    assert closed == 1
    assert (await checkout_of(db, lapsed.checkout.uuid)).status == CheckoutStatus.CANCELLED
    assert (await checkout_of(db, fresh.checkout.uuid)).status == CheckoutStatus.OPEN
    assert (await checkout_of(db, taken.checkout.uuid)).status == CheckoutStatus.OPEN  # the webhook will come
    assert (
        await payment_of(db, lapsed.payment.pay_token or "")
    ).failure_message == "The card payment lapsed."
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (6, 8)
    assert await CardCheckoutService(db, gw).expire_lapsed() == 0  # nothing more to close
    await db.commit()
    lapsed_page = await CardPayments(db, gw).by_token(lapsed.payment.pay_token or "")
    assert not lapsed_page.open


# --- opening: refusals write nothing ---


async def test_not_enough_stock_holds_nothing(db: AsyncSession, localstripe: LocalStripe) -> None:
    shop = await card_shop(db, stock=1)
    gw = stripe_gateway(localstripe)

    with pytest.raises(InsufficientStock):
        await open_checkout(db, gw, shop)
    await db.rollback()

    assert await count(db, CardCheckout) == 0
    assert await count(db, Payment) == 0
    assert await count(db, StockMovement, StockMovement.kind == MovementKind.HOLD) == 0
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (1, 1)


async def test_the_same_checkout_id_twice_is_the_same_checkout(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    payload = cart(shop)
    first = await open_checkout(db, gw, shop, payload)

    second = await open_checkout(db, gw, shop, payload)

    assert (first.created, second.created) == (True, False)
    assert second.checkout.id == first.checkout.id and second.payment.id == first.payment.id
    assert await count(db, CardCheckout) == 1 and await count(db, Payment) == 1
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # held once


async def test_a_checkout_id_that_is_already_a_sale_is_refused(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    vendor = await actor_of(db, shop["vendor"])
    payload = cart(shop, payments=[PaymentIn(method="cash", amount_vnd=CART_TOTAL)])
    await SaleService(db).ring_up(vendor, payload)
    await db.commit()

    with pytest.raises(Conflict, match="already rung up"):
        await open_checkout(db, gw, shop, msgspec.structs.replace(payload, payments=[]))
    await db.rollback()

    assert await count(db, CardCheckout) == 0 and await count(db, Payment, Payment.method == "stripe") == 0


async def test_a_cashier_may_not_discount_and_cards_off_is_refused(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)

    with pytest.raises(PermissionDenied, match="discount"):
        await open_checkout(db, gw, shop, cart(shop, discount_vnd=1_000), user=shop["cashier"])
    await db.rollback()
    with pytest.raises(ValidationFailed, match="not set up"):
        await open_checkout(db, None, shop)
    await db.rollback()
    with pytest.raises(ValidationFailed, match="needs the network"):
        await open_checkout(db, gw, shop, cart(shop, offline=True))
    await db.rollback()

    assert await count(db, CardCheckout) == 0 and await count(db, Payment) == 0
    assert await count(db, StripeEvent) == 0
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)
    # The cashier may take a card payment without a discount.
    view = await open_checkout(db, gw, shop, user=shop["cashier"])
    assert view.created and view.checkout.amount_vnd == CART_TOTAL


async def test_a_paid_checkout_is_sold_even_if_its_place_and_register_closed_meanwhile(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    """The shopper paid and left with the goods: the sale is written although the booth and its register
    were closed after the checkout opened (refusing would leave the money taken, no sale, the stock held)."""
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    token = view.payment.pay_token or ""
    await pay(db, gw, localstripe, token)
    await db.execute(update(Location).where(Location.id == shop["location"]).values(is_active=False))
    await db.execute(update(Register).where(Register.id == shop["register"]).values(is_active=False))
    await db.commit()
    intent = localstripe.intent((await payment_of(db, token)).provider_reference)

    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "sale written"

    sale = await db.scalar(select(Sale).where(Sale.uuid == view.checkout.uuid))
    assert sale is not None and (sale.register_id, sale.receipt_no) == (shop["register"], 1)
    assert (await payment_of(db, token)).status == PaymentStatus.SUCCEEDED
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.PAID
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    # A sale at the register without a card is still refused there.
    vendor = await actor_of(db, shop["vendor"])
    with pytest.raises(ValidationFailed):
        await SaleService(db).ring_up(
            vendor, cart(shop, payments=[PaymentIn(method="cash", amount_vnd=CART_TOTAL)])
        )
    await db.rollback()


async def test_the_same_checkout_sent_at_once_from_separate_sessions_holds_once(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    vendor = await actor_of(db, shop["vendor"])
    payload = cart(shop)
    engine = create_async_engine(os.environ["DATABASE_URL"])
    start = asyncio.Event()

    async def send() -> bool:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await start.wait()
            await session.connection(execution_options={"sqlite_begin_immediate": True})
            view = await CardCheckoutService(session, gw).open(vendor, payload)
            await session.commit()
            return view.created

    try:
        tasks = [asyncio.create_task(send()) for _ in range(3)]
        await asyncio.sleep(0.05)
        start.set()
        created = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        await engine.dispose()

    assert sorted(created) == [False, False, True]
    assert await count(db, CardCheckout) == 1 and await count(db, Payment) == 1
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
