"""The card payments' reconciliation on a real database.

The scene: organization A runs fair A (booths A-01…A-05) and a showroom; organization B runs fair B. Card
sales are made the way the register makes them (a card checkout holding the cart, then Stripe's
`payment_intent.succeeded` applied through the webhook handler), booth fees the way the pay page's payments
are fulfilled. Then each mismatch is built: a card charged after its checkout was cancelled, a fee paid for a
released booth, a booth paid twice, an amount or a refund that differs, a sale whose payment is not
succeeded, a payment stuck pending. Checked: who sees which payments (another organization's never), every
mismatch found by the rules, the SQL filter agreeing with the rules, totals, filters, one payment's history,
and "Check with Stripe" against localstripe (read-only).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.rules import CurrentUser
from app.errors import Conflict, NotFound, PermissionDenied
from app.fairs.assignments import AssignmentService
from app.fairs.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    FairStatus,
    Hall,
)
from app.payments import history
from app.payments.cards import CardPayments
from app.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus
from app.payments.reconciliation import Filters, ReconciliationService
from app.payments.stripe_gateway import Event, StripeGateway
from app.pos.card import CardCheckoutService
from app.pos.models import Sale
from app.pos.schemas import RefundIn, RefundLineIn, SaleIn, SaleLineIn
from app.pos.services import RefundService
from tests.factories import (
    make_organization,
    make_producer,
    make_product,
    make_user,
    pos_actor,
    pos_location,
    pos_stock,
)

pytestmark = pytest.mark.usefixtures("english")

FEE = 500_000
ALL = 200  # a page size that holds the whole scene


class CardStub:
    """Stands in for Stripe where the scene needs a gateway but no network: opening a checkout (which only
    asks that cards are on) and a refund to the card (which Stripe would accept)."""

    def refund(self, intent_id: str, amount_vnd: int, key: str) -> str:
        return f"re_{key[:8]}"


STUB = cast(StripeGateway, CardStub())


@dataclass
class Scene:
    org_a: int
    org_b: int
    organizer_a: User
    organizer_b: User
    admin: User
    vendor: User
    fair_a: int
    payments: dict[str, int] = field(default_factory=dict)

    def ids(self, *names: str) -> set[int]:
        return {self.payments[name] for name in names}


async def actor_of(db: AsyncSession, user: User) -> CurrentUser:
    return cast(CurrentUser, await pos_actor(db, user))


async def succeed(db: AsyncSession, payment_id: int, *, amount: int | None = None) -> str:
    """Stripe's `payment_intent.succeeded` for the payment, applied as the webhook applies it."""
    payment = await db.get(Payment, payment_id, populate_existing=True)
    assert payment is not None
    intent_id = payment.provider_reference or f"pi_{uuid.uuid4().hex[:20]}"
    payment.provider_reference = intent_id
    await db.commit()
    event = Event(
        id=f"evt_{uuid.uuid4().hex}",
        type="payment_intent.succeeded",
        object={
            "id": intent_id,
            "amount": payment.amount_vnd if amount is None else amount,
            "currency": "vnd",
            "metadata": {"payment_id": str(payment_id)},
        },
    )
    outcome = await CardPayments(db, None).apply_event(event)
    await db.commit()
    return outcome


async def card_sale(
    db: AsyncSession,
    seller: CurrentUser,
    location_id: int,
    product_id: int,
    quantity: int,
    *,
    paid: bool = True,
) -> tuple[int, uuid.UUID]:
    """A card checkout at the register (stock held, a pending card payment); paid: Stripe confirms it."""
    sale_id = uuid.uuid4()
    view = await CardCheckoutService(db, STUB).open(
        seller,
        SaleIn(
            id=sale_id, location_id=location_id, lines=[SaleLineIn(quantity=quantity, product_id=product_id)]
        ),
    )
    await db.commit()
    if paid:
        assert await succeed(db, view.payment.id) == "sale written"
    return view.payment.id, sale_id


async def booth_payment(db: AsyncSession, assignment_id: int, amount: int = FEE) -> int:
    """The pending card payment of a booth fee, as "pay the booth fee by card" makes it."""
    payment = Payment(
        assignment_id=assignment_id,
        method=PaymentMethod.STRIPE,
        status=PaymentStatus.PENDING,
        amount_vnd=amount,
        pay_token=uuid.uuid4().hex,
    )
    db.add(payment)
    await db.flush()
    history.note(db, payment, "Booth fee to pay by card.")
    await db.commit()
    return payment.id


async def make_fair(
    db: AsyncSession, organization_id: int, code: str, places: list[tuple[str, Any, Any]]
) -> tuple[int, dict[str, int]]:
    """A running fair with one booth per (code, location, producer) and a held assignment of each
    producer's accepted application; returns the fair's id and each booth's assignment id."""
    now = dt.datetime.now(dt.UTC)
    fair = Fair(
        slug=f"hoi-cho-{code.lower()}-{uuid.uuid4().hex[:6]}",
        name_vi=f"Hội chợ OCOP {code}",
        name_en=f"OCOP fair {code}",
        organization_id=organization_id,
        status=FairStatus.RUNNING,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=3),
    )
    db.add(fair)
    await db.flush()
    hall = Hall(fair_id=fair.id, name="Nhà A", columns=30, rows=10)
    booth_type = BoothType(fair_id=fair.id, name="Tiêu chuẩn", size_m2=9, price_vnd=FEE)
    db.add_all([hall, booth_type])
    await db.flush()
    assignments = {}
    for x, (booth_code, location, producer) in enumerate(places):
        booth = Booth(
            fair_id=fair.id,
            hall_id=hall.id,
            booth_type_id=booth_type.id,
            code=booth_code,
            x=x * 3,
            y=0,
            width=3,
            height=3,
            location_id=location.id,
        )
        application = Application(
            fair_id=fair.id,
            producer_id=producer.id,
            booth_type_id=booth_type.id,
            status=ApplicationStatus.ACCEPTED,
            submitted_at=now - dt.timedelta(days=10),
        )
        db.add_all([booth, application])
        await db.flush()
        assignment = Assignment(
            fair_id=fair.id,
            booth_id=booth.id,
            application_id=application.id,
            producer_id=producer.id,
            status=AssignmentStatus.HELD,
            method=AssignmentMethod.MANUAL,
            fee_vnd=FEE,
            hold_expires_at=now + dt.timedelta(days=5),
        )
        db.add(assignment)
        await db.flush()
        assignments[booth_code] = assignment.id
    await db.commit()
    return fair.id, assignments


async def build_scene(db: AsyncSession) -> Scene:
    org_a = await make_organization(db, "Sở Công Thương Vĩnh Long")
    org_b = await make_organization(db, "Sở Công Thương Cà Mau")
    organizer_a = await make_user(db, "btc@vinhlong.gov.vn", role=Role.ORGANIZER, organization=org_a)
    organizer_b = await make_user(db, "btc@camau.gov.vn", role=Role.ORGANIZER, organization=org_b)
    admin = await make_user(db, "admin@chophien.vn", role=Role.ADMIN)

    p = await make_producer(db, name="HTX Dừa Giồng Trôm")
    q = await make_producer(db, name="HTX Tôm Khô Cà Mau")
    others = [
        await make_producer(db, name=f"Cơ sở {name}")
        for name in ("Rượu Xoài", "Muối Hạt", "Mật Ong", "Bánh Pía")
    ]
    candy = await make_product(db, p, name_vi="Kẹo dừa sáp", price_vnd=45_000)
    shrimp = await make_product(db, q, name_vi="Tôm khô", price_vnd=300_000)
    vendor = await make_user(db, "ban-hang@htxdua.vn", role=Role.VENDOR, producer=p)
    vendor_q = await make_user(db, "ban-hang@tomkho.vn", role=Role.VENDOR, producer=q)
    showroom_staff = await make_user(db, "diem-ban@vinhlong.gov.vn", role=Role.VENDOR, organization=org_a)

    loc_p = await pos_location(db, producer=p, name="Gian A-01")
    loc_q = await pos_location(db, producer=q, name="Gian B-01")
    showroom = await pos_location(db, organization=org_a, name="Điểm bán OCOP Vĩnh Long", kind="showroom")
    own_shop = await pos_location(db, producer=p, name="Cửa hàng HTX Dừa", kind="showroom")
    booth_places = [await pos_location(db, producer=o, name=f"Gian A-0{i + 2}") for i, o in enumerate(others)]
    for product, location in ((candy, loc_p), (candy, showroom), (candy, own_shop), (shrimp, loc_q)):
        await pos_stock(db, product.id, location.id, 100)

    fair_a, booths_a = await make_fair(
        db,
        org_a.id,
        "A",
        [("A-01", loc_p, p)]
        + [(f"A-0{i + 2}", loc, o) for i, (loc, o) in enumerate(zip(booth_places, others, strict=True))],
    )
    _fair_b, booths_b = await make_fair(db, org_b.id, "B", [("B-01", loc_q, q)])

    scene = Scene(org_a.id, org_b.id, organizer_a, organizer_b, admin, vendor, fair_a)
    pay = scene.payments
    seller = await actor_of(db, vendor)
    staff = await actor_of(db, showroom_staff)

    # Card sales that add up.
    pay["sale_ok"], _ = await card_sale(db, seller, loc_p.id, candy.id, 2)
    pay["showroom_ok"], _ = await card_sale(db, staff, showroom.id, candy.id, 1)
    pay["card_refund_ok"], refunded_to_card = await card_sale(db, seller, loc_p.id, candy.id, 2)
    await RefundService(db, STUB).refund(
        seller,
        refunded_to_card,
        RefundIn(
            id=uuid.uuid4(), reason="Hộp móp", lines=[RefundLineIn(quantity=1, line_no=1)], method="stripe"
        ),
    )
    await db.commit()
    # Declined, then given up at the register: nothing taken, nothing to reconcile.
    pay["declined"], declined = await card_sale(db, seller, loc_p.id, candy.id, 1, paid=False)
    await CardCheckoutService(db, None).cancel(seller, declined)
    await db.commit()
    # A fresh pending payment (the shopper is on the pay page): not stuck yet.
    pay["pending_fresh"], _ = await card_sale(db, seller, loc_p.id, candy.id, 1, paid=False)
    await db.execute(
        update(Payment).where(Payment.id == pay["pending_fresh"]).values(provider_reference="pi_fresh")
    )

    # Mismatches of card sales.
    pay["paid_after_cancel"], cancelled = await card_sale(db, seller, loc_p.id, candy.id, 3, paid=False)
    await db.execute(
        update(Payment).where(Payment.id == pay["paid_after_cancel"]).values(provider_reference="pi_late")
    )
    await db.commit()
    await CardCheckoutService(db, None).cancel(seller, cancelled)
    await db.commit()
    assert await succeed(db, pay["paid_after_cancel"]) == "paid after cancel"

    pay["cash_refund"], refunded_in_cash = await card_sale(db, seller, loc_p.id, candy.id, 2)
    await RefundService(db, None).refund(
        seller,
        refunded_in_cash,
        RefundIn(id=uuid.uuid4(), reason="Khách đổi ý", lines=[RefundLineIn(quantity=1, line_no=1)]),
    )
    await db.commit()

    pay["sale_not_succeeded"], _ = await card_sale(db, seller, loc_p.id, candy.id, 1)
    pay["sale_amount"], _ = await card_sale(db, seller, loc_p.id, candy.id, 1)
    pay["stuck"], _ = await card_sale(db, seller, loc_p.id, candy.id, 1, paid=False)
    await db.execute(
        update(Payment)
        .where(Payment.id == pay["sale_not_succeeded"])
        .values(status=PaymentStatus.FAILED, failure_message="Your card was declined.")
    )
    await db.execute(update(Payment).where(Payment.id == pay["sale_amount"]).values(amount_vnd=40_000))
    await db.execute(
        update(Payment)
        .where(Payment.id == pay["stuck"])
        .values(provider_reference="pi_stuck", updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    )
    await db.commit()

    # Booth fees.
    pay["booth_ok"] = await booth_payment(db, booths_a["A-01"])
    assert await succeed(db, pay["booth_ok"]) == "booth confirmed"

    pay["booth_released"] = await booth_payment(db, booths_a["A-02"])
    await db.execute(
        update(Assignment).where(Assignment.id == booths_a["A-02"]).values(status=AssignmentStatus.RELEASED)
    )
    await db.commit()
    assert await succeed(db, pay["booth_released"]) == "booth not held"

    pay["booth_twice_1"] = await booth_payment(db, booths_a["A-03"])
    pay["booth_twice_2"] = await booth_payment(db, booths_a["A-03"])
    assert await succeed(db, pay["booth_twice_1"]) == "booth confirmed"
    assert await succeed(db, pay["booth_twice_2"]) == "booth confirmed"  # already: nothing more written

    pay["booth_fee_changed"] = await booth_payment(db, booths_a["A-04"])
    assert await succeed(db, pay["booth_fee_changed"]) == "booth confirmed"
    await db.execute(update(Assignment).where(Assignment.id == booths_a["A-04"]).values(fee_vnd=600_000))
    await db.commit()

    # the organizer confirmed a bank transfer, and the card was charged too.
    organizer = await actor_of(db, organizer_a)
    pay["booth_card_after_transfer"] = await booth_payment(db, booths_a["A-05"])
    await AssignmentService(db).confirm_payment(organizer, booths_a["A-05"], "CK A-05")
    await db.commit()
    assert await succeed(db, pay["booth_card_after_transfer"]) == "booth confirmed"

    # Out of organization A's scope.
    seller_q = await actor_of(db, vendor_q)
    pay["other_org_sale"], _ = await card_sale(db, seller_q, loc_q.id, shrimp.id, 1)
    pay["other_org_booth"] = await booth_payment(db, booths_b["B-01"])
    assert await succeed(db, pay["other_org_booth"]) == "booth confirmed"
    pay["own_shop_sale"], _ = await card_sale(db, seller, own_shop.id, candy.id, 1)  # no fair's booth
    # A cash sale is no card payment, whoever may see it.
    return scene


EXPECTED = {
    "sale_ok": [],
    "showroom_ok": [],
    "card_refund_ok": [],
    "declined": [],
    "pending_fresh": [],
    "paid_after_cancel": ["no_sale"],
    "cash_refund": ["refund"],
    "sale_not_succeeded": ["not_succeeded"],
    "sale_amount": ["amount"],
    "stuck": ["stuck"],
    "booth_ok": [],
    "booth_released": ["booth_not_confirmed"],
    "booth_twice_1": ["paid_twice"],
    "booth_twice_2": ["paid_twice"],
    "booth_fee_changed": ["amount"],
    "booth_card_after_transfer": ["paid_twice"],
}
OUT_OF_A = ("other_org_sale", "other_org_booth", "own_shop_sale")


async def rows_for(db: AsyncSession, user: User, filters: Filters | None = None) -> dict[int, list[str]]:
    listing = await ReconciliationService(db).listing(
        await actor_of(db, user), filters or Filters(), size=ALL
    )
    return {row.payment.id: [m.code for m in row.mismatches] for row in listing.rows.items}


@pytest.fixture
async def scene(db: AsyncSession) -> Scene:
    return await build_scene(db)


# --- scope ---


async def test_an_organizer_sees_its_fairs_and_showrooms_card_payments_only(
    db: AsyncSession, scene: Scene
) -> None:
    seen = await rows_for(db, scene.organizer_a)
    assert set(seen) == scene.ids(*EXPECTED)
    assert not set(seen) & scene.ids(*OUT_OF_A)


async def test_another_organization_sees_none_of_them(db: AsyncSession, scene: Scene) -> None:
    assert set(await rows_for(db, scene.organizer_b)) == scene.ids("other_org_sale", "other_org_booth")


async def test_an_admin_sees_every_card_payment(db: AsyncSession, scene: Scene) -> None:
    assert set(await rows_for(db, scene.admin)) == scene.ids(*EXPECTED, *OUT_OF_A)


async def test_cash_and_transfer_payments_are_not_listed(db: AsyncSession, scene: Scene) -> None:
    others = (await db.scalars(select(Payment.id).where(Payment.method != PaymentMethod.STRIPE))).all()
    assert others  # the transfer of booth A-05 at least
    assert not set(others) & set(await rows_for(db, scene.admin))


async def test_vendors_and_cashiers_may_not_reconcile(db: AsyncSession, scene: Scene) -> None:
    service = ReconciliationService(db)
    vendor = await actor_of(db, scene.vendor)
    with pytest.raises(PermissionDenied, match="Only organizers and administrators"):
        await service.listing(vendor, Filters())
    with pytest.raises(PermissionDenied):
        await service.view(vendor, scene.payments["sale_ok"])
    with pytest.raises(PermissionDenied):
        await service.listing(None, Filters())


async def test_a_payment_out_of_scope_is_missing(db: AsyncSession, scene: Scene) -> None:
    service = ReconciliationService(db)
    organizer_b = await actor_of(db, scene.organizer_b)
    for name in ("sale_ok", "booth_ok", "showroom_ok"):
        with pytest.raises(NotFound, match="This payment does not exist"):
            await service.view(organizer_b, scene.payments[name])
    for missing in (0, -1, 2**63, 10**9):
        with pytest.raises(NotFound):
            await service.view(organizer_b, missing)
    cash = await db.scalar(select(Payment.id).where(Payment.method == PaymentMethod.VIETQR))
    assert cash is not None
    with pytest.raises(NotFound):
        await service.view(await actor_of(db, scene.admin), cash)


# --- mismatches ---


async def test_every_mismatch_is_found_and_nothing_else(db: AsyncSession, scene: Scene) -> None:
    seen = await rows_for(db, scene.organizer_a)
    assert {name: seen[scene.payments[name]] for name in EXPECTED} == EXPECTED


async def test_the_sql_filter_agrees_with_the_rules(db: AsyncSession, scene: Scene) -> None:
    everything = await rows_for(db, scene.admin)
    flagged = await rows_for(db, scene.admin, Filters(only_mismatches=True))
    assert set(flagged) == {pid for pid, found in everything.items() if found}
    assert all(flagged.values())


async def test_mismatches_carry_their_explanation(db: AsyncSession, scene: Scene) -> None:
    row = await ReconciliationService(db).get(
        await actor_of(db, scene.organizer_a), scene.payments["paid_after_cancel"]
    )
    [mismatch] = row.mismatches
    assert "after the checkout was cancelled" in mismatch.message
    assert row.sale is None and row.checkout is not None and row.kind == "sale"
    assert row.title.startswith("Card checkout, no sale")


async def test_a_stuck_payment_is_no_longer_stuck_once_stripe_answers(db: AsyncSession, scene: Scene) -> None:
    assert await succeed(db, scene.payments["stuck"]) == "sale written"
    seen = await rows_for(db, scene.organizer_a)
    assert seen[scene.payments["stuck"]] == []


async def test_a_refund_to_the_card_of_a_paid_after_cancel_settles_it(db: AsyncSession, scene: Scene) -> None:
    payment = await db.get(Payment, scene.payments["paid_after_cancel"])
    assert payment is not None
    event = Event(
        id=f"evt_{uuid.uuid4().hex}",
        type="charge.refunded",
        object={"payment_intent": payment.provider_reference, "amount_refunded": payment.amount_vnd},
    )
    assert await CardPayments(db, None).apply_event(event) == "refund recorded"
    await db.commit()
    seen = await rows_for(db, scene.organizer_a)
    assert seen[scene.payments["paid_after_cancel"]] == []


# --- totals and filters ---


async def test_totals_add_up_what_the_filters_match(db: AsyncSession, scene: Scene) -> None:
    actor = await actor_of(db, scene.organizer_a)
    payments = (
        await db.scalars(
            select(Payment)
            .where(Payment.id.in_(scene.ids(*EXPECTED)))
            .execution_options(populate_existing=True)
        )
    ).all()
    taken = [p for p in payments if p.status.value in ("succeeded", "partly_refunded", "refunded")]
    totals = (await ReconciliationService(db).listing(actor, Filters())).totals
    assert totals.count == len(EXPECTED)
    assert totals.succeeded_vnd == sum(p.amount_vnd for p in taken)
    assert totals.refunded_vnd == sum(p.refunded_vnd for p in payments) == 45_000
    assert totals.net_vnd == totals.succeeded_vnd - 45_000
    booths = (await ReconciliationService(db).listing(actor, Filters(kind="booth"))).totals
    assert booths.count == 6 and booths.succeeded_vnd == 6 * FEE and booths.refunded_vnd == 0


async def test_filters_by_status_and_kind(db: AsyncSession, scene: Scene) -> None:
    assert set(await rows_for(db, scene.organizer_a, Filters(status="pending"))) == scene.ids(
        "pending_fresh", "stuck"
    )
    assert set(await rows_for(db, scene.organizer_a, Filters(status="failed"))) == scene.ids(
        "declined", "sale_not_succeeded"
    )
    assert set(await rows_for(db, scene.organizer_a, Filters(kind="booth"))) == scene.ids(
        *(name for name in EXPECTED if name.startswith("booth"))
    )
    sales = await rows_for(db, scene.organizer_a, Filters(kind="sale", only_mismatches=True))
    assert set(sales) == scene.ids(
        "paid_after_cancel", "cash_refund", "sale_not_succeeded", "sale_amount", "stuck"
    )


async def test_filters_by_local_day(db: AsyncSession, scene: Scene) -> None:
    # 23:30 on 1 November in Vietnam is 16:30 UTC the same day; 00:30 on 2 November is 17:30 UTC on the 1st.
    late_evening = dt.datetime(2025, 11, 1, 16, 30, tzinfo=dt.UTC)
    after_midnight = dt.datetime(2025, 11, 1, 17, 30, tzinfo=dt.UTC)
    await db.execute(
        update(Payment).where(Payment.id == scene.payments["sale_ok"]).values(created_at=late_evening)
    )
    await db.execute(
        update(Payment).where(Payment.id == scene.payments["booth_ok"]).values(created_at=after_midnight)
    )
    await db.commit()
    first = dt.date(2025, 11, 1)
    second = dt.date(2025, 11, 2)
    assert set(await rows_for(db, scene.organizer_a, Filters(date_from=first, date_to=first))) == scene.ids(
        "sale_ok"
    )
    assert set(await rows_for(db, scene.organizer_a, Filters(date_from=second, date_to=second))) == scene.ids(
        "booth_ok"
    )
    assert set(await rows_for(db, scene.organizer_a, Filters(date_to=second))) == scene.ids(
        "sale_ok", "booth_ok"
    )
    assert scene.ids("sale_ok", "booth_ok").isdisjoint(
        await rows_for(db, scene.organizer_a, Filters(date_from=dt.date(2025, 11, 3)))
    )


async def test_pages_are_newest_first_and_complete(db: AsyncSession, scene: Scene) -> None:
    actor = await actor_of(db, scene.organizer_a)
    service = ReconciliationService(db)
    seen: list[int] = []
    page = 1
    while True:
        listing = await service.listing(actor, Filters(page=page), size=5)
        seen.extend(row.payment.id for row in listing.rows.items)
        if not listing.rows.has_next:
            break
        page += 1
    assert page == 4 and len(seen) == len(set(seen)) == len(EXPECTED)
    assert seen == sorted(seen, reverse=True)  # made one after another: newest first


# --- one payment ---


async def test_a_payments_history_in_order_with_who_acted(db: AsyncSession, scene: Scene) -> None:
    view = await ReconciliationService(db).view(
        await actor_of(db, scene.organizer_a), scene.payments["paid_after_cancel"]
    )
    notes = [line.note for line in view.history]
    assert notes[0] == "Waiting for the card payment."
    assert "Cancelled at the register." in notes
    assert notes[-1].startswith("Paid after the checkout was cancelled")
    assert notes.index("Cancelled at the register.") < notes.index("Payment succeeded.")
    assert [line.at for line in view.history] == sorted(line.at for line in view.history)
    cancelled = view.history[notes.index("Cancelled at the register.")]
    assert cancelled.actor == "ban-hang" and cancelled.status == "failed"
    succeeded = view.history[notes.index("Payment succeeded.")]
    assert succeeded.actor == "" and succeeded.source.startswith("evt_")
    assert view.created_by == "ban-hang"


async def test_a_booth_fee_row_names_the_booth_and_fair(db: AsyncSession, scene: Scene) -> None:
    row = await ReconciliationService(db).get(
        await actor_of(db, scene.organizer_a), scene.payments["booth_released"]
    )
    assert row.kind == "booth" and row.booth is not None and row.booth.code == "A-02"
    assert row.title == "Booth A-02 — Hội chợ OCOP A" or row.title == "Booth A-02 — OCOP fair A"
    assert row.link == f"/manage/fairs/{scene.fair_a}/assignments"
    assert row.counterpart == "Released"


# --- Stripe's side ---


async def test_check_with_stripe_needs_stripe_and_a_charged_card(db: AsyncSession, scene: Scene) -> None:
    service = ReconciliationService(db)
    organizer = await actor_of(db, scene.organizer_a)
    with pytest.raises(Conflict, match="Card payments are off"):
        await service.check(organizer, scene.payments["sale_ok"], None)
    never_charged = await booth_payment(
        db, (await db.get(Payment, scene.payments["booth_ok"])).assignment_id or 0
    )
    with pytest.raises(Conflict, match="No card was charged"):
        await service.check(organizer, never_charged, STUB)
    with pytest.raises(NotFound):
        await service.check(await actor_of(db, scene.organizer_b), scene.payments["sale_ok"], STUB)


async def test_check_with_stripe_reads_the_intent_and_changes_nothing(
    db: AsyncSession, scene: Scene, localstripe: Any
) -> None:
    from app.settings import get_settings
    from tests.stripe_support import CARD_OK

    gateway = StripeGateway(localstripe.settings(get_settings()))
    payment = await db.get(Payment, scene.payments["stuck"], populate_existing=True)
    assert payment is not None
    _id, secret = gateway.create_setup_intent({"payment_id": str(payment.id)})
    setup = localstripe.card_setup(secret, CARD_OK)
    method = gateway.setup_payment_method(setup["id"])
    intent = gateway.charge(method, payment.amount_vnd, {"payment_id": str(payment.id)}, f"test:{payment.id}")
    assert intent.status == "succeeded"
    await db.execute(update(Payment).where(Payment.id == payment.id).values(provider_reference=intent.id))
    await db.commit()
    events_before = len(
        (await db.scalars(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id))).all()
    )

    organizer = await actor_of(db, scene.organizer_a)
    check = await ReconciliationService(db).check(organizer, payment.id, gateway)
    assert check.intent.id == intent.id and check.intent.status == "succeeded"
    assert check.intent.amount == payment.amount_vnd
    assert len(check.differences) == 1 and "Stripe has taken the money" in check.differences[0]
    await db.commit()

    again = await db.get(Payment, payment.id, populate_existing=True)
    assert again is not None and again.status == PaymentStatus.PENDING  # read-only: the webhook fulfils
    assert await db.scalar(select(Sale.id).where(Sale.id == again.sale_id)) is None
    events_after = len(
        (await db.scalars(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id))).all()
    )
    assert events_after == events_before

    refunded = await db.get(Payment, scene.payments["sale_ok"], populate_existing=True)
    assert refunded is not None
    sale_intent = gateway.charge(
        method, refunded.amount_vnd, {"payment_id": str(refunded.id)}, f"t2:{refunded.id}"
    )
    gateway.refund(sale_intent.id, 10_000, "reconcile-test")
    await db.execute(
        update(Payment).where(Payment.id == refunded.id).values(provider_reference=sale_intent.id)
    )
    await db.commit()
    check = await ReconciliationService(db).check(organizer, refunded.id, gateway)
    assert check.intent.amount_refunded == 10_000
    assert len(check.differences) == 1 and "Stripe has refunded" in check.differences[0]


async def test_check_with_stripe_when_stripe_does_not_know_the_intent(
    db: AsyncSession, scene: Scene, localstripe: Any
) -> None:
    from app.settings import get_settings

    gateway = StripeGateway(localstripe.settings(get_settings()))
    await db.execute(
        update(Payment).where(Payment.id == scene.payments["sale_ok"]).values(provider_reference="pi_nope")
    )
    await db.commit()
    with pytest.raises(Conflict, match="cannot be reached or does not know"):
        await ReconciliationService(db).check(
            await actor_of(db, scene.admin), scene.payments["sale_ok"], gateway
        )
