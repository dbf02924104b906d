"""A held booth's fee paid by card, against localstripe: the producer's vendor is sent to the pay page (one
payment however many clicks), nobody else may start it, a booth that is confirmed, released or free has no
fee to pay, and only the signed webhook confirms the booth — once; a hold whose card was charged outlives its
deadline by the grace, waiting for that webhook; a booth released meanwhile stays released while its payment
is recorded as succeeded, with a note to refund it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry
from app.errors import Conflict, NotFound, PermissionDenied
from app.fairs.assignments import CARD_GRACE, AssignmentService
from app.fairs.models import Assignment, AssignmentStatus
from app.payments.cards import CardPayments
from app.payments.models import Payment, PaymentMethod, PaymentStatus
from app.payments.stripe_gateway import StripeGateway
from tests.factories import csrf_headers, login
from tests.integration.test_card_checkouts import count, deliver, notes, pay, payment_of, stripe_gateway
from tests.integration.test_fairs_e_services import T0, Scene, add_producer, make_scene
from tests.stripe_support import CARD_DECLINED, LocalStripe

pytestmark = pytest.mark.usefixtures("english")

FEE = 1_500_000


async def held_booth(db: AsyncSession, code: str = "A-01") -> tuple[Scene, int]:
    """A fair whose first applicant holds booth `code` (1.500.000 ₫ to pay): (scene, assignment id)."""
    scene = await make_scene(db, producers=2)
    [assignment] = await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths[code]], now=T0
    )
    await db.commit()
    assert (assignment.status, assignment.fee_vnd) == (AssignmentStatus.HELD, FEE)
    return scene, assignment.id


async def assignment_of(db: AsyncSession, assignment_id: int) -> Assignment:
    found = await db.scalar(
        select(Assignment).where(Assignment.id == assignment_id).execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def pay_by_card(client: AsyncTestClient[Litestar], fair_id: int, assignment_id: int) -> Any:
    if "csrftoken" not in client.cookies:
        await client.get("/")
    return await client.post(
        f"/fairs/{fair_id}/my-booth/assignments/{assignment_id}/pay-by-card",
        headers=csrf_headers(client),
        follow_redirects=False,
    )


async def sign_in(client: AsyncTestClient[Litestar], email: str) -> None:
    client.cookies.clear()
    await login(client, email)


# --- over HTTP: who may start it ---


async def test_the_vendor_is_sent_to_the_pay_page_and_a_second_click_reuses_the_payment(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene, assignment_id = await held_booth(db)
    await sign_in(stripe_client, scene.vendors[0].email)

    first = await pay_by_card(stripe_client, scene.fair_id, assignment_id)
    second = await pay_by_card(stripe_client, scene.fair_id, assignment_id)

    assert first.status_code == 303, first.text
    assert first.headers["location"].startswith("/pay/")
    assert second.headers["location"] == first.headers["location"]
    [payment] = (await db.scalars(select(Payment))).all()
    assert first.headers["location"] == f"/pay/{payment.pay_token}"
    assert (payment.assignment_id, payment.method, payment.status, payment.amount_vnd) == (
        assignment_id,
        PaymentMethod.STRIPE,
        PaymentStatus.PENDING,
        FEE,
    )
    assert payment.sale_id is None and payment.checkout_id is None
    assert await count(db, AuditEntry, AuditEntry.action == "fairs.booth.card_payment") == 1
    page = await stripe_client.get(first.headers["location"])
    assert page.status_code == 200 and "A-01" in page.text
    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.HELD


async def test_another_producers_vendor_and_wrong_ids_are_refused(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene, assignment_id = await held_booth(db)
    other = await make_scene(db, producers=0)
    await sign_in(stripe_client, scene.vendors[1].email)  # accepted at the same fair, not this booth's

    stranger = await pay_by_card(stripe_client, scene.fair_id, assignment_id)
    await sign_in(stripe_client, scene.vendors[0].email)
    wrong_fair = await pay_by_card(stripe_client, other.fair_id, assignment_id)
    unknown = await pay_by_card(stripe_client, scene.fair_id, 999_999)
    await sign_in(stripe_client, scene.organizer.email)
    organizer = await pay_by_card(stripe_client, scene.fair_id, assignment_id)

    assert (stranger.status_code, organizer.status_code) == (403, 403), stranger.text
    assert "Bạn không được thanh toán cho gian hàng này." in stranger.text  # a Vietnamese page
    assert (wrong_fair.status_code, unknown.status_code) == (404, 404)
    assert await count(db, Payment) == 0
    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.HELD


async def test_anonymous_and_a_missing_csrf_token_are_refused(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene, assignment_id = await held_booth(db)
    url = f"/fairs/{scene.fair_id}/my-booth/assignments/{assignment_id}/pay-by-card"

    anonymous = await pay_by_card(stripe_client, scene.fair_id, assignment_id)
    await sign_in(stripe_client, scene.vendors[0].email)
    no_csrf = await stripe_client.post(url, follow_redirects=False)

    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert no_csrf.status_code == 403
    assert await count(db, Payment) == 0


async def test_cards_off_the_button_answers_404(client: AsyncTestClient[Litestar], db: AsyncSession) -> None:
    scene, assignment_id = await held_booth(db)
    await sign_in(client, scene.vendors[0].email)

    response = await pay_by_card(client, scene.fair_id, assignment_id)

    assert response.status_code == 404
    assert await count(db, Payment) == 0


@pytest.mark.parametrize("state", ["confirmed", "released", "free_type", "held_at_no_fee"])
async def test_a_booth_with_no_fee_to_pay_is_refused(
    stripe_client: AsyncTestClient[Litestar], db: AsyncSession, state: str
) -> None:
    scene, assignment_id = await held_booth(db)
    service = AssignmentService(db)
    if state == "confirmed":
        await service.confirm_payment(scene.organizer, assignment_id, "CK 123", now=T0)
    elif state == "released":
        await service.release(scene.organizer, assignment_id, "Bỏ", now=T0)
    elif state == "free_type":
        app = await add_producer(db, scene, booth_type=scene.free_type)
        [free] = await service.assign(scene.organizer, scene.fair_id, app.id, [scene.booths["F-01"]], now=T0)
        assignment_id = free.id
        scene.vendors[0] = scene.vendors[-1]
    else:
        await db.execute(update(Assignment).where(Assignment.id == assignment_id).values(fee_vnd=0))
    await db.commit()
    payments_before = await count(db, Payment)
    await sign_in(stripe_client, scene.vendors[0].email)

    response = await pay_by_card(stripe_client, scene.fair_id, assignment_id)

    assert response.status_code == 409, response.text
    assert await count(db, Payment, Payment.method == PaymentMethod.STRIPE) == 0
    assert await count(db, Payment) == payments_before


# --- the webhook confirms the booth ---


async def test_the_succeeded_webhook_confirms_the_booth_exactly_once(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    scene, assignment_id = await held_booth(db)
    gw = stripe_gateway(localstripe)
    payment = await CardPayments(db, gw).for_assignment(
        scene.vendors[0], assignment_id, fair_id=scene.fair_id
    )
    await db.commit()
    token = payment.pay_token or ""

    result = await pay(db, gw, localstripe, token)

    assert result.status == "processing"
    assert (
        await assignment_of(db, assignment_id)
    ).status == AssignmentStatus.HELD  # not on the charge's word
    intent = localstripe.intent((await payment_of(db, token)).provider_reference)
    assert (intent["amount"], intent["currency"], intent["metadata"]["kind"]) == (FEE, "vnd", "booth")

    assert (
        await deliver(db, gw, "payment_intent.succeeded", intent, event_id="evt_booth_1") == "booth confirmed"
    )
    assert (
        await deliver(db, gw, "payment_intent.succeeded", intent, event_id="evt_booth_1") == "already applied"
    )
    assert (
        await deliver(db, gw, "payment_intent.succeeded", intent, event_id="evt_booth_2")
        == "already succeeded"
    )

    assignment = await assignment_of(db, assignment_id)
    assert assignment.status == AssignmentStatus.CONFIRMED and assignment.paid_at is not None
    assert (await payment_of(db, token)).status == PaymentStatus.SUCCEEDED
    assert await count(db, AuditEntry, AuditEntry.action == "fairs.booth.paid") == 1
    assert (
        await count(db, Payment, Payment.assignment_id == assignment_id) == 1
    )  # no second (transfer) payment
    # Now the booth is confirmed, its card button is refused.
    with pytest.raises(Conflict):
        await CardPayments(db, gw).for_assignment(scene.vendors[0], assignment_id, fair_id=scene.fair_id)
    await db.rollback()


async def test_a_booth_released_before_the_webhook_stays_released_and_the_payment_is_noted(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    scene, assignment_id = await held_booth(db)
    gw = stripe_gateway(localstripe)
    payment = await CardPayments(db, gw).for_assignment(
        scene.vendors[0], assignment_id, fair_id=scene.fair_id
    )
    await db.commit()
    token = payment.pay_token or ""
    await pay(db, gw, localstripe, token)
    await AssignmentService(db).release(scene.organizer, assignment_id, "Quá hạn", now=T0)
    await db.commit()
    intent = localstripe.intent((await payment_of(db, token)).provider_reference)

    outcome = await deliver(db, gw, "payment_intent.succeeded", intent)

    assert outcome == "booth not held"
    assignment = await assignment_of(db, assignment_id)
    assert assignment.status == AssignmentStatus.RELEASED and assignment.paid_at is None
    paid = await payment_of(db, token)
    assert paid.status == PaymentStatus.SUCCEEDED  # the money was taken: it shows, to be refunded
    assert "This booth assignment was released: there is no fee to confirm." in await notes(db, paid.id)
    assert await count(db, AuditEntry, AuditEntry.action == "fairs.booth.paid") == 0


async def card_payment_for_hold(
    db: AsyncSession, localstripe: LocalStripe
) -> tuple[int, dt.datetime, StripeGateway, str]:
    """A held booth whose vendor opened its card payment: (assignment, hold deadline, gateway, pay token)."""
    scene, assignment_id = await held_booth(db)
    deadline = (await assignment_of(db, assignment_id)).hold_expires_at
    assert deadline is not None
    gw = stripe_gateway(localstripe)
    payment = await CardPayments(db, gw).for_assignment(
        scene.vendors[0], assignment_id, fair_id=scene.fair_id
    )
    await db.commit()
    return assignment_id, deadline, gw, payment.pay_token or ""


async def test_a_hold_whose_card_payment_is_under_way_outlives_its_deadline_until_stripe_confirms(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    assignment_id, deadline, gw, token = await card_payment_for_hold(db, localstripe)
    assert (await pay(db, gw, localstripe, token)).status == "processing"  # charged, the webhook to come

    report = await AssignmentService(db).expire_holds(deadline + dt.timedelta(minutes=5))
    await db.commit()

    assert report.released == []
    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.HELD
    intent = localstripe.intent((await payment_of(db, token)).provider_reference)
    assert await deliver(db, gw, "payment_intent.succeeded", intent) == "booth confirmed"
    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.CONFIRMED


async def test_a_card_payment_that_never_confirms_holds_the_booth_only_for_the_grace(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    assignment_id, deadline, gw, token = await card_payment_for_hold(db, localstripe)
    await pay(db, gw, localstripe, token)
    services = AssignmentService(db)

    assert (await services.expire_holds(deadline + CARD_GRACE - dt.timedelta(seconds=1))).released == []
    assert (await services.expire_holds(deadline + CARD_GRACE)).released == [assignment_id]
    await db.commit()
    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.RELEASED


async def test_a_pay_page_opened_but_not_paid_does_not_keep_the_hold(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    assignment_id, deadline, _gw, _token = await card_payment_for_hold(db, localstripe)

    report = await AssignmentService(db).expire_holds(deadline)
    await db.commit()

    assert report.released == [assignment_id]
    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.RELEASED


async def test_a_declined_card_leaves_the_booth_held_and_the_page_open(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    scene, assignment_id = await held_booth(db)
    gw = stripe_gateway(localstripe)
    payment = await CardPayments(db, gw).for_assignment(
        scene.vendors[0], assignment_id, fair_id=scene.fair_id
    )
    await db.commit()
    token = payment.pay_token or ""

    assert (await pay(db, gw, localstripe, token, CARD_DECLINED)).status == "declined"

    assert (await assignment_of(db, assignment_id)).status == AssignmentStatus.HELD
    assert (await payment_of(db, token)).status == PaymentStatus.FAILED
    assert (await CardPayments(db, gw).by_token(token)).open
    # A second click after the decline reuses the same payment.
    again = await CardPayments(db, gw).for_assignment(scene.vendors[0], assignment_id, fair_id=scene.fair_id)
    assert again.id == payment.id


async def test_the_service_refuses_other_people_and_missing_assignments(
    db: AsyncSession, localstripe: LocalStripe
) -> None:
    scene, assignment_id = await held_booth(db)
    gw = stripe_gateway(localstripe)
    other_fair = await make_scene(db, producers=0)
    payments = CardPayments(db, gw)

    with pytest.raises(PermissionDenied):
        await payments.for_assignment(scene.vendors[1], assignment_id, fair_id=scene.fair_id)
    with pytest.raises(NotFound):
        await payments.for_assignment(scene.vendors[0], assignment_id, fair_id=other_fair.fair_id)
    with pytest.raises(NotFound):
        await payments.for_assignment(scene.vendors[0], 999_999)
    with pytest.raises(NotFound):
        await CardPayments(db, None).for_assignment(scene.vendors[0], assignment_id)
    await db.rollback()
    assert await count(db, Payment) == 0
