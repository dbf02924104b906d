"""Payments HTTP: the bank-account page of a producer or an organization (where VietQR transfers go).

Handlers parse the form, call BankAccountService (which checks who may act on the owner and raises
DomainErrors), and pick a template block. The page shows a sample static VietQR code of the saved account,
so the vendor can scan it with their own banking app and see that the bank finds the right account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.errors import ValidationFailed
from app.i18n import gettext as _
from app.payments import banks, vietqr
from app.payments.models import BankAccount
from app.payments.schemas import BankAccountForm
from app.payments.services import BankAccountService
from app.web import page, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
TEMPLATE = "payments/bank_account.html.jinja"
FORM_BLOCK = "bank_account_form"


@dataclass(frozen=True)
class Owner:
    """Whose account the page sets: what the template shows about the owner, and where the form posts."""

    kind: str  # "producer" | "organization"
    id: int
    name: str
    action: str
    back_url: str | None


@dataclass(frozen=True)
class Preview:
    payload: str
    svg: str
    bank: banks.Bank | None
    account: BankAccount


def producer_owner(producer_id: int, name: str) -> Owner:
    return Owner(
        kind="producer",
        id=producer_id,
        name=name,
        action=f"/manage/producers/{producer_id}/bank-account",
        back_url=f"/manage/producers/{producer_id}/edit",
    )


def organization_owner(org_id: int, name: str) -> Owner:
    return Owner(
        kind="organization",
        id=org_id,
        name=name,
        action=f"/manage/organizations/{org_id}/bank-account",
        back_url=None,
    )


def form_from(account: BankAccount | None) -> BankAccountForm:
    if account is None:
        return BankAccountForm()
    return BankAccountForm(
        bank_bin=account.bank_bin, account_no=account.account_no, account_name=account.account_name
    )


def preview_of(account: BankAccount | None) -> Preview | None:
    """A static code (no amount, no message) of the saved account, to scan with one's own banking app."""
    if account is None:
        return None
    try:
        payload = vietqr.build_payload(
            account.bank_bin, account.account_no, None, "", account.account_name, require_known_bank=False
        )
    except vietqr.VietQRError:
        return None  # a row written before today's rules: the form shows it to be corrected
    return Preview(
        payload=payload, svg=vietqr.qr_svg(payload), bank=banks.bank(account.bank_bin), account=account
    )


def render(
    request: Request[CurrentUser, Any, Any],
    owner: Owner,
    account: BankAccount | None,
    form: BankAccountForm,
    *,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    blocks: Sequence[str] = (),
) -> Template:
    return page(
        request,
        TEMPLATE,
        {
            "owner": owner,
            "form": form,
            "errors": errors or {},
            "bank_options": [(b.bin, b.label) for b in banks.banks()],
            "preview": preview_of(account),
        },
        status=status,
        blocks=blocks,
    )


class BankAccountController(Controller):
    """GET shows the form and the sample code; POST saves, then redirects to GET (303 or HX-Redirect)."""

    path = "/manage"
    guards = [requires_login]
    include_in_schema = False

    @get("/producers/{producer_id:int}/bank-account", name="payments:producer_bank_account")
    async def producer_account(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, producer_id: int
    ) -> Template:
        service = BankAccountService(tx)
        producer = await service.producer_for_manage(request.user, producer_id)
        account = await service.get_for_producer(producer.id)
        return render(request, producer_owner(producer.id, producer.name), account, form_from(account))

    @post("/producers/{producer_id:int}/bank-account", name="payments:producer_bank_account_set")
    async def set_producer_account(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        producer_id: int,
        data: Annotated[BankAccountForm, Form],
    ) -> Any:
        service = BankAccountService(tx)
        try:
            await service.set_for_producer(request.user, producer_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            # The owner was checked before the values: reaching here, the user may manage it.
            producer = await service.producer_for_manage(request.user, producer_id)
            account = await service.get_for_producer(producer.id)
            owner = producer_owner(producer.id, producer.name)
            return render(request, owner, account, data, errors=err.fields, status=422, blocks=[FORM_BLOCK])
        flash(request, _("The bank account was saved. Scan the sample code below to check it."), "success")
        return redirect(request, producer_owner(producer_id, "").action)

    @get("/organizations/{organization_id:int}/bank-account", name="payments:organization_bank_account")
    async def organization_account(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, organization_id: int
    ) -> Template:
        service = BankAccountService(tx)
        org = await service.organization_for_manage(request.user, organization_id)
        account = await service.get_for_organization(org.id)
        return render(request, organization_owner(org.id, org.name), account, form_from(account))

    @post("/organizations/{organization_id:int}/bank-account", name="payments:organization_bank_account_set")
    async def set_organization_account(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        organization_id: int,
        data: Annotated[BankAccountForm, Form],
    ) -> Any:
        service = BankAccountService(tx)
        try:
            await service.set_for_organization(request.user, organization_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            org = await service.organization_for_manage(request.user, organization_id)
            account = await service.get_for_organization(org.id)
            owner = organization_owner(org.id, org.name)
            return render(request, owner, account, data, errors=err.fields, status=422, blocks=[FORM_BLOCK])
        flash(request, _("The bank account was saved. Scan the sample code below to check it."), "success")
        return redirect(request, organization_owner(organization_id, "").action)
