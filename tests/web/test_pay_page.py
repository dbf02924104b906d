"""The shopper's pay page (`/pay/{token}`): what it shows (the items, the amount, paid, cancelled, cards off),
its Content-Security-Policy (Stripe.js's origin admitted on this page only), and its steps' refusals —
unknown token 404, a closed payment 409, a bad SetupIntent 422, no CSRF header 403 — with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import money
from app.inventory.models import Location
from app.payments.cards import CardPayments
from app.payments.models import Payment, PaymentStatus
from app.pos.card import CardCheckoutService
from tests.integration.test_card_booth_fee import held_booth
from tests.integration.test_card_checkouts import (
    CART_TOTAL,
    actor_of,
    card_shop,
    count,
    deliver,
    open_checkout,
    pay,
    payment_of,
    stripe_gateway,
)
from tests.stripe_support import CARD_3DS, CARD_DECLINED, CARD_OK, LocalStripe

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def in_english(request: pytest.FixtureRequest) -> None:
    for name in ("client", "stripe_client"):
        if name in request.fixturenames:
            request.getfixturevalue(name).headers["Accept-Language"] = "en"


async def a_checkout(db: AsyncSession, localstripe: LocalStripe) -> tuple[dict[str, int], Any, str]:
    shop = await card_shop(db)
    view = await open_checkout(db, stripe_gateway(localstripe), shop)
    return shop, view, view.payment.pay_token or ""


def csrf(client: AsyncTestClient[Litestar]) -> dict[str, str]:
    token = client.cookies.get("csrftoken")
    assert token, "open a page first"
    return {"x-csrftoken": token, "accept": "application/json"}  # as pay.js sends its steps


# --- the page ---


async def test_the_page_shows_the_items_and_the_amount_and_loads_stripe_js(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, _view, token = await a_checkout(db, localstripe)

    page = await stripe_client.get(f"/pay/{token}")

    assert page.status_code == 200
    text = page.text
    assert "Purchase at Gian A12 — Hội chợ OCOP" in text
    assert "Kẹo dừa sáp" in text and money(90_000) in text  # 2 × 45.000
    assert "Dầu dừa" in text and money(120_000) in text
    assert f"Pay {money(CART_TOTAL)}" in text
    assert f'<script src="{localstripe.js_url}"></script>' in text
    assert 'data-key="pk_test_chophien"' in text and "sk_test" not in text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_the_csp_admits_stripe_js_on_the_pay_page_only(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, _view, token = await a_checkout(db, localstripe)

    policy = (await stripe_client.get(f"/pay/{token}")).headers["content-security-policy"]
    elsewhere = [
        (await stripe_client.get(path)).headers["content-security-policy"] for path in ("/", "/login")
    ]

    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}
    for name in ("script-src", "connect-src", "frame-src"):
        assert localstripe.base in directives[name], (name, policy)
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in policy
    for other in elsewhere:
        assert localstripe.base not in other and "stripe.com" not in other


async def test_cards_off_the_page_has_no_stripe_js(
    client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, _view, token = await a_checkout(db, localstripe)  # made while cards were on

    page = await client.get(f"/pay/{token}")

    assert page.status_code == 200
    assert "Card payments are not available here." in page.text
    assert '<script src="http' not in page.text and "/static/js/pay.js" not in page.text
    assert localstripe.base not in page.headers["content-security-policy"]
    setup = await client.post(f"/pay/{token}/setup", headers=csrf(client))
    assert setup.status_code == 404


async def test_a_paid_payment_says_paid_and_takes_no_more_cards(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, view, token = await a_checkout(db, localstripe)
    gw = stripe_gateway(localstripe)
    await pay(db, gw, localstripe, token)
    intent = localstripe.intent((await payment_of(db, token)).provider_reference)
    await deliver(db, gw, "payment_intent.succeeded", intent)

    page = await stripe_client.get(f"/pay/{token}")
    status = await stripe_client.get(f"/pay/{token}/status")

    assert "Paid. Thank you!" in page.text
    assert f'href="/receipts/{view.checkout.uuid}"' in page.text
    assert 'id="pay-form"' not in page.text and localstripe.js_url not in page.text
    assert status.json() == {
        "status": "succeeded",
        "message": "",
        "open": False,
        "closed_reason": "",
        "receipt_no": 1,
    }
    setup = await stripe_client.post(f"/pay/{token}/setup", headers=csrf(stripe_client))
    charge = await stripe_client.post(
        f"/pay/{token}/charge", json={"setup_intent": "seti_123"}, headers=csrf(stripe_client)
    )
    assert (setup.status_code, charge.status_code) == (409, 409)
    assert (await payment_of(db, token)).provider_reference == intent["id"]  # unchanged


async def test_a_cancelled_payment_says_so_and_refuses_its_steps(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, view, token = await a_checkout(db, localstripe)
    await CardCheckoutService(db, stripe_gateway(localstripe)).cancel(
        await actor_of(db, shop["vendor"]), view.checkout.uuid
    )
    await db.commit()

    page = await stripe_client.get(f"/pay/{token}")
    status = (await stripe_client.get(f"/pay/{token}/status")).json()
    setup = await stripe_client.post(f"/pay/{token}/setup", headers=csrf(stripe_client))
    charge = await stripe_client.post(
        f"/pay/{token}/charge", json={"setup_intent": "seti_123"}, headers=csrf(stripe_client)
    )

    assert "The seller cancelled this payment." in page.text and 'id="pay-form"' not in page.text
    assert (status["open"], status["closed_reason"]) == (False, "The seller cancelled this payment.")
    assert (setup.status_code, charge.status_code) == (409, 409)
    assert setup.json()["detail"] == "The seller cancelled this payment."
    assert (await payment_of(db, token)).provider_reference == ""  # nothing was charged


async def test_a_booth_fee_page_shows_the_booth_and_its_fee(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    scene, assignment_id = await held_booth(db)
    payment = await CardPayments(db, stripe_gateway(localstripe)).for_assignment(
        scene.vendors[0], assignment_id
    )
    await db.commit()

    page = await stripe_client.get(f"/pay/{payment.pay_token}")

    assert page.status_code == 200
    # The fair's name as the page's language has it (its English name on an English page).
    assert "Booth A-01 at " in page.text and "Booth fee A-01 — HTX Dừa Giồng Trôm" in page.text
    assert f"Pay {money(1_500_000)}" in page.text


async def test_what_the_page_shows_is_escaped(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, _view, token = await a_checkout(db, localstripe)
    await db.execute(
        update(Location).where(Location.id == shop["location"]).values(name="<script>alert(1)</script>")
    )
    await db.commit()

    page = await stripe_client.get(f"/pay/{token}")

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# --- refusals ---


async def test_an_unknown_token_is_404_everywhere(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    await stripe_client.get("/")
    headers = csrf(stripe_client)

    responses = [
        await stripe_client.get("/pay/not-a-token"),
        await stripe_client.get("/pay/not-a-token/status"),
        await stripe_client.get("/pay/not-a-token/events"),
        await stripe_client.post("/pay/not-a-token/setup", headers=headers),
        await stripe_client.post("/pay/not-a-token/charge", json={"setup_intent": "seti_1"}, headers=headers),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert "This payment does not exist." in responses[0].text


async def test_the_pages_posts_need_the_csrf_header(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, _view, token = await a_checkout(db, localstripe)
    await stripe_client.get(f"/pay/{token}")

    setup = await stripe_client.post(f"/pay/{token}/setup")
    charge = await stripe_client.post(f"/pay/{token}/charge", json={"setup_intent": "seti_1"})

    assert (setup.status_code, charge.status_code) == (403, 403)
    payment = await payment_of(db, token)
    assert (payment.status, payment.provider_reference) == (PaymentStatus.PENDING, "")


@pytest.mark.parametrize(
    "case", ["not_a_seti", "too_long", "never_confirmed", "unknown_seti", "missing", "empty"]
)
async def test_a_bad_setup_intent_is_422_and_charges_nothing(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe, case: str
) -> None:
    _shop, _view, token = await a_checkout(db, localstripe)
    await stripe_client.get(f"/pay/{token}")
    headers = csrf(stripe_client)
    sent: dict[str, Any] = {}
    if case == "not_a_seti":
        sent = {"setup_intent": "pm_card_visa"}
    elif case == "too_long":
        sent = {"setup_intent": "seti_" + "x" * 200}
    elif case == "never_confirmed":  # set up on the page, but no card was ever confirmed on it
        secret = (await stripe_client.post(f"/pay/{token}/setup", headers=headers)).json()["client_secret"]
        sent = {"setup_intent": secret.split("_secret_")[0]}
    elif case == "unknown_seti":
        sent = {"setup_intent": "seti_doesnotexist"}
    elif case == "empty":
        sent = {"setup_intent": ""}

    response = await stripe_client.post(f"/pay/{token}/charge", json=sent, headers=headers)

    expected = 400 if case == "missing" else 422
    assert response.status_code == expected, response.text
    if expected == 422:
        assert response.json()["detail"] == "The card was not set up."
    payment = await payment_of(db, token)
    assert (payment.status, payment.provider_reference) == (PaymentStatus.PENDING, "")


async def test_another_pages_card_cannot_be_charged_here(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    """A SetupIntent made for one pay page names that payment: another page refuses to charge its card."""
    shop, _view, token = await a_checkout(db, localstripe)
    other = await open_checkout(db, stripe_gateway(localstripe), shop)
    await stripe_client.get(f"/pay/{token}")
    headers = csrf(stripe_client)
    secret = (await stripe_client.post(f"/pay/{token}/setup", headers=headers)).json()["client_secret"]
    seti = localstripe.card_setup(secret, CARD_OK)

    response = await stripe_client.post(
        f"/pay/{other.payment.pay_token}/charge", json={"setup_intent": seti["id"]}, headers=headers
    )

    assert response.status_code == 422, response.text
    assert (await payment_of(db, other.payment.pay_token or "")).provider_reference == ""
    # On its own page it goes through.
    own = await stripe_client.post(f"/pay/{token}/charge", json={"setup_intent": seti["id"]}, headers=headers)
    assert own.json()["status"] == "processing"


async def test_status_follows_a_declined_then_3ds_payment(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    _shop, _view, token = await a_checkout(db, localstripe)
    gw = stripe_gateway(localstripe)
    start = (await stripe_client.get(f"/pay/{token}/status")).json()
    assert (start["status"], start["open"]) == ("pending", True)

    await pay(db, gw, localstripe, token, CARD_DECLINED)
    declined = (await stripe_client.get(f"/pay/{token}/status")).json()
    page = await stripe_client.get(f"/pay/{token}")
    assert (declined["status"], declined["open"]) == ("failed", True)
    assert "declined" in declined["message"]
    assert "The last attempt did not go through" in page.text and 'id="pay-form"' in page.text

    result = await pay(db, gw, localstripe, token, CARD_3DS)
    assert result.status == "requires_action"
    waiting = (await stripe_client.get(f"/pay/{token}/status")).json()
    assert (waiting["status"], waiting["message"], waiting["open"]) == ("pending", "", True)
    assert await count(db, Payment) == 1  # one payment, whatever the attempts
