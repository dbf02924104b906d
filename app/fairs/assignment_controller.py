"""Booth assignment over HTTP: the organizer's assignments page (manual, automatic, holds, offers), the
vendor's "my booth" page (self-select, the fee's VietQR code, waitlist offers) and the JSON API.

Handlers parse, call one AssignmentService use case (which checks who may act on the fair and raises
DomainErrors) and pick a template block. Clicking a booth on the plan only asks (a GET that fills the side
panel); the panel's button posts. The automatic proposal is not written until it is accepted: between
requests it rides in the page as a signed hidden field (`sign_proposal`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.flash import flash
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.errors import Conflict, ValidationFailed
from app.fairs.assignments import (
    AssignmentRow,
    AssignmentService,
    Proposal,
    ProposalView,
    parse_id,
    proposed_plan,
    read_proposal,
    sign_proposal,
)
from app.fairs.solver import TERMS
from app.i18n import gettext as _
from app.i18n import ngettext
from app.payments.stripe_gateway import gateway
from app.settings import get_settings
from app.web import app_settings, page, query_int, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


# --- forms and JSON shapes ---


class AssignForm(msgspec.Struct):
    application_id: str = ""
    booth_id: str | list[str] = ""


class ReleaseForm(msgspec.Struct):
    reason: str = ""


class MoveForm(msgspec.Struct):
    booth_id: str = ""


class PaymentForm(msgspec.Struct):
    reference: str = ""


class AutoForm(msgspec.Struct):
    proposal: str = ""
    pin: str | list[str] = ""


class PickForm(msgspec.Struct):
    application_id: str = ""
    booth_id: str = ""


class AssignIn(msgspec.Struct):
    application_id: int
    booth_ids: list[int]


class SelfSelectIn(msgspec.Struct):
    booth_id: int
    application_id: int | None = None


class AssignmentOut(msgspec.Struct):
    id: int
    booth_id: int
    booth_code: str
    application_id: int
    producer_id: int
    producer_name: str
    status: str
    method: str
    pinned: bool
    fee_vnd: int
    hold_expires_at: dt.datetime | None
    paid_at: dt.datetime | None


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _user(request: Request[CurrentUser, Any, Any]) -> CurrentUser:
    return request.user


def _secret() -> str:
    return get_settings().secret_key


def _out(row: AssignmentRow) -> AssignmentOut:
    a = row.assignment
    return AssignmentOut(
        id=a.id,
        booth_id=a.booth_id,
        booth_code=row.booth.code,
        application_id=a.application_id,
        producer_id=a.producer_id,
        producer_name=row.producer_name,
        status=a.status.value,
        method=a.method.value,
        pinned=a.pinned,
        fee_vnd=a.fee_vnd,
        hold_expires_at=a.hold_expires_at,
        paid_at=a.paid_at,
    )


# --- the organizer's page ---


class AssignmentController(Controller):
    """/manage/fairs/{fair_id}/assignments: another organization's fair answers 404, whatever the id."""

    path = "/manage/fairs/{fair_id:int}/assignments"
    guards = [requires_login]
    include_in_schema = False

    async def _page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        *,
        application: int | None = None,
        booth: int | None = None,
        error: str = "",
        error_at: str = "top",
        errors: dict[str, str] | None = None,
        proposal: Proposal | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        service = AssignmentService(tx)
        board = await service.board(_user(request), fair_id, application)
        view: ProposalView | None = None
        if proposal is not None:
            view = await service.proposal_view(_user(request), fair_id, proposal)
        selectable_ids = {b.id for b in board.selectable}
        return page(
            request,
            "fairs/assign_manage.html.jinja",
            {
                "board": board,
                "fair": board.fair,
                "plan": board.plan,
                "selectable_ids": selectable_ids,
                "chosen": board.plan.booth(booth) if booth is not None else None,
                "chosen_ok": booth in selectable_ids,
                "error": error,
                "error_at": error_at,
                "errors": errors or {},
                "view": view,
                "proposal_plan": proposed_plan(board.plan, view.labels, view.freed) if view else None,
                "token": sign_proposal(proposal, _secret()) if proposal else "",
                "terms": TERMS,
            },
            status=status,
            blocks=blocks,
        )

    @get("/", name="fairs:assignments")
    async def show(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        application: str = "",
        booth: str = "",
    ) -> Template:
        return await self._page(
            request,
            tx,
            fair_id,
            application=query_int(application),
            booth=query_int(booth),
            blocks=["assign_panel"],
        )

    @post("/", name="fairs:assign")
    async def assign(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[AssignForm, Form],
    ) -> Any:
        try:
            created = await AssignmentService(tx).assign(
                _user(request), fair_id, data.application_id, _as_list(data.booth_id)
            )
        except (ValidationFailed, Conflict) as err:
            return await self._page(
                request,
                tx,
                fair_id,
                application=parse_id(data.application_id),
                error=err.message,
                error_at="assign",
                errors=err.fields,
                status=err.status_code,
                blocks=["assign_panel"],
            )
        flash(
            request,
            ngettext("%(num)d booth assigned.", "%(num)d booths assigned.", len(created)),
            "success",
        )
        back = f"/manage/fairs/{fair_id}/assignments"
        application = created[0].application_id if created else None
        return redirect(request, f"{back}?application={application}" if application else back)

    async def _act(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, action: Any, done: str
    ) -> Any:
        try:
            await action
        except (ValidationFailed, Conflict) as err:
            return await self._page(
                request, tx, fair_id, error=err.message, errors=err.fields, status=err.status_code
            )
        flash(request, done, "success")
        return redirect(request, f"/manage/fairs/{fair_id}/assignments")

    @post("/{assignment_id:int}/release", name="fairs:assignment_release")
    async def release(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        assignment_id: int,
        data: Annotated[ReleaseForm, Form],
    ) -> Any:
        action = AssignmentService(tx).release(_user(request), assignment_id, data.reason, fair_id=fair_id)
        return await self._act(request, tx, fair_id, action, _("The booth is free again."))

    @post("/{assignment_id:int}/move", name="fairs:assignment_move")
    async def move(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        assignment_id: int,
        data: Annotated[MoveForm, Form],
    ) -> Any:
        action = AssignmentService(tx).move(_user(request), assignment_id, data.booth_id, fair_id=fair_id)
        return await self._act(request, tx, fair_id, action, _("The producer was moved to the new booth."))

    @post("/{assignment_id:int}/pin", name="fairs:assignment_pin")
    async def pin(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, assignment_id: int
    ) -> Any:
        action = AssignmentService(tx).pin(_user(request), assignment_id, fair_id=fair_id)
        return await self._act(
            request, tx, fair_id, action, _("Pinned: the automatic assignment keeps this booth.")
        )

    @post("/{assignment_id:int}/unpin", name="fairs:assignment_unpin")
    async def unpin(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, assignment_id: int
    ) -> Any:
        action = AssignmentService(tx).unpin(_user(request), assignment_id, fair_id=fair_id)
        return await self._act(request, tx, fair_id, action, _("Unpinned."))

    @post("/{assignment_id:int}/confirm-payment", name="fairs:assignment_paid")
    async def confirm_payment(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        assignment_id: int,
        data: Annotated[PaymentForm, Form],
    ) -> Any:
        action = AssignmentService(tx).confirm_payment(
            _user(request), assignment_id, data.reference, fair_id=fair_id
        )
        return await self._act(
            request, tx, fair_id, action, _("Payment confirmed: the booth is the producer's.")
        )

    # --- automatic ---

    @post("/auto", name="fairs:assignments_auto")
    async def run_automatic(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[AutoForm, Form],
    ) -> Template:
        service = AssignmentService(tx)
        try:
            previous = read_proposal(data.proposal, _secret(), fair_id) if data.proposal.strip() else None
            proposal = await service.propose(
                _user(request), fair_id, previous=previous, pinned=[p for p in _as_list(data.pin) if p]
            )
        except ValidationFailed as err:
            return await self._page(
                request,
                tx,
                fair_id,
                error=err.message,
                error_at="auto",
                status=err.status_code,
                blocks=["auto_panel"],
            )
        return await self._page(request, tx, fair_id, proposal=proposal, blocks=["auto_panel"])

    @post("/auto/accept", name="fairs:assignments_accept")
    async def accept_automatic(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[AutoForm, Form],
    ) -> Any:
        try:
            proposal = read_proposal(data.proposal, _secret(), fair_id)
            result = await AssignmentService(tx).accept_proposal(_user(request), fair_id, proposal)
        except (ValidationFailed, Conflict) as err:
            return await self._page(
                request,
                tx,
                fair_id,
                error=err.message,
                error_at="auto",
                status=err.status_code,
                blocks=["auto_panel"],
            )
        flash(
            request,
            ngettext(
                "The automatic assignment was accepted: %(num)d booth assigned.",
                "The automatic assignment was accepted: %(num)d booths assigned.",
                len(result.created),
            ),
            "success",
        )
        return redirect(request, f"/manage/fairs/{fair_id}/assignments")


# --- the vendor's page ---


class MyBoothController(Controller):
    """/fairs/{fair_id}/my-booth: a vendor's booths at a fair, the fee to pay, offers, and picking a booth."""

    path = "/fairs/{fair_id:int}/my-booth"
    guards = [requires_login]
    include_in_schema = False

    async def _page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        *,
        application: int | None = None,
        booth: int | None = None,
        error: str = "",
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        view = await AssignmentService(tx).my_booth(_user(request), fair_id)
        entry = next((e for e in view.entries if e.application.id == application), None)
        if entry is None:
            entry = next((e for e in view.entries if e.can_select), None)
        selectable_ids = {b.id for b in entry.selectable} if entry else set()
        return page(
            request,
            "fairs/assign_my_booth.html.jinja",
            {
                "view": view,
                "fair": view.fair,
                "plan": view.plan,
                "picking": entry,
                "selectable_ids": selectable_ids,
                "chosen": view.plan.booth(booth) if booth is not None else None,
                "chosen_ok": booth in selectable_ids,
                "error": error,
                "cards_on": gateway(app_settings(request)) is not None,
            },
            status=status,
            blocks=blocks,
        )

    @get("/", name="fairs:my_booth")
    async def show(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        application: str = "",
        booth: str = "",
    ) -> Template:
        return await self._page(
            request,
            tx,
            fair_id,
            application=query_int(application),
            booth=query_int(booth),
            blocks=["pick_panel"],
        )

    @post("/select", name="fairs:my_booth_select")
    async def pick(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[PickForm, Form],
    ) -> Any:
        try:
            created = await AssignmentService(tx).self_select(
                _user(request), fair_id, data.booth_id, data.application_id or None
            )
        except (ValidationFailed, Conflict) as err:
            return await self._page(
                request,
                tx,
                fair_id,
                application=parse_id(data.application_id),
                error=err.message,
                status=err.status_code,
                blocks=["pick_panel"],
            )
        flash(request, _("The booth is yours. Pay the booth fee before the deadline to keep it."), "success")
        return redirect(request, f"/fairs/{fair_id}/my-booth?application={created[0].application_id}")

    async def _act(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, action: Any, done: str
    ) -> Any:
        try:
            await action
        except Conflict as err:
            return await self._page(request, tx, fair_id, error=err.message, status=err.status_code)
        flash(request, done, "success")
        return redirect(request, f"/fairs/{fair_id}/my-booth")

    @post("/offers/{offer_id:int}/accept", name="fairs:offer_accept")
    async def accept_offer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, offer_id: int
    ) -> Any:
        action = AssignmentService(tx).accept_offer(_user(request), fair_id, offer_id)
        return await self._act(
            request,
            tx,
            fair_id,
            action,
            _("The booth is yours. Pay the booth fee before the deadline to keep it."),
        )

    @post("/offers/{offer_id:int}/decline", name="fairs:offer_decline")
    async def decline_offer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, offer_id: int
    ) -> Any:
        action = AssignmentService(tx).decline_offer(_user(request), fair_id, offer_id)
        return await self._act(
            request, tx, fair_id, action, _("You declined the booth. It goes to the next producer.")
        )

    @post("/assignments/{assignment_id:int}/give-back", name="fairs:my_booth_give_back")
    async def give_back(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, assignment_id: int
    ) -> Any:
        action = AssignmentService(tx).give_back(_user(request), fair_id, assignment_id)
        return await self._act(request, tx, fair_id, action, _("You gave the booth back."))


# --- JSON API ---


class AssignmentApiController(Controller):
    path = "/api/v1/fairs/{fair_id:int}"
    tags = ["fairs"]
    guards = [requires_login]

    @get(
        "/assignments",
        name="api:fair_assignments",
        summary="The booth assignments in force at a fair (its organizers only)",
        description="Another organization's fair answers 404.",
    )
    async def list_assignments(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int
    ) -> list[AssignmentOut]:
        rows = await AssignmentService(tx).list_for_fair(_user(request), fair_id)
        return [_out(row) for row in rows]

    @post(
        "/assignments",
        name="api:fair_assign",
        summary="Give booths to an accepted application (its fair's organizers only)",
        description=(
            "All the booths or none: each must be of the application's type, not blocked, free, and side by "
            "side with its other booths. A booth someone else just took answers 409."
        ),
        status_code=HTTP_201_CREATED,
    )
    async def assign(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, data: AssignIn
    ) -> Response[list[AssignmentOut]]:
        service = AssignmentService(tx)
        created = await service.assign(_user(request), fair_id, data.application_id, data.booth_ids)
        rows = await service.rows_of(created)
        return Response([_out(row) for row in rows], status_code=HTTP_201_CREATED)

    @post(
        "/self-select",
        name="api:fair_self_select",
        summary="Pick a free booth of your application's type (vendors, when the organizer allows it)",
        description="Two producers picking one booth at once: one gets it, the other gets 409.",
        status_code=HTTP_201_CREATED,
    )
    async def self_select(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, data: SelfSelectIn
    ) -> Response[list[AssignmentOut]]:
        service = AssignmentService(tx)
        created = await service.self_select(_user(request), fair_id, data.booth_id, data.application_id)
        rows = await service.rows_of(created)
        return Response([_out(row) for row in rows], status_code=HTTP_201_CREATED)
