"""Payment use cases: the bank accounts VietQR codes pay into (and, next, the payments of sales)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import Organization
from app.accounts.rules import CurrentUser, can_manage_organization, can_manage_producer
from app.catalog.models import Producer
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.payments import rules
from app.payments.models import BankAccount


class BankAccountService:
    """One account per producer, or per organization (a showroom operator). Reads need no actor (the
    register reads the account to draw a code); changes are checked on the owner: a producer's account by
    `can_manage_producer`, an organization's by `can_manage_organization`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- reads ---

    async def get_for_producer(self, producer_id: int) -> BankAccount | None:
        stmt = select(BankAccount).where(BankAccount.producer_id == producer_id)
        return await self.session.scalar(stmt)

    async def get_for_organization(self, org_id: int) -> BankAccount | None:
        stmt = select(BankAccount).where(BankAccount.organization_id == org_id)
        return await self.session.scalar(stmt)

    # --- owners, checked ---

    async def producer_for_manage(self, actor: CurrentUser, producer_id: int) -> Producer:
        producer = await self.session.get(Producer, producer_id)
        if producer is None:
            raise NotFound(_("This producer does not exist."))
        if not can_manage_producer(actor, producer.id, producer.organization_id):
            raise PermissionDenied(_("You may not manage this producer."))
        return producer

    async def organization_for_manage(self, actor: CurrentUser, org_id: int) -> Organization:
        org = await self.session.get(Organization, org_id)
        if org is None:
            raise NotFound(_("This organization does not exist."))
        if not can_manage_organization(actor, org.id):
            raise PermissionDenied(_("You may not manage this organization."))
        return org

    # --- changes ---

    async def set_for_producer(
        self, actor: CurrentUser, producer_id: int, raw: Mapping[str, Any]
    ) -> BankAccount:
        producer = await self.producer_for_manage(actor, producer_id)
        account = await self.get_for_producer(producer.id) or BankAccount(producer_id=producer.id)
        return await self._set(actor, account, raw)

    async def set_for_organization(
        self, actor: CurrentUser, org_id: int, raw: Mapping[str, Any]
    ) -> BankAccount:
        org = await self.organization_for_manage(actor, org_id)
        account = await self.get_for_organization(org.id) or BankAccount(organization_id=org.id)
        return await self._set(actor, account, raw)

    async def _set(self, actor: CurrentUser, account: BankAccount, raw: Mapping[str, Any]) -> BankAccount:
        fields, errors = rules.clean_bank_account(raw)
        if fields is None:
            raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
        previous = (
            {"bank_bin": account.bank_bin, "account_no": account.account_no}
            if account.id is not None
            else None
        )
        account.bank_bin = fields.bank_bin
        account.account_no = fields.account_no
        account.account_name = fields.account_name
        self.session.add(account)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a second form sent at the same moment created it first
            raise Conflict(_("The bank account was changed at the same time. Reload the page.")) from exc
        # Where the money goes is worth a trail: who pointed it where, and where it went before.
        await audit.record(
            self.session,
            actor,
            "payments.bank_account.set",
            "bank_account",
            account.id,
            producer_id=account.producer_id,
            organization_id=account.organization_id,
            bank_bin=account.bank_bin,
            account_no=account.account_no,
            previous=previous,
        )
        return account
