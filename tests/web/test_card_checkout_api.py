"""The register's card checkouts over HTTP (`/api/v1/card-checkouts`): the whole flow through the API, the pay
page and the webhook; who may open, read and cancel a checkout; and every bad request refused with a clear
error and nothing held."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.inventory.models import MovementKind, StockMovement
from app.payments.models import Payment
from app.pos.models import CardCheckout, Sale
from tests.factories import api_token, pos_shop
from tests.integration.test_card_checkouts import CART_TOTAL, count, on_hand
from tests.stripe_support import CARD_3DS, CARD_OK, LocalStripe, signed_event

pytestmark = pytest.mark.usefixtures("english")

URL = "/api/v1/card-checkouts"


@pytest.fixture(autouse=True)
def in_english(request: pytest.FixtureRequest) -> None:
    """The app answers in the caller's language: these tests read its refusals in English."""
    for name in ("client", "stripe_client"):
        if name in request.fixturenames:
            request.getfixturevalue(name).headers["Accept-Language"] = "en"


async def shop_and_tokens(db: AsyncSession) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    """The POS shop as ids, and API headers for its vendor, cashier and the other producer's vendor."""
    made = await pos_shop(db)
    shop = {name: thing.id for name, thing in made.items()}
    headers = {who: await api_token(db, made[who]) for who in ("vendor", "cashier", "other_vendor")}
    return shop, headers


def body(shop: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "location_id": shop["location"],
        "lines": [{"product_id": shop["candy"], "quantity": 2}, {"product_id": shop["oil"], "quantity": 1}],
        **extra,
    }


async def nothing_held(db: AsyncSession, shop: dict[str, int]) -> None:
    assert await count(db, CardCheckout) == 0
    assert await count(db, Payment) == 0
    assert await count(db, StockMovement, StockMovement.kind == MovementKind.HOLD) == 0
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (10, 10)


async def webhook(client: AsyncTestClient[Litestar], event_type: str, obj: dict[str, Any]) -> Any:
    payload, signature = signed_event(event_type, obj)
    return await client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"stripe-signature": signature, "content-type": "application/json"},
    )


async def shopper_pays(
    client: AsyncTestClient[Litestar], localstripe: LocalStripe, token: str, card: str = CARD_OK
) -> dict[str, Any]:
    """The shopper's phone: the pay page, the card set up by Stripe.js, the charge."""
    assert (await client.get(f"/pay/{token}")).status_code == 200
    csrf = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    setup = await client.post(f"/pay/{token}/setup", headers=csrf)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["client_secret"]
    seti = localstripe.card_setup(secret, card)
    if seti.get("status") == "requires_action":
        seti = localstripe.finish_setup_3ds(secret)
    charged = await client.post(f"/pay/{token}/charge", json={"setup_intent": seti["id"]}, headers=csrf)
    assert charged.status_code == 200, charged.text
    return dict(charged.json())


# --- the flow ---


async def test_a_card_sale_through_the_api_the_pay_page_and_the_webhook(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent = body(shop)

    created = await stripe_client.post(URL, json=sent, headers=headers["cashier"])

    assert created.status_code == 201, created.text
    out = created.json()
    assert (out["id"], out["status"], out["payment_status"], out["amount_vnd"]) == (
        sent["id"],
        "open",
        "pending",
        CART_TOTAL,
    )
    assert out["pay_url"].endswith(f"/pay/{out['pay_token']}") and len(out["pay_token"]) >= 30
    assert out["qr_svg"].startswith("<svg") and out["sale_id"] is None and out["receipt_no"] is None
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)

    charged = await shopper_pays(stripe_client, localstripe, out["pay_token"])

    assert charged["status"] == "processing"
    read = await stripe_client.get(f"{URL}/{sent['id']}", headers=headers["cashier"])
    assert (read.json()["status"], read.json()["payment_status"]) == ("open", "pending")
    assert await count(db, Sale) == 0

    payment = await db.scalar(select(Payment).where(Payment.pay_token == out["pay_token"]))
    assert payment is not None
    delivered = await webhook(
        stripe_client, "payment_intent.succeeded", localstripe.intent(payment.provider_reference)
    )

    assert delivered.status_code == 200 and delivered.json()["outcome"] == "sale written"
    done = (await stripe_client.get(f"{URL}/{sent['id']}", headers=headers["cashier"])).json()
    assert (done["status"], done["payment_status"], done["sale_id"]) == ("paid", "succeeded", sent["id"])
    assert done["receipt_no"] == 1 and done["qr_svg"] == ""
    sale = await stripe_client.get(f"/api/v1/sales/{sent['id']}", headers=headers["cashier"])
    assert sale.status_code == 200 and sale.json()["total_vnd"] == CART_TOTAL
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


async def test_3d_secure_through_the_pay_page(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, headers = await shop_and_tokens(db)
    out = (await stripe_client.post(URL, json=body(shop), headers=headers["vendor"])).json()

    charged = await shopper_pays(stripe_client, localstripe, out["pay_token"], CARD_3DS)

    assert charged["status"] == "requires_action" and "_secret_" in charged["client_secret"]
    localstripe.authenticate_payment(charged["client_secret"])
    intent = localstripe.intent(charged["client_secret"].split("_secret_")[0])
    assert (await webhook(stripe_client, "payment_intent.succeeded", intent)).json()[
        "outcome"
    ] == "sale written"
    assert (await stripe_client.get(f"/pay/{out['pay_token']}/status")).json()["status"] == "succeeded"


async def test_cancel_over_http_gives_the_stock_back_and_is_refused_once_paid(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, localstripe: LocalStripe
) -> None:
    shop, headers = await shop_and_tokens(db)
    first = (await stripe_client.post(URL, json=body(shop), headers=headers["vendor"])).json()
    second = (await stripe_client.post(URL, json=body(shop), headers=headers["vendor"])).json()
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (6, 8)

    cancelled = await stripe_client.post(f"{URL}/{first['id']}/cancel", headers=headers["cashier"])
    replay = await stripe_client.post(f"{URL}/{first['id']}/cancel", headers=headers["cashier"])

    assert (cancelled.status_code, replay.status_code) == (200, 200)
    assert cancelled.json()["status"] == replay.json()["status"] == "cancelled"
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)

    await shopper_pays(stripe_client, localstripe, second["pay_token"])  # the money is taken
    refused = await stripe_client.post(f"{URL}/{second['id']}/cancel", headers=headers["vendor"])

    assert refused.status_code == 409, refused.text
    assert "already gone through" in refused.json()["detail"]
    assert (await stripe_client.get(f"{URL}/{second['id']}", headers=headers["vendor"])).json()[
        "status"
    ] == "open"
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # nothing released


# --- who may ---


async def test_anonymous_callers_get_401(stripe_client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    shop, headers = await shop_and_tokens(db)
    made = (await stripe_client.post(URL, json=body(shop), headers=headers["vendor"])).json()

    responses = [
        await stripe_client.post(URL, json=body(shop)),
        await stripe_client.get(f"{URL}/{made['id']}"),
        await stripe_client.post(f"{URL}/{made['id']}/cancel"),
        await stripe_client.get(f"{URL}/{made['id']}", headers={"Authorization": "Bearer not-a-token"}),
    ]

    assert [r.status_code for r in responses] == [401, 401, 401, 401]
    assert await count(db, CardCheckout) == 1
    assert (await stripe_client.get(f"{URL}/{made['id']}", headers=headers["vendor"])).json()[
        "status"
    ] == "open"


async def test_another_producers_vendor_cannot_open_read_or_cancel(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop, headers = await shop_and_tokens(db)
    theirs = headers["other_vendor"]

    opened = await stripe_client.post(URL, json=body(shop), headers=theirs)
    assert opened.status_code == 403, opened.text
    assert opened.json()["detail"] == "You may not sell at this place."
    await nothing_held(db, shop)

    made = (await stripe_client.post(URL, json=body(shop), headers=headers["vendor"])).json()
    read = await stripe_client.get(f"{URL}/{made['id']}", headers=theirs)
    cancel = await stripe_client.post(f"{URL}/{made['id']}/cancel", headers=theirs)
    # Sending the same id as someone else's checkout does not reveal it.
    same_id = await stripe_client.post(URL, json=body(shop, id=made["id"]), headers=theirs)

    assert (read.status_code, cancel.status_code, same_id.status_code) == (404, 404, 404)
    assert made["pay_token"] not in read.text + cancel.text + same_id.text
    assert (await stripe_client.get(f"{URL}/{made['id']}", headers=headers["vendor"])).json()[
        "status"
    ] == "open"
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


async def test_a_cashier_cannot_discount(stripe_client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    shop, headers = await shop_and_tokens(db)
    whole = body(shop, discount_vnd=10_000)
    line = body(shop)
    line["lines"][0]["discount_vnd"] = 5_000

    responses = [
        await stripe_client.post(URL, json=sent, headers=headers["cashier"]) for sent in (whole, line)
    ]

    assert [r.status_code for r in responses] == [403, 403]
    assert "cashier cannot" in responses[0].json()["detail"]
    await nothing_held(db, shop)
    vendor = await stripe_client.post(URL, json=whole, headers=headers["vendor"])
    assert vendor.status_code == 201 and vendor.json()["amount_vnd"] == CART_TOTAL - 10_000


async def test_cards_off_is_a_clear_422(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    shop, headers = await shop_and_tokens(db)

    response = await client.post(URL, json=body(shop), headers=headers["vendor"])

    assert response.status_code == 422
    assert response.json()["detail"] == "Card payments are not set up here."
    await nothing_held(db, shop)


# --- bad requests ---


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("not_json", "body"),
        ("no_lines", "lines"),
        ("empty_lines", "lines"),
        ("zero_quantity", "lines[0].quantity"),
        ("fractional_quantity", "lines[0].quantity"),
        ("bad_id", "id"),
        ("amount_text", "discount_vnd"),
        ("negative_discount", "discount_vnd"),
    ],
)
async def test_malformed_bodies_are_400_and_hold_nothing(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, case: str, field: str
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent: Any = body(shop)
    if case == "no_lines":
        del sent["lines"]
    elif case == "empty_lines":
        sent["lines"] = []
    elif case == "zero_quantity":
        sent["lines"][0]["quantity"] = 0
    elif case == "fractional_quantity":
        sent["lines"][0]["quantity"] = 1.5
    elif case == "bad_id":
        sent["id"] = "not-a-uuid"
    elif case == "amount_text":
        sent["discount_vnd"] = "abc"
    elif case == "negative_discount":
        sent["discount_vnd"] = -1

    if case == "not_json":
        response = await stripe_client.post(
            URL, content=b"{not json", headers={**headers["vendor"], "content-type": "application/json"}
        )
    else:
        response = await stripe_client.post(URL, json=sent, headers=headers["vendor"])

    assert response.status_code == 400, response.text
    out = response.json()
    assert out["error"] == "bad_request" and out["detail"].startswith("The request is malformed"), out
    if case != "not_json":
        assert field in out["fields"], out
    await nothing_held(db, shop)


async def test_payments_in_the_body_are_refused(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent = body(shop, payments=[{"method": "cash", "amount_vnd": CART_TOTAL}])

    response = await stripe_client.post(URL, json=sent, headers=headers["vendor"])

    assert response.status_code == 422
    assert response.json()["fields"]["payments"] == "A card sale is paid on its pay page: send no payments."
    await nothing_held(db, shop)


@pytest.mark.parametrize(
    ("case", "status", "text"),
    [
        ("unknown_product", 422, ""),
        ("other_producers_product", 422, ""),
        ("offline", 422, "needs the network"),
        ("unknown_location", 404, ""),
    ],
)
async def test_rule_breaking_requests_are_refused_and_hold_nothing(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, case: str, status: int, text: str
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent = body(shop)
    if case == "unknown_product":
        sent["lines"][0]["product_id"] = 999_999
    elif case == "other_producers_product":
        sent["lines"][0]["product_id"] = shop["other_product"]
    elif case == "offline":
        sent["offline"] = True
    elif case == "unknown_location":
        sent["location_id"] = 999_999

    response = await stripe_client.post(URL, json=sent, headers=headers["vendor"])

    assert response.status_code == status, response.text
    assert text in response.json()["detail"]
    await nothing_held(db, shop)


async def test_not_enough_stock_is_409_and_nothing_is_held(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent = body(shop)
    sent["lines"][1]["quantity"] = 11

    response = await stripe_client.post(URL, json=sent, headers=headers["vendor"])

    assert response.status_code == 409
    out = response.json()
    assert (out["error"], out["product_id"], out["available"]) == ("insufficient_stock", shop["oil"], 10)
    await nothing_held(db, shop)


async def test_the_same_id_twice_is_the_same_checkout(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent = body(shop)

    first = await stripe_client.post(URL, json=sent, headers=headers["vendor"])
    second = await stripe_client.post(URL, json=sent, headers=headers["cashier"])

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["pay_token"] == second.json()["pay_token"]
    assert await count(db, CardCheckout) == 1 and await count(db, Payment) == 1
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)


async def test_a_checkout_id_that_is_already_a_sale_is_409(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    shop, headers = await shop_and_tokens(db)
    sent = body(shop, payments=[{"method": "cash", "amount_vnd": CART_TOTAL}])
    assert (
        await stripe_client.post("/api/v1/sales", json=sent, headers=headers["vendor"])
    ).status_code == 201

    response = await stripe_client.post(URL, json={**sent, "payments": []}, headers=headers["vendor"])

    assert response.status_code == 409
    assert response.json()["detail"] == "This sale is already rung up."
    assert await count(db, CardCheckout) == 0
    assert (await on_hand(db, shop, "candy"), await on_hand(db, shop, "oil")) == (8, 9)  # sold once, in cash


async def test_unknown_checkouts_are_404(stripe_client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    _shop, headers = await shop_and_tokens(db)
    missing = uuid.uuid4()

    read = await stripe_client.get(f"{URL}/{missing}", headers=headers["vendor"])
    cancel = await stripe_client.post(f"{URL}/{missing}/cancel", headers=headers["vendor"])
    bad = await stripe_client.get(f"{URL}/not-a-uuid", headers=headers["vendor"])

    assert (read.status_code, cancel.status_code) == (404, 404)
    assert bad.status_code in (400, 404)
