"""Stripe's webhook endpoint (`POST /webhooks/stripe`): only a body signed with the endpoint's secret, as
Stripe signs it, is applied — a missing or malformed signature, another secret, a body altered after signing,
an old signature replayed, or a signed body that is not an event are refused with 400 and change nothing; a
correctly signed event about another payment with the wrong amount changes nothing either. With cards off the
endpoint does not exist. It needs no CSRF token (Stripe has none)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import stripe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.asgi import create_app
from app.payments.models import Payment, PaymentEvent, PaymentStatus, StripeEvent
from app.pos.models import CheckoutStatus, Sale
from app.settings import get_settings
from tests.integration.test_card_checkouts import (
    CART_TOTAL,
    card_shop,
    checkout_of,
    count,
    on_hand,
    open_checkout,
    pay,
    payment_of,
    stripe_gateway,
)
from tests.stripe_support import WEBHOOK_SECRET, LocalStripe, signed_event

URL = "/webhooks/stripe"


async def post(client: AsyncTestClient[Litestar], payload: bytes, signature: str | None) -> Any:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    return await client.post(URL, content=payload, headers=headers)


async def paid_at_stripe(
    db: AsyncSession, localstripe: LocalStripe
) -> tuple[dict[str, int], Any, dict[str, Any]]:
    shop = await card_shop(db)
    gw = stripe_gateway(localstripe)
    view = await open_checkout(db, gw, shop)
    await pay(db, gw, localstripe, view.payment.pay_token or "")
    intent = localstripe.intent((await payment_of(db, view.payment.pay_token or "")).provider_reference)
    return shop, view, intent


async def nothing_changed(db: AsyncSession, shop: dict[str, int], view: Any) -> None:
    assert await count(db, StripeEvent) == 0
    assert await count(db, Sale) == 0
    payment = await payment_of(db, view.payment.pay_token or "")
    assert (payment.status, payment.sale_id, payment.refunded_vnd) == (PaymentStatus.PENDING, None, 0)
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


def event_body(event_type: str, obj: dict[str, Any], event_id: str = "evt_forged") -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


# --- forged ---


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "garbage",
        "no_v1",
        "other_secret",
        "altered_body",
        "old_timestamp",
        "signature_of_another_body",
    ],
)
async def test_a_forged_webhook_is_400_and_changes_nothing(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe, case: str
) -> None:
    shop, view, intent = await paid_at_stripe(db, localstripe)
    text = event_body("payment_intent.succeeded", intent)
    payload = text.encode()
    signature: str | None = stripe.WebhookSignature.generate_signature_header(text, WEBHOOK_SECRET)
    if case == "missing":
        signature = None
    elif case == "empty":
        signature = ""
    elif case == "garbage":
        signature = "not a signature"
    elif case == "no_v1":
        signature = f"t={int(time.time())},v0=abc"
    elif case == "other_secret":
        signature = stripe.WebhookSignature.generate_signature_header(text, "whsec_someone_else")
    elif case == "altered_body":
        payload = text.replace(f'"amount": {CART_TOTAL}', f'"amount": {CART_TOTAL + 1}').encode()
        assert payload != text.encode()
    elif case == "old_timestamp":  # a genuine delivery captured and replayed an hour later
        signature = stripe.WebhookSignature.generate_signature_header(
            text, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600
        )
    elif case == "signature_of_another_body":
        other = event_body("customer.created", {"id": "cus_1"})
        signature = stripe.WebhookSignature.generate_signature_header(other, WEBHOOK_SECRET)

    response = await post(stripe_client, payload, signature)

    assert response.status_code == 400, response.text
    assert response.json() == {"error": "bad_signature"}
    await nothing_changed(db, shop, view)


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"id": "evt_1"}', b'{"id": "evt_1", "type": "x"}', b"\xff\xfe"]
)
async def test_a_signed_body_that_is_not_an_event_is_400(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, body: bytes
) -> None:
    key = WEBHOOK_SECRET.encode()
    timestamp = int(time.time())
    signature = hmac.new(key, b"%d.%s" % (timestamp, body), hashlib.sha256).hexdigest()

    response = await post(stripe_client, body, f"t={timestamp},v1={signature}")

    assert response.status_code == 400
    assert await count(db, StripeEvent) == 0


async def test_a_genuinely_signed_event_about_another_payment_with_the_wrong_amount_changes_nothing(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, view, intent = await paid_at_stripe(db, localstripe)
    payment = await payment_of(db, view.payment.pay_token or "")
    forged = {
        **intent,
        "id": "pi_someone_elses",
        "amount": 1_000,
        "metadata": {"payment_id": str(payment.id)},
    }
    payload, signature = signed_event("payment_intent.succeeded", forged)

    response = await post(stripe_client, payload, signature)

    assert response.status_code == 200 and response.json()["outcome"] == "amount mismatch"
    assert await count(db, Sale) == 0
    payment = await payment_of(db, view.payment.pay_token or "")
    assert (payment.status, payment.provider_reference) == (PaymentStatus.PENDING, intent["id"])
    assert (await checkout_of(db, view.checkout.uuid)).status == CheckoutStatus.OPEN
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


# --- genuine ---


async def test_a_genuine_webhook_needs_no_csrf_and_is_applied_once(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, view, intent = await paid_at_stripe(db, localstripe)
    payload, signature = signed_event("payment_intent.succeeded", intent, event_id="evt_genuine")

    first = await post(stripe_client, payload, signature)
    again = await post(stripe_client, payload, signature)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == {"received": "evt_genuine", "outcome": "sale written"}
    assert again.json() == {"received": "evt_genuine", "outcome": "already applied"}
    assert await count(db, Sale) == 1 and await count(db, StripeEvent) == 1
    payment = await payment_of(db, view.payment.pay_token or "")
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    succeeded = await db.scalars(
        select(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.source == "evt_genuine"
        )
    )
    assert [e.status for e in succeeded.all()] == ["succeeded"]


async def test_concurrent_deliveries_over_http_sell_once(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, view, intent = await paid_at_stripe(db, localstripe)
    deliveries = [
        signed_event("payment_intent.succeeded", intent, event_id=f"evt_http_{i % 2}") for i in range(4)
    ]

    responses = await asyncio.gather(*(post(stripe_client, p, s) for p, s in deliveries))

    assert [r.status_code for r in responses] == [200] * 4
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes.count("sale written") == 1
    assert await count(db, Sale) == 1
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)
    assert (await payment_of(db, view.payment.pay_token or "")).status == PaymentStatus.SUCCEEDED


# --- off ---


async def test_with_cards_off_the_endpoint_is_404(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    payload, signature = signed_event(
        "payment_intent.succeeded", {"id": "pi_1", "amount": 1, "currency": "vnd"}
    )

    response = await post(client, payload, signature)

    assert response.status_code == 404
    assert await count(db, StripeEvent) == 0


@pytest.fixture
async def no_secret_client(localstripe: LocalStripe) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Cards on, but no webhook secret configured: no webhook can be trusted."""
    settings = dataclasses.replace(localstripe.settings(get_settings()), stripe_webhook_secret="")
    async with AsyncTestClient(app=create_app(settings), base_url="http://127.0.0.1:8000") as c:
        yield c


async def test_without_a_webhook_secret_every_webhook_is_refused(
    no_secret_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, view, intent = await paid_at_stripe(db, localstripe)
    payload, signature = signed_event("payment_intent.succeeded", intent)

    response = await post(no_secret_client, payload, signature)

    assert response.status_code == 400
    await nothing_changed(db, shop, view)
    assert await count(db, Payment, Payment.amount_vnd == CART_TOTAL) == 1
