"""Booth assignment against a real database: the hard rules (accepted only, type, blocked, free, count, side
by side), the unique index deciding a race with nothing written for the loser, location ownership flipping to
the producer and back, holds expiring into waitlist offers in rank order with their own deadlines, idempotent
fee confirmation, the automatic proposal written at once or not at all, and an audit row for every change."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Membership, Role, User
from app.accounts.rules import CurrentUser
from app.accounts.services import hash_password
from app.catalog.models import Producer
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs.assignments import AssignmentService, read_proposal, sign_proposal
from app.fairs.models import (
    Application,
    ApplicationProduct,
    ApplicationStatus,
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    FairStatus,
    Hall,
    OfferStatus,
    WaitlistOffer,
)
from app.inventory.models import Location, LocationKind
from app.notify.models import Notification
from app.payments.models import BankAccount, Payment, PaymentMethod, PaymentStatus
from tests.factories import PASSWORD, make_organization, make_producer, make_product, stock

# Refusals are checked in the source language (English); the app speaks Vietnamese by default.
pytestmark = pytest.mark.usefixtures("english")

T0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
_seq = itertools.count(1)


@dataclass(frozen=True)
class App:
    """An application as plain ids (ORM objects expire on rollback, and an async session cannot reload)."""

    id: int
    producer_id: int


@dataclass
class Scene:
    org_id: int
    organizer: CurrentUser
    fair_id: int
    hall_id: int
    standard: int  # booth type id: 1.500.000 ₫
    free_type: int  # booth type id: 0 ₫
    booths: dict[str, int]  # booth ids: A-01 … A-06 standard in one row; F-01, F-02 free; X-01 blocked
    locations: dict[str, int]  # the booths' location ids
    vendors: list[CurrentUser] = field(default_factory=list)
    applications: list[App] = field(default_factory=list)


def actor(user: User, **roles: Any) -> CurrentUser:
    return CurrentUser(id=user.id, email=user.email, name=user.name, **roles)


@functools.cache
def password_hash() -> str:
    """One real hash of the factories' password, made once: hashing is slow on purpose, and these tests
    make many users (the web tests log in with them)."""
    return hash_password(PASSWORD)


async def quick_user(
    db: AsyncSession, role: Role, *, organization_id: int | None = None, producer_id: int | None = None
) -> User:
    n = next(_seq)
    user = User(email=f"fairs-e-{n}@example.com", name=f"Người dùng {n}", password_hash=password_hash())
    db.add(user)
    await db.flush()
    db.add(Membership(user_id=user.id, role=role, organization_id=organization_id, producer_id=producer_id))
    await db.commit()
    return user


async def add_booth(
    db: AsyncSession, fair: Fair, hall: Hall, booth_type: BoothType, code: str, x: int, y: int, **extra: Any
) -> Booth:
    location = Location(name=f"Gian {code}", kind=LocationKind.BOOTH, organization_id=fair.organization_id)
    db.add(location)
    await db.flush()
    booth = Booth(
        fair_id=fair.id,
        hall_id=hall.id,
        booth_type_id=booth_type.id,
        code=code,
        x=x,
        y=y,
        width=3,
        height=3,
        location_id=location.id,
        **extra,
    )
    db.add(booth)
    await db.flush()
    return booth


async def make_scene(
    db: AsyncSession, *, self_select: bool = False, hold_days: int = 7, producers: int = 3
) -> Scene:
    org = await make_organization(db)
    organizer_user = await quick_user(db, Role.ORGANIZER, organization_id=org.id)
    n = next(_seq)
    fair = Fair(
        slug=f"hoi-cho-ocop-{n}",
        name_vi=f"Hội chợ OCOP {n}",
        name_en="OCOP fair",
        organization_id=org.id,
        status=FairStatus.PUBLISHED,
        starts_at=T0 + dt.timedelta(days=30),
        ends_at=T0 + dt.timedelta(days=33),
        self_select=self_select,
        hold_days=hold_days,
    )
    db.add(fair)
    await db.flush()
    hall = Hall(fair_id=fair.id, name="Nhà A", columns=40, rows=20, entrance_x=0, entrance_y=0)
    standard = BoothType(fair_id=fair.id, name="Tiêu chuẩn 9 m²", size_m2=9, price_vnd=1_500_000)
    free_type = BoothType(fair_id=fair.id, name="Miễn phí", size_m2=9, price_vnd=0)
    db.add_all([hall, standard, free_type])
    await db.flush()
    booths: dict[str, Booth] = {}
    for i in range(6):
        code = f"A-0{i + 1}"
        booths[code] = await add_booth(db, fair, hall, standard, code, 3 * i, 0, zone="Lối chính")
    booths["F-01"] = await add_booth(db, fair, hall, free_type, "F-01", 0, 10)
    booths["F-02"] = await add_booth(db, fair, hall, free_type, "F-02", 3, 10)
    booths["X-01"] = await add_booth(db, fair, hall, standard, "X-01", 30, 0, blocked=True)
    await db.commit()
    scene = Scene(
        org_id=org.id,
        organizer=actor(organizer_user, organizer_of=frozenset({org.id})),
        fair_id=fair.id,
        hall_id=hall.id,
        standard=standard.id,
        free_type=free_type.id,
        booths={code: b.id for code, b in booths.items()},
        locations={code: b.location_id for code, b in booths.items()},
    )
    for _i in range(producers):
        await add_producer(db, scene)
    return scene


async def add_producer(
    db: AsyncSession,
    scene: Scene,
    *,
    status: ApplicationStatus = ApplicationStatus.ACCEPTED,
    booth_type: int | None = None,
    count: int = 1,
    rank: int | None = None,
) -> App:
    producer = await make_producer(db)
    user = await quick_user(db, Role.VENDOR, producer_id=producer.id)
    product = await make_product(db, producer)
    application = Application(
        fair_id=scene.fair_id,
        producer_id=producer.id,
        booth_type_id=booth_type or scene.standard,
        booth_count=count,
        status=status,
        waitlist_rank=rank,
        submitted_at=T0 - dt.timedelta(days=10),
    )
    db.add(application)
    await db.flush()
    db.add(ApplicationProduct(application_id=application.id, product_id=product.id))
    await db.commit()
    app = App(application.id, producer.id)
    scene.vendors.append(actor(user, vendor_of_producers=frozenset({producer.id})))
    scene.applications.append(app)
    return app


async def active(db: AsyncSession, fair_id: int) -> list[Assignment]:
    stmt = select(Assignment).where(
        Assignment.fair_id == fair_id, Assignment.status != AssignmentStatus.RELEASED
    )
    return list(
        (await db.scalars(stmt.order_by(Assignment.id).execution_options(populate_existing=True))).all()
    )


async def count(db: AsyncSession, model: Any, *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def audit_actions(db: AsyncSession) -> list[str]:
    return list((await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


async def location_of(db: AsyncSession, scene: Scene, code: str) -> Location:
    found = await db.scalar(
        select(Location).where(Location.id == scene.locations[code]).execution_options(populate_existing=True)
    )
    assert found is not None
    return found


# --- manual assignment and its hard rules ---


async def test_assigning_holds_the_booth_hands_the_location_to_the_producer_and_audits(
    db: AsyncSession,
) -> None:
    scene = await make_scene(db)
    app = scene.applications[0]
    booth = scene.booths["A-01"]

    created = await AssignmentService(db).assign(scene.organizer, scene.fair_id, app.id, [booth], now=T0)
    await db.commit()

    [assignment] = created
    assert assignment.status == AssignmentStatus.HELD
    assert assignment.method == AssignmentMethod.MANUAL
    assert assignment.fee_vnd == 1_500_000
    assert assignment.hold_expires_at == T0 + dt.timedelta(days=7)
    assert assignment.created_by == scene.organizer.id
    location = await location_of(db, scene, "A-01")
    assert (location.producer_id, location.organization_id) == (app.producer_id, None)
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "fairs.booth.assigned"))
    assert entry is not None and entry.actor_id == scene.organizer.id and entry.object_id == assignment.id
    assert entry.data["booth_code"] == "A-01" and entry.data["producer_id"] == app.producer_id
    assert await count(db, Notification, Notification.topic == "fairs.booth.assigned") == 1


async def test_a_free_booth_type_is_confirmed_at_once(db: AsyncSession) -> None:
    scene = await make_scene(db)
    app = await add_producer(db, scene, booth_type=scene.free_type)

    [assignment] = await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, app.id, [scene.booths["F-01"]], now=T0
    )

    assert assignment.status == AssignmentStatus.CONFIRMED
    assert assignment.fee_vnd == 0 and assignment.hold_expires_at is None


@pytest.mark.parametrize(
    ("case", "error", "text"),
    [
        ("other_type", ValidationFailed, "type"),
        ("blocked", ValidationFailed, "blocked"),
        ("taken", Conflict, "just taken"),
        ("not_side_by_side", ValidationFailed, "side by side"),
        ("too_many", ValidationFailed, "asked for"),
        ("not_accepted", Conflict, "accepted"),
        ("other_fair", ValidationFailed, "not on this fair"),
        ("bad_id", ValidationFailed, "not on this fair"),
        ("twice", ValidationFailed, "twice"),
        ("none", ValidationFailed, "Pick a booth"),
        ("unknown_application", NotFound, "application"),
    ],
)
async def test_assignments_that_break_a_rule_are_refused_and_write_nothing(
    db: AsyncSession, case: str, error: type[Exception], text: str
) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    b = scene.booths
    app = scene.applications[0]
    pair = await add_producer(db, scene, count=2)
    await service.assign(scene.organizer, scene.fair_id, scene.applications[1].id, [b["A-06"]], now=T0)
    await db.commit()
    other = await make_scene(db)
    waiting = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED)
    args: dict[str, tuple[Any, list[Any]]] = {
        "other_type": (app.id, [b["F-01"]]),
        "blocked": (app.id, [b["X-01"]]),
        "taken": (app.id, [b["A-06"]]),
        "not_side_by_side": (pair.id, [b["A-01"], b["A-03"]]),
        "too_many": (app.id, [b["A-01"], b["A-02"]]),
        "not_accepted": (waiting.id, [b["A-01"]]),
        "other_fair": (app.id, [other.booths["A-01"]]),
        "bad_id": (app.id, ["A-01"]),
        "twice": (pair.id, [b["A-01"], b["A-01"]]),
        "none": (app.id, []),
        "unknown_application": (999_999, [b["A-01"]]),
    }
    application_id, booth_ids = args[case]
    before = (await count(db, Assignment), await count(db, AuditEntry))

    with pytest.raises(error, match=text):
        await service.assign(scene.organizer, scene.fair_id, application_id, booth_ids, now=T0)
    await db.rollback()

    assert (await count(db, Assignment), await count(db, AuditEntry)) == before
    assert (await location_of(db, scene, "A-01")).organization_id == scene.org_id


async def test_several_booths_go_side_by_side_one_at_a_time_or_at_once(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    b = scene.booths
    three = await add_producer(db, scene, count=3)
    two = await add_producer(db, scene, count=2)

    await service.assign(scene.organizer, scene.fair_id, three.id, [b["A-02"]], now=T0)
    with pytest.raises(ValidationFailed, match="side by side"):
        await service.assign(scene.organizer, scene.fair_id, three.id, [b["A-04"]], now=T0)
    await service.assign(scene.organizer, scene.fair_id, three.id, [b["A-03"]], now=T0)
    await service.assign(scene.organizer, scene.fair_id, three.id, [b["A-01"]], now=T0)
    with pytest.raises(ValidationFailed, match="asked for"):
        await service.assign(scene.organizer, scene.fair_id, three.id, [b["A-04"]], now=T0)
    await service.assign(scene.organizer, scene.fair_id, two.id, [b["A-05"], b["A-04"]], now=T0)
    await db.commit()

    mine = sorted(a.booth_id for a in await active(db, scene.fair_id) if a.application_id == three.id)
    assert mine == sorted([b["A-01"], b["A-02"], b["A-03"]])


async def test_another_organizations_organizer_and_a_vendor_cannot_assign(db: AsyncSession) -> None:
    scene = await make_scene(db)
    other = await make_scene(db)
    service = AssignmentService(db)
    for who in (other.organizer, scene.vendors[0], None):
        with pytest.raises(NotFound):
            await service.assign(who, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]])
    await db.rollback()
    assert await count(db, Assignment) == 0


async def test_the_unique_index_decides_when_the_check_saw_the_booth_free(
    db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser of a race passed the courtesy check; the index refuses it, and nothing of it is written."""
    scene = await make_scene(db)
    first, second = scene.applications[:2]
    booth = scene.booths["A-01"]
    await AssignmentService(db).assign(scene.organizer, scene.fair_id, first.id, [booth], now=T0)
    await db.commit()
    audits = await count(db, AuditEntry)

    async def nothing_taken(self: AssignmentService, booth_ids: Any) -> set[int]:
        return set()

    monkeypatch.setattr(AssignmentService, "_taken", nothing_taken)
    with pytest.raises(Conflict, match="just taken by another producer"):
        await AssignmentService(db).assign(scene.organizer, scene.fair_id, second.id, [booth], now=T0)
    await db.commit()  # the transaction is still usable: only the savepoint was rolled back

    [kept] = await active(db, scene.fair_id)
    assert kept.application_id == first.id
    assert await count(db, AuditEntry) == audits
    assert (await location_of(db, scene, "A-01")).producer_id == first.producer_id


# --- release, move, pin ---


async def test_release_frees_the_booth_and_gives_the_location_back(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    app = scene.applications[0]
    booth = scene.booths["A-01"]
    [assignment] = await service.assign(scene.organizer, scene.fair_id, app.id, [booth], now=T0)

    await service.release(scene.organizer, assignment.id, "Bỏ cuộc", fair_id=scene.fair_id, now=T0)
    await db.commit()

    assert assignment.status == AssignmentStatus.RELEASED and assignment.released_at == T0
    location = await location_of(db, scene, "A-01")
    assert (location.producer_id, location.organization_id) == (None, scene.org_id)
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "fairs.booth.released"))
    assert entry is not None and entry.data["reason"] == "Bỏ cuộc"
    # The booth can be given again.
    await service.assign(scene.organizer, scene.fair_id, scene.applications[1].id, [booth], now=T0)
    with pytest.raises(Conflict, match="already released"):
        await service.release(scene.organizer, assignment.id)


async def test_a_booth_holding_stock_is_not_released_nor_moved(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    app = scene.applications[0]
    [assignment] = await service.assign(scene.organizer, scene.fair_id, app.id, [scene.booths["A-01"]])
    await db.commit()
    producer = await db.get(Producer, scene.applications[0].producer_id)
    assert producer is not None
    product = await make_product(db, producer)
    location = await location_of(db, scene, "A-01")
    await stock(db, product, location, 5)

    with pytest.raises(Conflict, match="5 units"):
        await service.release(scene.organizer, assignment.id)
    with pytest.raises(Conflict, match="5 units"):
        await service.move(scene.organizer, assignment.id, scene.booths["A-02"])
    await db.rollback()
    assert (await active(db, scene.fair_id))[0].booth_id == scene.booths["A-01"]


async def test_move_takes_the_assignment_to_another_free_booth_of_its_type(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    b = scene.booths
    app = scene.applications[0]
    [assignment] = await service.assign(scene.organizer, scene.fair_id, app.id, [b["A-01"]], now=T0)
    await service.assign(scene.organizer, scene.fair_id, scene.applications[1].id, [b["A-02"]], now=T0)

    for target, error in [
        (b["A-02"], Conflict),
        (b["F-01"], ValidationFailed),
        (b["X-01"], ValidationFailed),
        (b["A-01"], ValidationFailed),
        ("A-05", ValidationFailed),
    ]:
        with pytest.raises(error):
            await service.move(scene.organizer, assignment.id, target)
    await service.move(scene.organizer, assignment.id, b["A-05"], fair_id=scene.fair_id)
    await db.commit()

    assert assignment.booth_id == b["A-05"]
    assert assignment.hold_expires_at == T0 + dt.timedelta(days=7)
    assert (await location_of(db, scene, "A-01")).organization_id == scene.org_id
    assert (await location_of(db, scene, "A-05")).producer_id == app.producer_id
    assert "fairs.booth.moved" in await audit_actions(db)


async def test_pin_and_unpin_are_audited_once(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    [assignment] = await service.assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]]
    )
    await service.pin(scene.organizer, assignment.id)
    await service.pin(scene.organizer, assignment.id)
    assert assignment.pinned
    await service.unpin(scene.organizer, assignment.id)
    await db.commit()
    actions = await audit_actions(db)
    assert actions.count("fairs.booth.pinned") == 1 and actions.count("fairs.booth.unpinned") == 1
    other = await make_scene(db)
    with pytest.raises(NotFound):
        await service.pin(other.organizer, assignment.id)
    with pytest.raises(NotFound):
        await service.pin(scene.organizer, assignment.id, fair_id=other.fair_id)


# --- fee payment ---


async def test_confirming_the_fee_writes_one_payment_and_is_idempotent(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    [assignment] = await service.assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]], now=T0
    )
    await db.commit()

    for _attempt in range(3):
        await service.confirm_payment(scene.organizer, assignment.id, "FT2611 GIAN A 01", now=T0)
        await db.commit()

    assert assignment.status == AssignmentStatus.CONFIRMED and assignment.paid_at == T0
    [payment] = (await db.scalars(select(Payment))).all()
    assert payment.assignment_id == assignment.id and payment.sale_id is None
    assert (payment.method, payment.status) == (PaymentMethod.VIETQR, PaymentStatus.SUCCEEDED)
    assert (payment.amount_vnd, payment.provider_reference) == (1_500_000, "FT2611 GIAN A 01")
    assert (await audit_actions(db)).count("fairs.booth.paid") == 1
    # A paid booth no longer expires.
    report = await service.expire_holds(T0 + dt.timedelta(days=30))
    assert report.released == []


async def test_confirming_is_for_the_fairs_organizers_and_not_for_a_released_booth(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    [assignment] = await service.assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]]
    )
    other = await make_scene(db)
    for who in (other.organizer, scene.vendors[0]):
        with pytest.raises(NotFound):
            await service.confirm_payment(who, assignment.id, "x")
    await service.release(scene.organizer, assignment.id)
    with pytest.raises(Conflict, match="released"):
        await service.confirm_payment(scene.organizer, assignment.id, "x")
    await db.commit()
    assert await count(db, Payment) == 0


# --- self-select ---


async def test_an_accepted_vendor_picks_a_booth_of_its_type_when_self_select_is_on(db: AsyncSession) -> None:
    scene = await make_scene(db, self_select=True)
    service = AssignmentService(db)
    vendor, app = scene.vendors[0], scene.applications[0]

    [assignment] = await service.self_select(vendor, scene.fair_id, scene.booths["A-03"])
    await db.commit()

    assert assignment.method == AssignmentMethod.SELF_SELECT and assignment.producer_id == app.producer_id
    with pytest.raises(ValidationFailed, match="type"):
        await service.self_select(scene.vendors[1], scene.fair_id, scene.booths["F-01"])
    with pytest.raises(NotFound):  # another producer's application
        await service.self_select(vendor, scene.fair_id, scene.booths["A-04"], scene.applications[1].id)
    with pytest.raises(Conflict, match="just taken"):
        await service.self_select(scene.vendors[1], scene.fair_id, scene.booths["A-03"])


async def test_self_select_is_refused_when_the_organizer_assigns(db: AsyncSession) -> None:
    scene = await make_scene(db, self_select=False)
    with pytest.raises(PermissionDenied):
        await AssignmentService(db).self_select(scene.vendors[0], scene.fair_id, scene.booths["A-01"])
    await db.rollback()
    assert await count(db, Assignment) == 0


async def test_a_waitlisted_vendor_cannot_pick_and_may_give_back_only_an_unpaid_booth(
    db: AsyncSession,
) -> None:
    scene = await make_scene(db, self_select=True)
    service = AssignmentService(db)
    waiting = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED)
    with pytest.raises(Conflict, match="accepted"):
        await service.self_select(scene.vendors[-1], scene.fair_id, scene.booths["A-01"], waiting.id)

    [assignment] = await service.self_select(scene.vendors[0], scene.fair_id, scene.booths["A-01"])
    with pytest.raises(NotFound):
        await service.give_back(scene.vendors[1], scene.fair_id, assignment.id)
    await service.give_back(scene.vendors[0], scene.fair_id, assignment.id)
    assert assignment.status == AssignmentStatus.RELEASED
    [paid] = await service.self_select(scene.vendors[0], scene.fair_id, scene.booths["A-02"])
    await service.confirm_payment(scene.organizer, paid.id, "ok")
    with pytest.raises(Conflict, match="not paid"):
        await service.give_back(scene.vendors[0], scene.fair_id, paid.id)


# --- holds and the waitlist ---


async def test_an_expired_hold_frees_the_booth_and_offers_it_to_the_waitlist_in_order(
    db: AsyncSession,
) -> None:
    scene = await make_scene(db, hold_days=7)
    service = AssignmentService(db)
    booth = scene.booths["A-01"]
    held = scene.applications[0]
    second = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=2)
    first = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=1)
    await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=0, booth_type=scene.free_type)
    [assignment] = await service.assign(scene.organizer, scene.fair_id, held.id, [booth], now=T0)
    await db.commit()

    assert (await service.expire_holds(T0 + dt.timedelta(days=6))).released == []
    expired_at = T0 + dt.timedelta(days=7, minutes=1)
    report = await service.expire_holds(expired_at)
    await db.commit()

    assert report.released == [assignment.id]
    assert assignment.status == AssignmentStatus.RELEASED
    assert (await location_of(db, scene, "A-01")).organization_id == scene.org_id
    [offer] = (await db.scalars(select(WaitlistOffer))).all()
    assert (offer.application_id, offer.booth_id, offer.status) == (first.id, booth, OfferStatus.OPEN)
    assert offer.expires_at == expired_at + dt.timedelta(days=2)
    topics = set((await db.scalars(select(Notification.topic))).all())
    assert {"fairs.booth.hold_expired", "fairs.waitlist.offered"} <= topics
    assert {"fairs.booth.hold_expired", "fairs.waitlist.offered"} <= set(await audit_actions(db))
    # A booth under an open offer is not open to anyone else.
    with pytest.raises(Conflict, match="waitlist"):
        await service.assign(scene.organizer, scene.fair_id, scene.applications[1].id, [booth])

    # Unanswered, the offer expires and the booth goes to the next on the waitlist.
    later = offer.expires_at + dt.timedelta(minutes=1)
    report = await service.expire_holds(later)
    await db.commit()
    assert report.offers_expired == [offer.id]
    offers = (await db.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id))).all()
    assert [(o.application_id, o.status) for o in offers] == [
        (first.id, OfferStatus.EXPIRED),
        (second.id, OfferStatus.OPEN),
    ]
    assert offers[1].expires_at == later + dt.timedelta(days=2)

    # The second declines: nobody else of that type waits, so no new offer.
    await service.decline_offer(scene.vendors[3], scene.fair_id, offers[1].id, now=later)
    await db.commit()
    assert await count(db, WaitlistOffer, WaitlistOffer.status == OfferStatus.OPEN) == 0


async def test_an_offer_lasts_the_fairs_hold_when_it_is_shorter_than_two_days(db: AsyncSession) -> None:
    scene = await make_scene(db, hold_days=1)
    service = AssignmentService(db)
    waiting = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=1)
    await service.assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]], now=T0
    )
    when = T0 + dt.timedelta(days=2)
    await service.expire_holds(when)
    offer = await db.scalar(select(WaitlistOffer).where(WaitlistOffer.application_id == waiting.id))
    assert offer is not None and offer.expires_at == when + dt.timedelta(days=1)


async def test_accepting_an_offer_accepts_the_application_and_holds_the_booth(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    booth = scene.booths["A-01"]
    waiting = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=1)
    vendor = scene.vendors[-1]
    await service.assign(scene.organizer, scene.fair_id, scene.applications[0].id, [booth], now=T0)
    when = T0 + dt.timedelta(days=8)
    await service.expire_holds(when)
    await db.commit()
    offer = await db.scalar(select(WaitlistOffer))
    assert offer is not None

    with pytest.raises(NotFound):
        await service.accept_offer(scene.vendors[0], scene.fair_id, offer.id, now=when)
    [assignment] = await service.accept_offer(vendor, scene.fair_id, offer.id, now=when)
    await db.commit()

    status = await db.scalar(select(Application.status).where(Application.id == waiting.id))
    assert status == ApplicationStatus.ACCEPTED
    assert (assignment.method, assignment.status, assignment.booth_id) == (
        AssignmentMethod.WAITLIST,
        AssignmentStatus.HELD,
        booth,
    )
    assert offer.status == OfferStatus.ACCEPTED
    assert (await location_of(db, scene, "A-01")).producer_id == waiting.producer_id
    with pytest.raises(Conflict, match="already answered"):
        await service.accept_offer(vendor, scene.fair_id, offer.id, now=when)


async def test_an_offer_past_its_deadline_cannot_be_accepted(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=1)
    await service.assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]], now=T0
    )
    when = T0 + dt.timedelta(days=8)
    await service.expire_holds(when)
    await db.commit()
    offer = await db.scalar(select(WaitlistOffer))
    assert offer is not None
    with pytest.raises(Conflict, match="expired"):
        await service.accept_offer(
            scene.vendors[-1], scene.fair_id, offer.id, now=when + dt.timedelta(days=3)
        )
    await db.rollback()
    assert await count(db, Assignment, Assignment.method == AssignmentMethod.WAITLIST) == 0


# --- the vendor's page data ---


async def test_my_booth_shows_the_fee_as_a_vietqr_code_to_the_organizations_account(db: AsyncSession) -> None:
    scene = await make_scene(db, self_select=True)
    service = AssignmentService(db)
    db.add(
        BankAccount(
            organization_id=scene.org_id, bank_bin="970436", account_no="0071000123456", account_name="SO NN"
        )
    )
    await db.commit()
    [assignment] = await service.self_select(scene.vendors[0], scene.fair_id, scene.booths["A-01"])

    view = await service.my_booth(scene.vendors[0], scene.fair_id)

    [entry] = view.entries
    [fee] = entry.payments
    assert fee.payload is not None and "0071000123456" in fee.payload and "54071500000" in fee.payload
    assert f"N{assignment.id}" in fee.payload and fee.svg and fee.svg.startswith("<svg")
    assert entry.can_select is False and entry.selectable == []
    with pytest.raises(NotFound):
        await service.my_booth(scene.organizer, scene.fair_id)


# --- automatic ---


async def test_the_proposal_writes_nothing_and_accepting_writes_it_all_at_once(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    pair = await add_producer(db, scene, count=2)
    free = await add_producer(db, scene, booth_type=scene.free_type)
    [pinned] = await service.assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-06"]]
    )
    await service.pin(scene.organizer, pinned.id)
    await db.commit()

    proposal = await service.propose(scene.organizer, scene.fair_id, time_limit=2.0)
    await db.commit()
    assert await count(db, Assignment) == 1
    assert proposal.assignments[scene.applications[0].id] == (scene.booths["A-06"],)
    assert scene.applications[0].id in proposal.kept
    assert len(proposal.assignments[pair.id]) == 2
    assert proposal.bound >= proposal.objective > 0
    assert set(proposal.breakdown) >= {"assigned", "zone"}
    token = sign_proposal(proposal, "k")
    assert read_proposal(token, "k", scene.fair_id) == proposal
    view = await service.proposal_view(scene.organizer, scene.fair_id, proposal)
    assert {line.change for line in view.lines} == {"kept", "new"}

    result = await service.accept_proposal(scene.organizer, scene.fair_id, proposal)
    await db.commit()

    assert len(result.created) == 5  # two singles, a pair, one free booth
    rows = await active(db, scene.fair_id)
    assert {a.application_id for a in rows} == {a.id for a in scene.applications}
    assert all(a.method == AssignmentMethod.AUTOMATIC for a in rows if a.id != pinned.id)
    assert next(a for a in rows if a.application_id == free.id).status == AssignmentStatus.CONFIRMED
    assert "fairs.assignment.automatic_accepted" in await audit_actions(db)
    for a in rows:
        owner = await db.scalar(
            select(Location.producer_id)
            .join(Booth, Booth.location_id == Location.id)
            .where(Booth.id == a.booth_id)
            .execution_options(populate_existing=True)
        )
        assert owner == a.producer_id
    # The same proposal again: the booths changed since, so it is refused and writes nothing.
    with pytest.raises(Conflict, match="changed"):
        await service.accept_proposal(scene.organizer, scene.fair_id, proposal)


async def test_a_stale_proposal_is_refused_whole(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    proposal = await service.propose(scene.organizer, scene.fair_id, time_limit=1.0)
    await db.commit()
    target = proposal.assignments[scene.applications[1].id][0]
    await service.assign(scene.organizer, scene.fair_id, scene.applications[2].id, [target])
    await db.commit()
    before = await count(db, Assignment)

    with pytest.raises(Conflict, match="changed"):
        await service.accept_proposal(scene.organizer, scene.fair_id, proposal)
    await db.rollback()
    assert await count(db, Assignment) == before


async def test_pins_in_the_proposal_survive_a_rerun(db: AsyncSession) -> None:
    scene = await make_scene(db)
    service = AssignmentService(db)
    first = await service.propose(scene.organizer, scene.fair_id, time_limit=1.0)
    app_id = scene.applications[0].id
    second = await service.propose(
        scene.organizer, scene.fair_id, previous=first, pinned=[str(app_id)], time_limit=1.0
    )
    assert second.assignments[app_id] == first.assignments[app_id]
    assert second.pinned == frozenset({app_id})
    other = await make_scene(db)
    with pytest.raises(NotFound):
        await service.propose(other.organizer, scene.fair_id)
    with pytest.raises(ValidationFailed, match="no longer valid"):
        read_proposal(sign_proposal(first, "k") + "0", "k", scene.fair_id)
    with pytest.raises(ValidationFailed, match="no longer valid"):
        read_proposal(sign_proposal(first, "k"), "k", other.fair_id)
