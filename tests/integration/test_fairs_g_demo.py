"""The demo's fairs (`chophien seed-demo` → app.fairs.demo): a published fair with applications in every state
and booths held or paid, and a running fair whose booths sell, so the organizer's dashboard has figures.
Checked on the seeded database: statuses, every application state, one active assignment per booth, a stock
location behind every booth owned as the assignment says, sales inside the running fair, the ledger, and
that seeding again adds nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.services import UserService, current_user_from
from app.catalog.models import Producer, Product
from app.demo import database_is_empty, seed
from app.fairs.applications import ApplicationService
from app.fairs.dashboard import DashboardService
from app.fairs.demo import already_seeded, seed_fairs
from app.fairs.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Booth,
    BoothType,
    CallQuestion,
    Fair,
    FairSession,
    FairStatus,
    Hall,
    SessionKind,
)
from app.inventory.models import Location, LocationKind, StockLevel, StockMovement
from app.notify.models import Notification
from app.payments.models import Payment, PaymentMethod, PaymentStatus
from app.pos.models import Refund, Sale


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def _fair(db: AsyncSession, status: FairStatus) -> Fair:
    fairs = (await db.scalars(select(Fair).where(Fair.status == status))).all()
    assert len(fairs) == 1, f"one {status.value} demo fair"
    return fairs[0]


async def test_the_demo_has_a_published_fair_with_a_plan_a_programme_and_every_application_state(
    db: AsyncSession,
) -> None:
    await seed(db)
    await db.commit()
    now = dt.datetime.now(dt.UTC)
    fair = await _fair(db, FairStatus.PUBLISHED)
    assert _aware(fair.starts_at) > now + dt.timedelta(days=14)  # a few weeks ahead
    assert fair.latitude is not None and fair.longitude is not None
    assert fair.province_code == 86 and fair.name_en

    halls = (await db.scalars(select(Hall).where(Hall.fair_id == fair.id))).all()
    assert [h.name for h in halls] == ["Nhà A"]
    booths = (await db.scalars(select(Booth).where(Booth.fair_id == fair.id))).all()
    assert 30 <= len(booths) <= 40
    assert {"A-01", "A-12", "B-01", "C-01"} <= {b.code for b in booths}
    assert sum(b.blocked for b in booths) == 3
    assert len({b.zone for b in booths}) == 3
    types = (await db.scalars(select(BoothType).where(BoothType.fair_id == fair.id))).all()
    assert len(types) == 3 and all(t.price_vnd > 0 and t.features for t in types)

    kinds = set((await db.scalars(select(FairSession.kind).where(FairSession.fair_id == fair.id))).all())
    assert {
        SessionKind.OPENING,
        SessionKind.TASTING,
        SessionKind.LIVESTREAM,
        SessionKind.MATCHMAKING,
    } <= kinds
    questions = (await db.scalars(select(CallQuestion).where(CallQuestion.fair_id == fair.id))).all()
    assert len(questions) >= 3 and any(q.required for q in questions)

    applications = (await db.scalars(select(Application).where(Application.fair_id == fair.id))).all()
    assert {a.status for a in applications} == set(ApplicationStatus)
    waitlisted = sorted(
        a.waitlist_rank or 0 for a in applications if a.status == ApplicationStatus.WAITLISTED
    )
    assert waitlisted == [1, 2]
    assert any(a.review_note for a in applications) and any(a.message for a in applications)
    assert all(a.answers for a in applications if a.status != ApplicationStatus.DRAFT)
    assert all(a.products for a in applications)
    decided = [a for a in applications if a.decided_at is not None]
    assert decided and all(_aware(a.decided_at) <= now for a in decided if a.decided_at)

    # Booths for the accepted: some held until a future deadline, some paid by VietQR and confirmed.
    assignments = (await db.scalars(select(Assignment).where(Assignment.fair_id == fair.id))).all()
    accepted = {a.id for a in applications if a.status == ApplicationStatus.ACCEPTED}
    assert assignments and {a.application_id for a in assignments} == accepted
    held = [a for a in assignments if a.status == AssignmentStatus.HELD]
    confirmed = [a for a in assignments if a.status == AssignmentStatus.CONFIRMED]
    assert held and all(a.hold_expires_at and _aware(a.hold_expires_at) > now for a in held)
    assert confirmed
    for assignment in confirmed:
        payments = (await db.scalars(select(Payment).where(Payment.assignment_id == assignment.id))).all()
        assert len(payments) == 1
        assert payments[0].method == PaymentMethod.VIETQR and payments[0].status == PaymentStatus.SUCCEEDED
        assert payments[0].amount_vnd == assignment.fee_vnd > 0

    # The outbox: the organizers heard of the applications, the producers of decisions and booths.
    topics = set((await db.scalars(select(Notification.topic))).all())
    assert {
        "fairs.application.submitted",
        "fairs.application.accepted",
        "fairs.application.rejected",
        "fairs.application.waitlisted",
        "fairs.application.withdrawn",
        "fairs.booth.assigned",
    } <= topics

    # A producer's vendor sees its own applications only.
    vendor = await UserService(db).by_email("duasap@chophien.vn")
    assert vendor is not None
    mine = await ApplicationService(db).mine(current_user_from(vendor))
    producer = await db.scalar(select(Producer).where(Producer.name == "Hợp tác xã Dừa sáp Cầu Kè"))
    assert producer is not None
    assert mine.items and {row.application.producer_id for row in mine.items} == {producer.id}


async def test_no_booth_is_assigned_twice_and_every_booth_is_a_stock_location_owned_as_assigned(
    db: AsyncSession,
) -> None:
    await seed(db)
    await db.commit()
    twice = await db.scalar(
        select(func.count()).select_from(
            select(Assignment.booth_id)
            .where(Assignment.status != AssignmentStatus.RELEASED)
            .group_by(Assignment.booth_id)
            .having(func.count(Assignment.id) > 1)
            .subquery()
        )
    )
    assert twice == 0
    active = {
        a.booth_id: a
        for a in (
            await db.scalars(select(Assignment).where(Assignment.status != AssignmentStatus.RELEASED))
        ).all()
    }
    fairs = {f.id: f for f in (await db.scalars(select(Fair))).all()}
    booths = (await db.scalars(select(Booth))).all()
    assert len(booths) > 40
    for booth in booths:
        location = await db.get(Location, booth.location_id)
        assert location is not None and location.kind == LocationKind.BOOTH, booth.code
        assignment = active.get(booth.id)
        if assignment is None:
            assert location.organization_id == fairs[booth.fair_id].organization_id, booth.code
            assert location.producer_id is None
        else:
            assert location.producer_id == assignment.producer_id, booth.code
            assert location.organization_id is None
            assert not booth.blocked


async def test_the_running_fair_sells_at_its_booths_and_the_dashboard_shows_it(db: AsyncSession) -> None:
    await seed(db)
    await db.commit()
    now = dt.datetime.now(dt.UTC)
    fair = await _fair(db, FairStatus.RUNNING)
    assert _aware(fair.starts_at) < now < _aware(fair.ends_at)
    assert _aware(fair.ends_at) - now > dt.timedelta(days=2)

    # Its A-01 is the demo's booth, with its registers: the demo register sells inside the fair.
    first = await db.scalar(select(Booth).where(Booth.fair_id == fair.id, Booth.code == "A-01"))
    assert first is not None
    location = await db.get(Location, first.location_id)
    assert location is not None and location.name == "Gian hàng HTX Dừa Giồng Trôm"

    assignments = (await db.scalars(select(Assignment).where(Assignment.fair_id == fair.id))).all()
    assert len(assignments) >= 5 and all(a.status == AssignmentStatus.CONFIRMED for a in assignments)
    booth_locations = dict(
        (await db.execute(select(Booth.id, Booth.location_id).where(Booth.fair_id == fair.id))).all()
    )
    sold = (
        await db.scalars(
            select(Sale).where(Sale.location_id.in_([booth_locations[a.booth_id] for a in assignments]))
        )
    ).all()
    selling = {s.location_id for s in sold}
    assert len(selling) >= 5
    in_fair = [s for s in sold if _aware(fair.starts_at) <= _aware(s.created_at) <= now]
    assert len(in_fair) >= 30
    hours = {_aware(s.created_at).replace(minute=0, second=0, microsecond=0) for s in in_fair}
    assert len(hours) >= 5  # spread over the fair's hours
    methods = set(
        (await db.scalars(select(Payment.method).where(Payment.sale_id.in_([s.id for s in in_fair])))).all()
    )
    assert methods == {PaymentMethod.CASH, PaymentMethod.VIETQR}
    refunds = (await db.scalars(select(Refund))).all()
    assert len(refunds) == 2

    figures = await DashboardService(db).figures(fair)
    assert figures.live
    assert figures.totals.sales_count >= 30 and figures.totals.revenue_vnd > 0
    assert figures.totals.refunded_vnd > 0 and figures.totals.booths_selling >= 5
    assert figures.by_hour and figures.top_products
    assert len(figures.by_group) >= 2  # food, and handicrafts
    assert figures.low_stock  # a booth nearly out of one product
    assert figures.report.producers_taking_part >= 6
    assert 0 < figures.report.selling_share_percent < 100

    # Every stock change, the fair's included, is in the ledger.
    levels = {
        (lv.product_id, lv.location_id): lv.on_hand for lv in (await db.scalars(select(StockLevel))).all()
    }
    sums: dict[tuple[int, int], int] = {}
    for movement in (await db.scalars(select(StockMovement))).all():
        key = (movement.product_id, movement.location_id)
        sums[key] = sums.get(key, 0) + movement.quantity
    assert levels == sums
    assert all(on_hand >= 0 for on_hand in levels.values())


async def test_seeding_again_adds_nothing(db: AsyncSession) -> None:
    await seed(db)
    await db.commit()
    counted = (Fair, Application, Assignment, Booth, Location, Sale, Payment, Notification, Producer, Product)

    async def counts() -> dict[str, int]:
        return {model.__name__: int(await db.scalar(select(func.count(model.id))) or 0) for model in counted}

    before = await counts()
    # `chophien seed-demo` a second time: the database is not empty, nothing is loaded.
    assert not await database_is_empty(db)
    # And the fairs' own seed, called again, sees its fairs and stops.
    organization_id = (await _fair(db, FairStatus.RUNNING)).organization_id
    assert await already_seeded(db, organization_id)
    booth = await db.scalar(select(Location).where(Location.name == "Gian hàng HTX Dừa Giồng Trôm"))
    assert booth is not None
    assert await seed_fairs(db, {}, {}, organization_id, booth.id) == {}
    await db.commit()
    assert await counts() == before
