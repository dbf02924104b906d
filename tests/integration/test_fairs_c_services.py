"""The call for exhibitors and the applications on a real database: the call's questions, applying (draft,
submit, edit, withdraw), the deadline and the open call, one application per producer and fair, required and
well-formed answers, vendor isolation, the organizers' review (filters, sorting), decisions (illegal moves
refused, bulk all-or-nothing, waitlist ranks, audit, notifications) and the export rows."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Membership, Organization, Role, User
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer, Product
from app.catalog.services import GroupService
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs.applications import (
    ApplicationInput,
    ApplicationService,
    CallService,
    ReviewFilters,
    answer_field,
    application_rows,
    csv_bytes,
)
from app.fairs.models import (
    Application,
    ApplicationAnswer,
    ApplicationProduct,
    ApplicationStatus,
    BoothType,
    CallQuestion,
    Fair,
    FairStatus,
    QuestionKind,
)
from app.notify.models import Notification
from tests.factories import make_organization, make_producer, make_product
from tests.integration.test_inventory_services import actor_of

_seq = itertools.count(1)
NOW = dt.datetime.now(dt.UTC)


# --- shared by the slice's integration and web tests ---


async def person(
    db: AsyncSession,
    *roles: tuple[Role, Producer | None, Organization | None],
    locale: str | None = "en",
    email: str | None = None,
) -> CurrentUser:
    """A user with these roles, written directly (no password hashing)."""
    user = User(
        email=email or f"fairs-c{next(_seq)}@example.com",
        name=f"Người {next(_seq)}",
        password_hash="-",
        locale=locale,
    )
    user.memberships = [
        Membership(
            role=role,
            producer_id=producer.id if producer else None,
            organization_id=organization.id if organization else None,
        )
        for role, producer, organization in roles
    ]
    db.add(user)
    await db.commit()
    return await actor_of(db, user)


async def make_fair(
    db: AsyncSession,
    organization: Organization,
    *,
    status: FairStatus = FairStatus.OPEN,
    deadline: dt.datetime | None = NOW + dt.timedelta(days=10),
    booths_per_producer: int = 2,
    name: str = "Hội chợ OCOP Vĩnh Long",
) -> Fair:
    n = next(_seq)
    fair = Fair(
        slug=f"hoi-cho-{n}",
        name_vi=name,
        name_en="Vinh Long OCOP Fair",
        organization_id=organization.id,
        status=status,
        starts_at=NOW + dt.timedelta(days=30),
        ends_at=NOW + dt.timedelta(days=33),
        call_deadline=deadline,
        call_text="Mời các chủ thể OCOP đăng ký gian hàng.",
        booths_per_producer=booths_per_producer,
    )
    db.add(fair)
    await db.commit()
    return fair


async def make_booth_type(db: AsyncSession, fair: Fair, name: str, *, on_offer: bool = True) -> BoothType:
    booth_type = BoothType(
        fair_id=fair.id, name=name, size_m2=9.0, price_vnd=1_500_000, features=["power"], on_offer=on_offer
    )
    db.add(booth_type)
    await db.commit()
    return booth_type


async def make_question(
    db: AsyncSession,
    fair: Fair,
    kind: QuestionKind,
    prompt: str,
    *,
    required: bool = False,
    choices: list[str] | None = None,
    position: int = 0,
) -> CallQuestion:
    question = CallQuestion(
        fair_id=fair.id,
        kind=kind,
        prompt_vi=prompt,
        prompt_en=prompt,
        choices=choices or [],
        required=required,
        position=position,
    )
    db.add(question)
    await db.commit()
    return question


@dataclass
class Call:
    """An open fair of `org` with two booth types on offer and one not, three questions (a required text,
    a required choice, an optional yes/no); producer `mine` (Vĩnh Long) with a valid 4★ candy, an expired
    5★ oil and a hidden product; producer `theirs` (Cần Thơ, beverages) with a 5★ drink; their vendors, a
    cashier of `mine`, the fair's organizer, another organization's organizer and an admin."""

    org: Organization
    other_org: Organization
    fair: Fair
    small: BoothType
    large: BoothType
    closed_type: BoothType
    q_text: CallQuestion
    q_choice: CallQuestion
    q_yes: CallQuestion
    mine: Producer
    candy: Product
    oil: Product
    hidden: Product
    theirs: Producer
    drink: Product
    vendor: CurrentUser
    other_vendor: CurrentUser
    cashier: CurrentUser
    organizer: CurrentUser
    stranger: CurrentUser  # an organizer of another organization
    admin: CurrentUser

    def answers(self, **override: str) -> dict[int, str]:
        values = {self.q_text.id: "Dừa sáp, kẹo dừa", self.q_choice.id: "Điện 220V", self.q_yes.id: "yes"}
        for key, value in override.items():
            values[getattr(self, key).id] = value
        return values

    def form(self, producer: Producer | None = None, **changes: Any) -> ApplicationInput:
        producer = producer or self.mine
        products = (
            (str(self.candy.id), str(self.oil.id)) if producer.id == self.mine.id else (str(self.drink.id),)
        )
        values: dict[str, Any] = {
            "producer_id": str(producer.id),
            "booth_type_id": str(self.small.id),
            "booth_count": "1",
            "product_ids": products,
            "preferred_zone": "A",
            "preferred_neighbours": "HTX Bưởi",
            "same_province_together": True,
            "note": "Cần ổ điện",
            "answers": self.answers(),
        }
        values.update(changes)
        return ApplicationInput(**values)


async def make_call(db: AsyncSession) -> Call:
    org = await make_organization(db, "Sở Nông nghiệp Vĩnh Long")
    other_org = await make_organization(db, "Sở Nông nghiệp Cần Thơ")
    fair = await make_fair(db, org)
    small = await make_booth_type(db, fair, "Gian tiêu chuẩn 3×3")
    large = await make_booth_type(db, fair, "Gian góc 3×6")
    closed_type = await make_booth_type(db, fair, "Gian VIP", on_offer=False)
    q_text = await make_question(
        db, fair, QuestionKind.TEXT, "Bạn bán sản phẩm gì?", required=True, position=0
    )
    q_choice = await make_question(
        db,
        fair,
        QuestionKind.CHOICE,
        "Nhu cầu điện",
        required=True,
        choices=["Điện 220V", "Không cần"],
        position=1,
    )
    q_yes = await make_question(db, fair, QuestionKind.YES_NO, "Có tham gia livestream?", position=2)
    mine = await make_producer(db, name="HTX Dừa Giồng Trôm", province_code=86)
    candy = await make_product(db, mine, name_vi="Kẹo dừa sáp", name_en="Coconut candy", stars=4)
    oil = await make_product(
        db,
        mine,
        name_vi="Dầu dừa",
        name_en="Coconut oil",
        stars=5,
        certified_on="2020-01-10",
        expires_on="2023-01-10",
    )
    hidden = await make_product(db, mine, name_vi="Bánh tráng cũ", name_en="Old rice paper", stars=3)
    hidden.is_active = False
    await db.commit()
    theirs = await make_producer(db, name="Công ty Nước mắm Cần Thơ", province_code=92)
    beverages = await GroupService(db).by_code("2.2")
    drink = await make_product(
        db,
        theirs,
        name_vi="Nước dừa",
        name_en="Coconut water",
        stars=5,
        group_id=beverages.id if beverages else None,
    )
    vendor = await person(db, (Role.VENDOR, mine, None))
    other_vendor = await person(db, (Role.VENDOR, theirs, None))
    cashier = await person(db, (Role.CASHIER, mine, None))
    organizer = await person(db, (Role.ORGANIZER, None, org))
    stranger = await person(db, (Role.ORGANIZER, None, other_org))
    admin = await person(db, (Role.ADMIN, None, None))
    return Call(
        org,
        other_org,
        fair,
        small,
        large,
        closed_type,
        q_text,
        q_choice,
        q_yes,
        mine,
        candy,
        oil,
        hidden,
        theirs,
        drink,
        vendor,
        other_vendor,
        cashier,
        organizer,
        stranger,
        admin,
    )


async def submitted(db: AsyncSession, call: Call, producer: Producer | None = None) -> Application:
    """An application of `producer` (default `mine`), submitted by its vendor."""
    producer = producer or call.mine
    vendor = call.vendor if producer.id == call.mine.id else call.other_vendor
    application = await ApplicationService(db).create(vendor, call.fair.id, call.form(producer), submit=True)
    await db.commit()
    return application


async def count(db: AsyncSession, model: Any, *conditions: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def fresh(db: AsyncSession, application_id: int) -> Application:
    stmt = (
        select(Application).where(Application.id == application_id).execution_options(populate_existing=True)
    )
    return (await db.scalars(stmt)).one()


@pytest.fixture
async def call(db: AsyncSession) -> Call:
    return await make_call(db)


# --- applying ---


async def test_a_vendor_saves_a_draft_then_submits_it_and_the_organizers_are_told(
    db: AsyncSession, call: Call
) -> None:
    service = ApplicationService(db)
    draft = await service.create(call.vendor, call.fair.id, call.form(answers={}), submit=False)
    await db.commit()
    assert draft.status == ApplicationStatus.DRAFT and draft.submitted_at is None
    assert await count(db, Notification) == 0

    await service.update(call.vendor, draft.id, call.form(booth_count="2"), submit=True)
    await db.commit()
    application = await fresh(db, draft.id)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None and application.booth_count == 2
    assert {p.product_id for p in application.products} == {call.candy.id, call.oil.id}
    assert {a.question_id: a.answer for a in application.answers} == call.answers()
    notes = (await db.scalars(select(Notification))).all()
    assert [n.user_id for n in notes] == [call.organizer.id]
    assert "HTX Dừa Giồng Trôm" in notes[0].subject
    assert notes[0].link == f"/manage/fairs/{call.fair.id}/applications/{draft.id}"
    actions = set((await db.scalars(select(AuditEntry.action))).all())
    assert {
        "fairs.application.created",
        "fairs.application.changed",
        "fairs.application.submitted",
    } <= actions


async def test_a_producer_applies_once_per_fair(db: AsyncSession, call: Call) -> None:
    await submitted(db, call)
    with pytest.raises(Conflict) as refused:
        await ApplicationService(db).create(call.vendor, call.fair.id, call.form(), submit=False)
    assert "HTX Dừa Giồng Trôm" in refused.value.message
    assert await count(db, Application) == 1
    # Another producer still may.
    await submitted(db, call, call.theirs)
    assert await count(db, Application) == 2


@pytest.mark.parametrize(
    ("status", "deadline", "refusal"),
    [
        (FairStatus.OPEN, NOW - dt.timedelta(minutes=1), Conflict),  # past the deadline
        (FairStatus.PUBLISHED, NOW + dt.timedelta(days=1), Conflict),  # the call is not open
        (FairStatus.DRAFT, NOW + dt.timedelta(days=1), NotFound),  # a draft fair is not public
    ],
)
async def test_applications_are_refused_when_the_call_is_not_open(
    db: AsyncSession, call: Call, status: FairStatus, deadline: dt.datetime, refusal: type[Exception]
) -> None:
    call.fair.status, call.fair.call_deadline = status, deadline
    await db.commit()
    with pytest.raises(refusal):
        await ApplicationService(db).create(call.vendor, call.fair.id, call.form(), submit=True)
    assert await count(db, Application) == 0


async def test_a_draft_cannot_be_submitted_or_changed_after_the_deadline_but_can_be_withdrawn(
    db: AsyncSession, call: Call
) -> None:
    service = ApplicationService(db)
    draft = await service.create(call.vendor, call.fair.id, call.form(), submit=False)
    await db.commit()
    later = ApplicationService(db, now=lambda: NOW + dt.timedelta(days=11))
    with pytest.raises(Conflict):
        await later.submit(call.vendor, draft.id)
    with pytest.raises(Conflict):
        await later.update(call.vendor, draft.id, call.form(note="late"), submit=False)
    assert (await fresh(db, draft.id)).status == ApplicationStatus.DRAFT
    await later.withdraw(call.vendor, draft.id)
    await db.commit()
    assert (await fresh(db, draft.id)).status == ApplicationStatus.WITHDRAWN


async def test_a_fair_without_a_deadline_takes_applications_until_it_ends(
    db: AsyncSession, call: Call
) -> None:
    call.fair.call_deadline = None
    await db.commit()
    after_the_end = ApplicationService(db, now=lambda: NOW + dt.timedelta(days=40))
    with pytest.raises(Conflict):
        await after_the_end.create(call.vendor, call.fair.id, call.form(), submit=True)
    await submitted(db, call)
    assert await count(db, Application) == 1


async def test_required_answers_are_needed_to_submit_not_to_save_a_draft(
    db: AsyncSession, call: Call
) -> None:
    service = ApplicationService(db)
    with pytest.raises(ValidationFailed) as refused:
        await service.create(call.vendor, call.fair.id, call.form(answers={call.q_yes.id: "no"}), submit=True)
    assert set(refused.value.fields) == {answer_field(call.q_text.id), answer_field(call.q_choice.id)}
    assert await count(db, Application) == 0

    draft = await service.create(
        call.vendor, call.fair.id, call.form(answers={call.q_yes.id: "no"}), submit=False
    )
    await db.commit()
    with pytest.raises(ValidationFailed) as again:
        await service.submit(call.vendor, draft.id)
    assert answer_field(call.q_text.id) in again.value.fields
    assert (await fresh(db, draft.id)).status == ApplicationStatus.DRAFT


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"booth_count": "0"}, "booth_count"),
        ({"booth_count": "3"}, "booth_count"),  # more than booths_per_producer (2)
        ({"booth_count": "hai"}, "booth_count"),
        ({"booth_type_id": ""}, "booth_type_id"),
        ({"booth_type_id": "closed"}, "booth_type_id"),  # a type not on offer
        ({"product_ids": ()}, "product_id"),  # nothing to show
        ({"product_ids": ("hidden",)}, "product_id"),  # not on sale
        ({"product_ids": ("drink",)}, "product_id"),  # another producer's
        ({"preferred_zone": "Z" * 41}, "preferred_zone"),
        ({"answers": "choice"}, answer_field),  # not one of the choices
        ({"answers": "yes_no"}, answer_field),  # neither yes nor no
    ],
)
async def test_bad_application_input_is_refused_and_nothing_is_written(
    db: AsyncSession, call: Call, changes: dict[str, Any], field: Any
) -> None:
    resolved = dict(changes)
    expected = field
    if resolved.get("booth_type_id") == "closed":
        resolved["booth_type_id"] = str(call.closed_type.id)
    if resolved.get("product_ids") == ("hidden",):
        resolved["product_ids"] = (str(call.hidden.id),)
    if resolved.get("product_ids") == ("drink",):
        resolved["product_ids"] = (str(call.drink.id),)
    if resolved.get("answers") == "choice":
        resolved["answers"] = call.answers(q_choice="Điện 380V")
        expected = answer_field(call.q_choice.id)
    if resolved.get("answers") == "yes_no":
        resolved["answers"] = call.answers(q_yes="maybe")
        expected = answer_field(call.q_yes.id)
    with pytest.raises(ValidationFailed) as refused:
        await ApplicationService(db).create(call.vendor, call.fair.id, call.form(**resolved), submit=True)
    assert expected in refused.value.fields
    assert await count(db, Application) == 0
    assert await count(db, ApplicationProduct) == 0


async def test_only_a_producers_vendors_and_admins_apply(db: AsyncSession, call: Call) -> None:
    service = ApplicationService(db)
    for outsider in (call.cashier, call.organizer):
        with pytest.raises(PermissionDenied):
            await service.create(outsider, call.fair.id, call.form(), submit=True)
        with pytest.raises(PermissionDenied):
            await service.apply_view(outsider, call.fair.id, None)
    with pytest.raises(NotFound):  # another producer's id
        await service.create(call.other_vendor, call.fair.id, call.form(call.mine), submit=True)
    assert await count(db, Application) == 0
    by_admin = await service.create(call.admin, call.fair.id, call.form(call.theirs), submit=True)
    await db.commit()
    assert by_admin.producer_id == call.theirs.id and by_admin.created_by == call.admin.id


async def test_editing_a_draft_changes_its_products_and_answers_in_place(
    db: AsyncSession, call: Call
) -> None:
    service = ApplicationService(db)
    draft = await service.create(call.vendor, call.fair.id, call.form(), submit=False)
    await db.commit()
    await service.update(
        call.vendor,
        draft.id,
        call.form(
            product_ids=(str(call.oil.id),),
            answers={call.q_text.id: "Dầu dừa"},
            booth_type_id=str(call.large.id),
        ),
        submit=False,
    )
    await db.commit()
    application = await fresh(db, draft.id)
    assert [p.product_id for p in application.products] == [call.oil.id]
    assert {a.question_id: a.answer for a in application.answers} == {call.q_text.id: "Dầu dừa"}
    assert application.booth_type_id == call.large.id
    assert await count(db, ApplicationAnswer) == 1


async def test_a_submitted_application_cannot_be_edited(db: AsyncSession, call: Call) -> None:
    application = await submitted(db, call)
    with pytest.raises(Conflict):
        await ApplicationService(db).update(
            call.vendor, application.id, call.form(note="changed"), submit=False
        )
    assert (await fresh(db, application.id)).note == "Cần ổ điện"


async def test_a_vendor_sees_only_its_own_applications(db: AsyncSession, call: Call) -> None:
    mine = await submitted(db, call)
    theirs = await submitted(db, call, call.theirs)
    service = ApplicationService(db)
    assert [row.application.id for row in (await service.mine(call.vendor)).items] == [mine.id]
    assert [row.application.id for row in (await service.mine(call.other_vendor)).items] == [theirs.id]
    assert (await service.mine(call.cashier)).items == []
    for attempt in (
        service.get_own(call.vendor, theirs.id),
        service.own_detail(call.vendor, theirs.id),
        service.withdraw(call.vendor, theirs.id),
        service.submit(call.vendor, theirs.id),
        service.update(call.vendor, theirs.id, call.form(call.theirs), submit=False),
        service.get_own(call.cashier, mine.id),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert (await fresh(db, theirs.id)).status == ApplicationStatus.SUBMITTED


# --- the review ---


async def test_illegal_moves_are_refused_with_the_reason(db: AsyncSession, call: Call) -> None:
    application = await submitted(db, call)
    service = ApplicationService(db)
    await service.decide(call.organizer, call.fair.id, [application.id], "accepted")
    await db.commit()
    with pytest.raises(Conflict) as refused:
        await service.decide(call.organizer, call.fair.id, [application.id], "waitlisted")
    assert "HTX Dừa Giồng Trôm" in refused.value.message
    await service.withdraw(call.vendor, application.id)
    await db.commit()
    for decision in ("accepted", "rejected", "waitlisted"):
        with pytest.raises(Conflict):
            await service.decide(call.organizer, call.fair.id, [application.id], decision)
    with pytest.raises(Conflict):
        await service.withdraw(call.vendor, application.id)
    assert (await fresh(db, application.id)).status == ApplicationStatus.WITHDRAWN


async def test_organizers_never_see_drafts_and_decide_only_on_known_statuses(
    db: AsyncSession, call: Call
) -> None:
    service = ApplicationService(db)
    draft = await service.create(call.vendor, call.fair.id, call.form(), submit=False)
    await db.commit()
    with pytest.raises(NotFound):
        await service.decide(call.organizer, call.fair.id, [draft.id], "accepted")
    with pytest.raises(NotFound):
        await service.detail(call.organizer, call.fair.id, draft.id)
    for bad in ("draft", "withdrawn", "submitted", "", "accept"):
        with pytest.raises(ValidationFailed):
            await service.decide(call.organizer, call.fair.id, [draft.id], bad)
    with pytest.raises(ValidationFailed):
        await service.decide(call.organizer, call.fair.id, [], "accepted")
    assert (await service.review(call.organizer, call.fair.id, ReviewFilters())).rows.total == 0
    assert (await fresh(db, draft.id)).status == ApplicationStatus.DRAFT


async def test_a_bulk_decision_is_all_or_nothing(db: AsyncSession, call: Call) -> None:
    mine = await submitted(db, call)
    theirs = await submitted(db, call, call.theirs)
    service = ApplicationService(db)
    await service.decide(call.organizer, call.fair.id, [theirs.id], "accepted")
    await db.commit()
    with pytest.raises(Conflict) as refused:  # theirs is accepted already: accepted → waitlisted is illegal
        await service.decide(call.organizer, call.fair.id, [mine.id, theirs.id], "waitlisted", "Chờ nhé")
    assert "Công ty Nước mắm Cần Thơ" in refused.value.message
    assert (await fresh(db, mine.id)).status == ApplicationStatus.SUBMITTED
    assert await count(db, Notification, Notification.topic == "fairs.application.waitlisted") == 0

    done = await service.decide(call.organizer, call.fair.id, [mine.id, theirs.id], "rejected", "Hết chỗ")
    await db.commit()
    assert {a.status for a in done} == {ApplicationStatus.REJECTED}
    assert (await fresh(db, mine.id)).message == "Hết chỗ"


async def test_waitlisting_gives_the_next_ranks_in_order(db: AsyncSession, call: Call) -> None:
    mine = await submitted(db, call)
    theirs = await submitted(db, call, call.theirs)
    third_producer = await make_producer(db, name="HTX Bưởi Năm Roi")
    third_vendor = await person(db, (Role.VENDOR, third_producer, None))
    await make_product(db, third_producer, name_vi="Bưởi")
    service = ApplicationService(db)
    third_form = call.form(third_producer, product_ids=())
    third = await service.create(third_vendor, call.fair.id, third_form, submit=False)
    await db.commit()
    products = await service.apply_view(third_vendor, call.fair.id, third_producer.id)
    await service.update(
        third_vendor,
        third.id,
        call.form(third_producer, product_ids=(str(products.products[0].product.id),)),
        submit=True,
    )
    await db.commit()

    await service.decide(call.organizer, call.fair.id, [theirs.id, mine.id], "waitlisted")
    await db.commit()
    # In the order they were submitted, whatever the order of the ids sent.
    assert (await fresh(db, mine.id)).waitlist_rank == 1
    assert (await fresh(db, theirs.id)).waitlist_rank == 2
    await service.decide(call.organizer, call.fair.id, [third.id], "waitlisted")
    await db.commit()
    assert (await fresh(db, third.id)).waitlist_rank == 3
    await service.decide(call.organizer, call.fair.id, [mine.id], "accepted")
    await db.commit()
    assert (await fresh(db, mine.id)).waitlist_rank is None
    await service.withdraw(call.other_vendor, theirs.id)
    await db.commit()
    assert (await fresh(db, theirs.id)).waitlist_rank is None
    assert (await fresh(db, third.id)).waitlist_rank == 3


async def test_decisions_are_audited_and_tell_the_producers_vendors_in_their_language(
    db: AsyncSession, call: Call
) -> None:
    second_vendor = await person(db, (Role.VENDOR, call.mine, None), locale="vi")
    application = await submitted(db, call)
    await ApplicationService(db).decide(
        call.organizer, call.fair.id, [application.id], "accepted", "Mời anh chị đến sớm 1 giờ."
    )
    await db.commit()
    notes = (
        await db.scalars(
            select(Notification)
            .where(Notification.topic == "fairs.application.accepted")
            .order_by(Notification.user_id)
        )
    ).all()
    assert [n.user_id for n in notes] == sorted([call.vendor.id, second_vendor.id])  # not the cashier
    by_user = {n.user_id: n for n in notes}
    assert "Vinh Long OCOP Fair" in by_user[call.vendor.id].subject  # English: the English name
    assert "accepted" in by_user[call.vendor.id].subject
    assert "Hội chợ OCOP Vĩnh Long" in by_user[second_vendor.id].subject
    assert all("Mời anh chị đến sớm 1 giờ." in n.body for n in notes)
    assert all(n.link == f"/applications/{application.id}" for n in notes)
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "fairs.application.accepted"))
    assert entry is not None and entry.actor_id == call.organizer.id and entry.object_id == application.id
    assert entry.data["was"] == "submitted"
    decided = await fresh(db, application.id)
    assert decided.decided_by == call.organizer.id and decided.decided_at is not None


async def test_another_organizations_organizers_and_vendors_cannot_review(
    db: AsyncSession, call: Call
) -> None:
    application = await submitted(db, call)
    service = ApplicationService(db)
    for outsider in (call.stranger, call.vendor):
        for attempt in (
            service.review(outsider, call.fair.id, ReviewFilters()),
            service.detail(outsider, call.fair.id, application.id),
            service.decide(outsider, call.fair.id, [application.id], "accepted"),
            service.set_review_note(outsider, call.fair.id, application.id, "x"),
            service.export(outsider, call.fair.id),
        ):
            with pytest.raises(NotFound):
                await attempt
    assert (await fresh(db, application.id)).status == ApplicationStatus.SUBMITTED
    # The admin may.
    assert (await service.review(call.admin, call.fair.id, ReviewFilters())).rows.total == 1


async def test_an_application_id_of_another_fair_is_not_found(db: AsyncSession, call: Call) -> None:
    application = await submitted(db, call)
    other_fair = await make_fair(db, call.org, name="Hội chợ khác")
    with pytest.raises(NotFound):
        await ApplicationService(db).detail(call.organizer, other_fair.id, application.id)
    with pytest.raises(NotFound):
        await ApplicationService(db).decide(call.organizer, other_fair.id, [application.id], "accepted")


async def test_the_review_filters_and_sorts(db: AsyncSession, call: Call) -> None:
    mine = await submitted(db, call)
    theirs = await submitted(db, call, call.theirs)
    service = ApplicationService(db)

    async def ids(**filters: Any) -> list[int]:
        view = await service.review(call.organizer, call.fair.id, ReviewFilters(**filters))
        return [row.application.id for row in view.rows.items]

    assert await ids() == [mine.id, theirs.id]  # by date submitted
    # The oil's 5★ has expired: mine counts 4★, theirs 5★.
    assert await ids(sort="stars") == [theirs.id, mine.id]
    assert await ids(stars=5) == [theirs.id]
    assert await ids(stars=4) == [mine.id, theirs.id]
    assert await ids(group="2") == [theirs.id]
    assert await ids(group="1") == [mine.id]
    assert await ids(province=92) == [theirs.id]
    assert await ids(sort="province") == [theirs.id, mine.id]  # Cần Thơ before Vĩnh Long
    assert await ids(sort="group") == [mine.id, theirs.id]  # 1 Food before 2 Beverages
    assert await ids(status="accepted") == []
    view = await service.review(call.organizer, call.fair.id, ReviewFilters())
    row = view.rows.items[0]
    assert row.best_stars == 4 and row.expired == 1 and row.province.endswith("Vĩnh Long")
    assert view.counts["submitted"] == 2


async def test_a_review_note_is_kept_for_organizers(db: AsyncSession, call: Call) -> None:
    application = await submitted(db, call)
    service = ApplicationService(db)
    await service.set_review_note(call.organizer, call.fair.id, application.id, "  Đã gọi điện xác nhận.  ")
    await db.commit()
    assert (await fresh(db, application.id)).review_note == "Đã gọi điện xác nhận."
    with pytest.raises(ValidationFailed):
        await service.set_review_note(call.organizer, call.fair.id, application.id, "x" * 2001)
    assert (await fresh(db, application.id)).review_note == "Đã gọi điện xác nhận."


async def test_the_export_rows_hold_every_application_with_its_answers(db: AsyncSession, call: Call) -> None:
    mine = await submitted(db, call)
    await submitted(db, call, call.theirs)
    service = ApplicationService(db)
    await service.set_review_note(call.organizer, call.fair.id, mine.id, "=cmd()")
    await service.withdraw(call.other_vendor, (await service.mine(call.other_vendor)).items[0].application.id)
    await db.commit()
    fair, table = await service.export(call.organizer, call.fair.id)
    assert len(table) == 3  # header + both (the withdrawn one too)
    header, first = table[0], table[1]
    assert header[-3:] == ["Bạn bán sản phẩm gì?", "Nhu cầu điện", "Có tham gia livestream?"]
    assert first[1] == "HTX Dừa Giồng Trôm"
    assert "10/01/2023" in first[11]  # the expired certificate, with its date
    assert first[12] == 1
    assert first[-3:-1] == ["Dừa sáp, kẹo dừa", "Điện 220V"]
    content = csv_bytes(table)
    assert content.startswith("\ufeff".encode())
    assert "'=cmd()" in content.decode("utf-8")  # a formula is never run by a spreadsheet
    assert application_rows([], [], fair)[0] == header[: len(header) - 3]


# --- the call's questions ---


async def test_organizers_add_edit_reorder_and_delete_questions(db: AsyncSession, call: Call) -> None:
    service = CallService(db)
    added = await service.add_question(
        call.organizer,
        call.fair.id,
        {"kind": "choice", "prompt_vi": "Quy mô", "choices": "Nhỏ\nVừa\n\nnhỏ\nLớn"},
    )
    await db.commit()
    assert added.choices == ["Nhỏ", "Vừa", "Lớn"] and added.position == 3 and added.required is False
    await service.update_question(
        call.organizer, call.fair.id, added.id, {"kind": "yes_no", "prompt_vi": "Có xe tải?", "required": "1"}
    )
    await service.move_question(call.organizer, call.fair.id, added.id, "up")
    await db.commit()
    order = [q.id for q in await service.questions(call.fair.id)]
    assert order == [call.q_text.id, call.q_choice.id, added.id, call.q_yes.id]
    await service.move_question(
        call.organizer, call.fair.id, call.q_text.id, "up"
    )  # already first: no change
    await service.delete_question(call.organizer, call.fair.id, call.q_choice.id)
    await db.commit()
    questions = await service.questions(call.fair.id)
    assert [(q.id, q.position) for q in questions] == [(call.q_text.id, 0), (added.id, 1), (call.q_yes.id, 2)]
    assert questions[1].kind == QuestionKind.YES_NO and questions[1].choices == [] and questions[1].required
    actions = set((await db.scalars(select(AuditEntry.action))).all())
    assert {
        "fairs.call.question_added",
        "fairs.call.question_changed",
        "fairs.call.question_deleted",
    } <= actions


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "text", "prompt_vi": ""}, "prompt_vi"),
        ({"kind": "essay", "prompt_vi": "Hỏi"}, "kind"),
        ({"kind": "choice", "prompt_vi": "Hỏi", "choices": "Một"}, "choices"),
        ({"kind": "text", "prompt_vi": "H" * 301}, "prompt_vi"),
        ({"kind": "choice", "prompt_vi": "Hỏi", "choices": "A\n" + "B" * 101}, "choices"),
    ],
)
async def test_bad_questions_are_refused(
    db: AsyncSession, call: Call, raw: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await CallService(db).add_question(call.organizer, call.fair.id, raw)
    assert field in refused.value.fields
    assert await count(db, CallQuestion) == 3


async def test_only_the_fairs_organizers_manage_its_questions(db: AsyncSession, call: Call) -> None:
    service = CallService(db)
    for outsider in (call.stranger, call.vendor):
        for attempt in (
            service.view(outsider, call.fair.id),
            service.add_question(outsider, call.fair.id, {"kind": "text", "prompt_vi": "Hỏi"}),
            service.update_question(
                outsider, call.fair.id, call.q_text.id, {"kind": "text", "prompt_vi": "Hỏi"}
            ),
            service.delete_question(outsider, call.fair.id, call.q_text.id),
            service.move_question(outsider, call.fair.id, call.q_yes.id, "up"),
        ):
            with pytest.raises(NotFound):
                await attempt
    assert await count(db, CallQuestion) == 3
    other_fair = await make_fair(db, call.org)
    with pytest.raises(NotFound):  # a question of another fair
        await service.get_question(call.organizer, other_fair.id, call.q_text.id)


async def test_an_application_holding_a_booth_is_not_rejected_or_withdrawn_until_it_is_released(
    db: AsyncSession, call: Call
) -> None:
    from app.fairs.models import Assignment, AssignmentStatus, Booth, Hall
    from app.inventory.models import Location, LocationKind

    application = await submitted(db, call)
    service = ApplicationService(db)
    await service.decide(call.organizer, call.fair.id, [application.id], "accepted")
    hall = Hall(fair_id=call.fair.id, name="Nhà A", columns=10, rows=5)
    location = Location(name="Gian A-01", kind=LocationKind.BOOTH, organization_id=call.org.id)
    db.add_all([hall, location])
    await db.flush()
    booth = Booth(
        fair_id=call.fair.id,
        hall_id=hall.id,
        booth_type_id=call.small.id,
        code="A-01",
        x=0,
        y=0,
        width=3,
        height=3,
        location_id=location.id,
    )
    db.add(booth)
    await db.flush()
    assignment = Assignment(
        fair_id=call.fair.id, booth_id=booth.id, application_id=application.id, producer_id=call.mine.id
    )
    db.add(assignment)
    await db.commit()

    with pytest.raises(Conflict) as refused:
        await service.decide(call.organizer, call.fair.id, [application.id], "rejected")
    assert "A-01" in refused.value.message
    with pytest.raises(Conflict) as withdrawn:
        await service.withdraw(call.vendor, application.id)
    assert "A-01" in withdrawn.value.message
    assert (await fresh(db, application.id)).status == ApplicationStatus.ACCEPTED

    assignment.status = AssignmentStatus.RELEASED
    await db.commit()
    await service.withdraw(call.vendor, application.id)
    await db.commit()
    assert (await fresh(db, application.id)).status == ApplicationStatus.WITHDRAWN
