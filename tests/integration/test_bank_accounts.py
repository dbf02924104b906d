"""BankAccountService on the real database: set and replace the account of a producer or an organization,
who may do it, bad input refused with nothing changed, and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Role
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.payments import vietqr
from app.payments.models import BankAccount
from app.payments.services import BankAccountService
from tests.factories import make_organization, make_producer, make_user

GOOD: dict[str, Any] = {
    "bank_bin": "970436",
    "account_no": "0071 000 123456",
    "account_name": "Hợp tác xã Dừa Đồng Khởi",
}


async def vendor_of(db: AsyncSession, producer: Producer) -> CurrentUser:
    user = await make_user(db, role=Role.VENDOR, producer=producer)
    return CurrentUser(
        id=user.id, email=user.email, name=user.name, vendor_of_producers=frozenset({producer.id})
    )


async def organizer_of(db: AsyncSession, organization_id: int) -> CurrentUser:
    user = await make_user(db)
    return CurrentUser(
        id=user.id, email=user.email, name=user.name, organizer_of=frozenset({organization_id})
    )


async def admin(db: AsyncSession) -> CurrentUser:
    user = await make_user(db)
    return CurrentUser(id=user.id, email=user.email, name=user.name, is_admin=True)


async def accounts(db: AsyncSession) -> list[tuple[Any, ...]]:
    await db.rollback()
    rows = await db.execute(
        select(
            BankAccount.producer_id,
            BankAccount.organization_id,
            BankAccount.bank_bin,
            BankAccount.account_no,
            BankAccount.account_name,
        ).order_by(BankAccount.id)
    )
    return [tuple(row) for row in rows]


async def audit_count(db: AsyncSession) -> int:
    await db.rollback()
    stmt = select(func.count()).where(AuditEntry.action == "payments.bank_account.set")
    return int(await db.scalar(stmt) or 0)


async def test_vendor_sets_and_replaces_its_producers_account(db: AsyncSession) -> None:
    producer = await make_producer(db)
    vendor = await vendor_of(db, producer)
    service = BankAccountService(db)
    assert await service.get_for_producer(producer.id) is None

    account = await service.set_for_producer(vendor, producer.id, GOOD)
    await db.commit()
    assert (account.bank_bin, account.account_no, account.account_name) == (
        "970436",
        "0071000123456",
        "HOP TAC XA DUA DONG KHOI",
    )

    again = await service.set_for_producer(
        vendor, producer.id, {"bank_bin": "970422", "account_no": "660704060000129", "account_name": "x y"}
    )
    await db.commit()
    assert again.id == account.id  # one account per producer: replaced, not added
    assert await accounts(db) == [(producer.id, None, "970422", "660704060000129", "X Y")]
    found = await BankAccountService(db).get_for_producer(producer.id)
    assert found is not None
    assert found.account_no == "660704060000129"


async def test_the_saved_account_makes_a_valid_vietqr_code(db: AsyncSession) -> None:
    producer = await make_producer(db)
    account = await BankAccountService(db).set_for_producer(await admin(db), producer.id, GOOD)
    await db.commit()
    payload = vietqr.build_payload(
        account.bank_bin, account.account_no, 45_000, "CP 1 7", account.account_name
    )
    fields = vietqr.parse_payload(payload)
    assert fields["38.01.00"] == "970436"
    assert fields["38.01.01"] == "0071000123456"
    assert fields["59"] == "HOP TAC XA DUA DONG KHOI"


async def test_organizer_sets_its_producers_and_its_organizations_account(db: AsyncSession) -> None:
    org = await make_organization(db)
    producer = await make_producer(db, organization=org)
    organizer = await organizer_of(db, org.id)
    service = BankAccountService(db)
    await service.set_for_producer(organizer, producer.id, GOOD)
    await service.set_for_organization(
        organizer, org.id, {"bank_bin": "970405", "account_no": "123456789012", "account_name": "So NN"}
    )
    await db.commit()
    assert await accounts(db) == [
        (producer.id, None, "970436", "0071000123456", "HOP TAC XA DUA DONG KHOI"),
        (None, org.id, "970405", "123456789012", "SO NN"),
    ]
    org_account = await BankAccountService(db).get_for_organization(org.id)
    assert org_account is not None
    assert org_account.account_name == "SO NN"
    assert await BankAccountService(db).get_for_organization(org.id + 1000) is None


async def test_audit_entry_records_who_and_what_before(db: AsyncSession) -> None:
    producer = await make_producer(db)
    vendor = await vendor_of(db, producer)
    service = BankAccountService(db)
    await service.set_for_producer(vendor, producer.id, GOOD)
    await service.set_for_producer(vendor, producer.id, {**GOOD, "account_no": "999999999"})
    await db.commit()
    await db.rollback()
    entries = (
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "payments.bank_account.set").order_by(AuditEntry.id)
        )
    ).all()
    assert len(entries) == 2
    assert all(e.actor_id == vendor.id and e.object_type == "bank_account" for e in entries)
    assert entries[0].data["previous"] is None
    assert entries[0].data["producer_id"] == producer.id
    assert entries[1].data["previous"] == {"bank_bin": "970436", "account_no": "0071000123456"}
    assert entries[1].data["account_no"] == "999999999"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bank_bin": "123456"}, "bank_bin"),
        ({"bank_bin": ""}, "bank_bin"),
        ({"account_no": "0071ABC23456"}, "account_no"),
        ({"account_no": "12345"}, "account_no"),
        ({"account_name": ""}, "account_name"),
        ({"account_name": "N" * 51}, "account_name"),
    ],
)
async def test_bad_input_refused_and_nothing_changed(
    db: AsyncSession, change: dict[str, str], field: str
) -> None:
    producer = await make_producer(db)
    producer_id = producer.id  # plain ids: a rollback below expires the objects
    vendor = await vendor_of(db, producer)
    await BankAccountService(db).set_for_producer(vendor, producer_id, GOOD)
    await db.commit()
    before, audits = await accounts(db), await audit_count(db)

    with pytest.raises(ValidationFailed) as err:
        await BankAccountService(db).set_for_producer(vendor, producer_id, {**GOOD, **change})
    await db.rollback()
    assert field in err.value.fields
    assert err.value.fields[field]
    assert await accounts(db) == before
    assert await audit_count(db) == audits


async def test_bad_input_on_a_new_account_writes_nothing(db: AsyncSession) -> None:
    producer = await make_producer(db)
    vendor = await vendor_of(db, producer)
    with pytest.raises(ValidationFailed):
        await BankAccountService(db).set_for_producer(vendor, producer.id, {**GOOD, "bank_bin": "000000"})
    await db.commit()  # even committing what the session holds leaves no half-made row
    assert await accounts(db) == []
    assert await audit_count(db) == 0


async def test_vendor_cannot_touch_another_producers_account(db: AsyncSession) -> None:
    mine = await make_producer(db)
    theirs = (await make_producer(db)).id
    vendor = await vendor_of(db, mine)
    await BankAccountService(db).set_for_producer(await admin(db), theirs, GOOD)
    await db.commit()
    before = await accounts(db)

    with pytest.raises(PermissionDenied):
        await BankAccountService(db).set_for_producer(vendor, theirs, {**GOOD, "account_no": "111111111"})
    await db.rollback()
    with pytest.raises(PermissionDenied):
        await BankAccountService(db).producer_for_manage(vendor, theirs)
    # Bad values on another producer's account get the refusal of the owner, not the field messages.
    with pytest.raises(PermissionDenied):
        await BankAccountService(db).set_for_producer(vendor, theirs, {"bank_bin": "x"})
    await db.rollback()
    assert await accounts(db) == before


async def test_organizer_of_another_office_cannot_set_accounts(db: AsyncSession) -> None:
    org = await make_organization(db)
    other = await make_organization(db)
    producer = await make_producer(db, organization=org)
    outsider = await organizer_of(db, other.id)
    service = BankAccountService(db)
    with pytest.raises(PermissionDenied):
        await service.set_for_organization(outsider, org.id, GOOD)
    with pytest.raises(PermissionDenied):
        await service.set_for_producer(outsider, producer.id, GOOD)
    await db.rollback()
    assert await accounts(db) == []


async def test_vendor_of_a_producer_cannot_set_its_offices_account(db: AsyncSession) -> None:
    org = await make_organization(db)
    producer = await make_producer(db, organization=org)
    vendor = await vendor_of(db, producer)
    with pytest.raises(PermissionDenied):
        await BankAccountService(db).set_for_organization(vendor, org.id, GOOD)
    await db.rollback()
    assert await accounts(db) == []


async def test_showroom_vendor_of_an_organization_cannot_set_its_account(db: AsyncSession) -> None:
    """Where a showroom's money goes is the office's decision, not its staff's."""
    org = await make_organization(db)
    user = await make_user(db)
    staff = CurrentUser(id=user.id, email=user.email, name=user.name, vendor_of_orgs=frozenset({org.id}))
    with pytest.raises(PermissionDenied):
        await BankAccountService(db).set_for_organization(staff, org.id, GOOD)


async def test_unknown_owner_is_not_found(db: AsyncSession) -> None:
    boss = await admin(db)
    service = BankAccountService(db)
    with pytest.raises(NotFound):
        await service.set_for_producer(boss, 999_999, GOOD)
    with pytest.raises(NotFound):
        await service.set_for_organization(boss, 999_999, GOOD)
    await db.rollback()
    assert await accounts(db) == []
