"""Floor-plan HTTP: the organizer's plan editor at /manage/fairs/{fair_id}/plan (halls, booth types, rows of
booths, one booth's form, drag to move and resize, block, renumber, delete) and the public plan as JSON.

Handlers parse (msgspec Structs of strings: odd values reach the service, which answers beside the field),
call one FloorPlanService method (which checks through FairAccess that the user organizes the fair: another
organization's fair is not found) and pick a block of templates/fairs/plan_editor.html.jinja. Forms post and
redirect with 303 (HX-Redirect for htmx); refusals re-render their block with 422 (409 for a booth in use).
The drag of plan-editor.js posts to `/booths/{id}/geometry` and gets the redrawn `plan` block back: the new
plan, or (422) the old one with the reason, so the booth snaps back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from app.errors import Conflict, NotFound, ValidationFailed
from app.fairs.floor_plan import STATES, BoothView, FloorPlanService, PlanView
from app.fairs.plan_rules import FEATURES
from app.i18n import gettext as _
from app.i18n import ngettext
from app.web import page, query_int, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)

# --- forms: every field a string with a default, so the service answers for odd input ---


class HallForm(msgspec.Struct):
    name: str = ""
    columns: str = ""
    rows: str = ""
    entrance_x: str = ""
    entrance_y: str = ""


class BoothTypeForm(msgspec.Struct):
    name: str = ""
    size_m2: str = ""
    price_vnd: str = ""
    features: str | list[str] = ""
    on_offer: str = ""


class RowForm(msgspec.Struct):
    hall_id: str = ""
    booth_type_id: str = ""
    prefix: str = ""
    start_number: str = ""  # empty: after the highest number used with the prefix
    count: str = ""
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    direction: str = "right"
    gap: str = ""
    zone: str = ""


class BoothForm(msgspec.Struct):
    code: str = ""
    hall_id: str = ""
    booth_type_id: str = ""
    zone: str = ""
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""


class GeometryForm(msgspec.Struct):
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""


class RenumberForm(msgspec.Struct):
    prefix: str = ""
    start: str = "1"


# --- JSON ---


class PlanBoothOut(msgspec.Struct):
    """A booth on the public plan. `label` is the producer's name when the booth is held or assigned."""

    id: int
    code: str
    type: str
    size_m2: float
    price_vnd: int
    features: list[str]
    zone: str
    x: int
    y: int
    width: int
    height: int
    state: str  # free | held | assigned | blocked
    label: str


class PlanHallOut(msgspec.Struct):
    """A hall as a grid of `columns × rows` cells (x to the right, y down, from the top-left corner)."""

    id: int
    name: str
    columns: int
    rows: int
    entrance_x: int
    entrance_y: int
    booths: list[PlanBoothOut]


class PlanOut(msgspec.Struct):
    fair_id: int
    states: list[str]
    halls: list[PlanHallOut]


def plan_out(plan: PlanView) -> PlanOut:
    return PlanOut(
        fair_id=plan.fair_id,
        states=[state.value for state in STATES],
        halls=[
            PlanHallOut(
                id=h.hall.id,
                name=h.hall.name,
                columns=h.hall.columns,
                rows=h.hall.rows,
                entrance_x=h.hall.entrance_x,
                entrance_y=h.hall.entrance_y,
                booths=[
                    PlanBoothOut(
                        id=b.id,
                        code=b.code,
                        type=b.type_name,
                        size_m2=b.size_m2,
                        price_vnd=b.price_vnd,
                        features=list(b.features),
                        zone=b.zone,
                        x=b.x,
                        y=b.y,
                        width=b.width,
                        height=b.height,
                        state=b.state.value,
                        label=b.label,
                    )
                    for b in h.booths
                ],
            )
            for h in plan.halls
        ],
    )


# --- helpers (no queries, no sums) ---


def _user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def _fields(form: msgspec.Struct) -> dict[str, Any]:
    return msgspec.structs.asdict(form)


def _booth_form(booth: BoothView | None) -> BoothForm | None:
    if booth is None:
        return None
    return BoothForm(
        code=booth.code,
        hall_id=str(booth.hall_id),
        booth_type_id=str(booth.booth_type_id),
        zone=booth.zone,
        x=str(booth.x),
        y=str(booth.y),
        width=str(booth.width),
        height=str(booth.height),
    )


def _row_form(plan: PlanView) -> RowForm:
    """A new row's defaults: the first hall and type, A-<next number>, six booths of 3 × 3 cells."""
    return RowForm(
        hall_id=str(plan.halls[0].hall.id) if plan.halls else "",
        booth_type_id=str(plan.booth_types[0].id) if plan.booth_types else "",
        prefix="A",
        start_number=str(plan.next_number("A")),
        count="6",
        x="0",
        y="0",
        width="3",
        height="3",
        direction="right",
        gap="0",
    )


def _plan_url(fair_id: int, booth_id: int | None = None) -> str:
    base = f"/manage/fairs/{fair_id}/plan"
    return f"{base}/booths/{booth_id}" if booth_id else base


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


# --- the editor ---


class FloorPlanController(Controller):
    """The plan editor of one fair, for its organizers only (others get 404, whatever the id)."""

    path = "/manage/fairs/{fair_id:int}/plan"
    guards = [requires_login]
    include_in_schema = False

    async def _editor(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        *,
        selected: int | None = None,
        must_select: bool = False,
        forms: Mapping[str, Any] | None = None,
        errors: Mapping[str, Any] | None = None,
        plan_error: str = "",
        booth_error: str = "",
        list_errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        editor = await FloorPlanService(tx).editor(_user(request), fair_id)
        plan = editor.plan
        booth = plan.booth(selected)
        if must_select and booth is None:
            raise NotFound(_("This booth does not exist."))
        forms = dict(forms or {})
        return page(
            request,
            "fairs/plan_editor.html.jinja",
            {
                "fair": editor.fair,
                "plan": plan,
                "editable": editor.editable,
                "selected": booth,
                "booth_form": forms.get("booth") or _booth_form(booth),
                "row_form": forms.get("row") or _row_form(plan),
                "hall_form": forms.get("hall") or HallForm(columns="20", rows="12"),
                "type_form": forms.get("type") or BoothTypeForm(on_offer="1", price_vnd="0"),
                "renumber_forms": forms.get("renumber") or {},
                "errors": {key: dict(value) for key, value in (errors or {}).items()},
                "plan_error": plan_error,
                "booth_error": booth_error,
                "list_errors": dict(list_errors or {}),
                "features": FEATURES,
                "states": STATES,
            },
            status=status,
            blocks=blocks,
        )

    @get("/", name="fairs:plan")
    async def editor(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, booth: str = ""
    ) -> Template:
        return await self._editor(request, tx, fair_id, selected=query_int(booth))

    @get("/booths/{booth_id:int}", name="fairs:plan_booth")
    async def booth(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, booth_id: int
    ) -> Template:
        """The editor with one booth selected; its form alone for htmx (target #booth_panel)."""
        return await self._editor(
            request, tx, fair_id, selected=booth_id, must_select=True, blocks=["booth_panel"]
        )

    # --- halls ---

    @post("/halls", name="fairs:plan_hall_create")
    async def create_hall(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[HallForm, Form],
    ) -> Any:
        try:
            hall = await FloorPlanService(tx).create_hall(_user(request), fair_id, _fields(data))
        except ValidationFailed as err:
            return await self._editor(
                request,
                tx,
                fair_id,
                forms={"hall": data},
                errors={"hall": err.fields},
                status=422,
                blocks=["hall_form"],
            )
        flash(request, _("The hall “%(name)s” was added.", name=hall.name), "success")
        return redirect(request, _plan_url(fair_id))

    async def _hall_page(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        hall_id: int,
        form: HallForm | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        fair, hall = await FloorPlanService(tx).hall_for_edit(_user(request), fair_id, hall_id)
        form = form or HallForm(
            name=hall.name,
            columns=str(hall.columns),
            rows=str(hall.rows),
            entrance_x=str(hall.entrance_x),
            entrance_y=str(hall.entrance_y),
        )
        return page(
            request,
            "fairs/plan_hall.html.jinja",
            {"fair": fair, "hall": hall, "form": form, "errors": dict(errors or {})},
            status=status,
            blocks=["hall_edit_form"] if status != 200 else (),
        )

    @get("/halls/{hall_id:int}/edit", name="fairs:plan_hall_edit")
    async def edit_hall(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, hall_id: int
    ) -> Template:
        return await self._hall_page(request, tx, fair_id, hall_id)

    @post("/halls/{hall_id:int}/edit", name="fairs:plan_hall_update")
    async def update_hall(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        hall_id: int,
        data: Annotated[HallForm, Form],
    ) -> Any:
        try:
            hall = await FloorPlanService(tx).update_hall(_user(request), fair_id, hall_id, _fields(data))
        except ValidationFailed as err:
            return await self._hall_page(request, tx, fair_id, hall_id, data, err.fields, status=422)
        flash(request, _("The hall “%(name)s” was saved.", name=hall.name), "success")
        return redirect(request, _plan_url(fair_id))

    @post("/halls/{hall_id:int}/delete", name="fairs:plan_hall_delete")
    async def delete_hall(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, hall_id: int
    ) -> Any:
        try:
            name = await FloorPlanService(tx).delete_hall(_user(request), fair_id, hall_id)
        except Conflict as err:
            return await self._editor(
                request, tx, fair_id, list_errors={"hall": err.message}, status=409, blocks=["hall_list"]
            )
        flash(request, _("The hall “%(name)s” and its booths were deleted.", name=name), "success")
        return redirect(request, _plan_url(fair_id))

    @post("/halls/{hall_id:int}/renumber", name="fairs:plan_hall_renumber")
    async def renumber_hall(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        hall_id: int,
        data: Annotated[RenumberForm, Form],
    ) -> Any:
        try:
            booths = await FloorPlanService(tx).renumber_hall(_user(request), fair_id, hall_id, _fields(data))
        except ValidationFailed as err:
            return await self._editor(
                request,
                tx,
                fair_id,
                forms={"renumber": {hall_id: data}},
                errors={"renumber": {hall_id: err.fields or {"prefix": err.message}}},
                status=422,
                blocks=["hall_list"],
            )
        flash(
            request,
            ngettext("%(num)d booth was renumbered.", "%(num)d booths were renumbered.", len(booths)),
            "success",
        )
        return redirect(request, _plan_url(fair_id))

    # --- booth types ---

    @post("/types", name="fairs:plan_type_create")
    async def create_type(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[BoothTypeForm, Form],
    ) -> Any:
        try:
            booth_type = await FloorPlanService(tx).create_booth_type(_user(request), fair_id, _fields(data))
        except ValidationFailed as err:
            return await self._editor(
                request,
                tx,
                fair_id,
                forms={"type": data},
                errors={"type": err.fields},
                status=422,
                blocks=["type_form"],
            )
        flash(request, _("The booth type “%(name)s” was added.", name=booth_type.name), "success")
        return redirect(request, _plan_url(fair_id))

    async def _type_page(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        type_id: int,
        form: BoothTypeForm | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        fair, booth_type = await FloorPlanService(tx).type_for_edit(_user(request), fair_id, type_id)
        form = form or BoothTypeForm(
            name=booth_type.name,
            size_m2=f"{booth_type.size_m2:g}",
            price_vnd=str(booth_type.price_vnd),
            features=list(booth_type.features or []),
            on_offer="1" if booth_type.on_offer else "",
        )
        return page(
            request,
            "fairs/plan_type.html.jinja",
            {
                "fair": fair,
                "booth_type": booth_type,
                "form": form,
                "errors": dict(errors or {}),
                "features": FEATURES,
            },
            status=status,
            blocks=["type_edit_form"] if status != 200 else (),
        )

    @get("/types/{type_id:int}/edit", name="fairs:plan_type_edit")
    async def edit_type(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, type_id: int
    ) -> Template:
        return await self._type_page(request, tx, fair_id, type_id)

    @post("/types/{type_id:int}/edit", name="fairs:plan_type_update")
    async def update_type(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        type_id: int,
        data: Annotated[BoothTypeForm, Form],
    ) -> Any:
        try:
            booth_type = await FloorPlanService(tx).update_booth_type(
                _user(request), fair_id, type_id, _fields(data)
            )
        except ValidationFailed as err:
            return await self._type_page(request, tx, fair_id, type_id, data, err.fields, status=422)
        flash(request, _("The booth type “%(name)s” was saved.", name=booth_type.name), "success")
        return redirect(request, _plan_url(fair_id))

    @post("/types/{type_id:int}/delete", name="fairs:plan_type_delete")
    async def delete_type(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, type_id: int
    ) -> Any:
        try:
            name = await FloorPlanService(tx).delete_booth_type(_user(request), fair_id, type_id)
        except Conflict as err:
            return await self._editor(
                request, tx, fair_id, list_errors={"type": err.message}, status=409, blocks=["type_list"]
            )
        flash(request, _("The booth type “%(name)s” was deleted.", name=name), "success")
        return redirect(request, _plan_url(fair_id))

    # --- booths ---

    @post("/rows", name="fairs:plan_row_add")
    async def add_row(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[RowForm, Form],
    ) -> Any:
        try:
            booths = await FloorPlanService(tx).add_row(_user(request), fair_id, _fields(data))
        except ValidationFailed as err:
            return await self._editor(
                request,
                tx,
                fair_id,
                forms={"row": data},
                errors={"row": err.fields},
                status=422,
                blocks=["row_form"],
            )
        flash(
            request,
            ngettext(
                "%(num)d booth was added: %(first)s.",
                "%(num)d booths were added: %(first)s to %(last)s.",
                len(booths),
                first=booths[0].code,
                last=booths[-1].code,
            ),
            "success",
        )
        return redirect(request, _plan_url(fair_id))

    @post("/booths/{booth_id:int}", name="fairs:plan_booth_update")
    async def update_booth(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        booth_id: int,
        data: Annotated[BoothForm, Form],
    ) -> Any:
        try:
            booth = await FloorPlanService(tx).update_booth(_user(request), fair_id, booth_id, _fields(data))
        except ValidationFailed as err:
            return await self._editor(
                request,
                tx,
                fair_id,
                selected=booth_id,
                must_select=True,
                forms={"booth": data},
                errors={"booth": err.fields},
                status=422,
                blocks=["booth_panel"],
            )
        flash(request, _("Booth %(code)s was saved.", code=booth.code), "success")
        return redirect(request, _plan_url(fair_id, booth.id))

    @post("/booths/{booth_id:int}/geometry", name="fairs:plan_booth_move")
    async def move_booth(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        booth_id: int,
        data: Annotated[GeometryForm, Form],
    ) -> Any:
        """Where the editor's drag lands: the redrawn plan (block `plan`), or the old plan and why (422)."""
        try:
            await FloorPlanService(tx).move_booth(_user(request), fair_id, booth_id, _fields(data))
        except ValidationFailed as err:
            return await self._editor(
                request,
                tx,
                fair_id,
                selected=booth_id,
                plan_error=err.message,
                status=422,
                blocks=["plan"],
            )
        if not _is_htmx(request):
            return redirect(request, _plan_url(fair_id, booth_id))
        return await self._editor(request, tx, fair_id, selected=booth_id, blocks=["plan"])

    async def _booth_action_refused(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, booth_id: int, err: Conflict
    ) -> Template:
        return await self._editor(
            request,
            tx,
            fair_id,
            selected=booth_id,
            booth_error=err.message,
            status=err.status_code,
            blocks=["booth_panel"],
        )

    @post("/booths/{booth_id:int}/block", name="fairs:plan_booth_block")
    async def block_booth(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, booth_id: int
    ) -> Any:
        try:
            booth = await FloorPlanService(tx).set_blocked(_user(request), fair_id, booth_id, True)
        except Conflict as err:
            return await self._booth_action_refused(request, tx, fair_id, booth_id, err)
        flash(
            request,
            _("Booth %(code)s is blocked: no one will be assigned to it.", code=booth.code),
            "success",
        )
        return redirect(request, _plan_url(fair_id, booth.id))

    @post("/booths/{booth_id:int}/unblock", name="fairs:plan_booth_unblock")
    async def unblock_booth(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, booth_id: int
    ) -> Any:
        booth = await FloorPlanService(tx).set_blocked(_user(request), fair_id, booth_id, False)
        flash(request, _("Booth %(code)s is free again.", code=booth.code), "success")
        return redirect(request, _plan_url(fair_id, booth.id))

    @post("/booths/{booth_id:int}/delete", name="fairs:plan_booth_delete")
    async def delete_booth(
        self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int, booth_id: int
    ) -> Any:
        try:
            code = await FloorPlanService(tx).delete_booth(_user(request), fair_id, booth_id)
        except Conflict as err:
            return await self._booth_action_refused(request, tx, fair_id, booth_id, err)
        flash(request, _("Booth %(code)s was deleted.", code=code), "success")
        return redirect(request, _plan_url(fair_id))


# --- JSON ---


class FloorPlanApiController(Controller):
    path = "/api/v1/fairs"
    tags = ["fairs"]

    @get(
        "/{fair_id:int}/plan",
        name="api:fair_plan",
        summary="A fair's floor plan: halls, booths and their state",
        description=(
            "Public for fairs that are open, published, running or closed; a draft answers 404 except to its "
            "organizers. Coordinates are grid cells from the hall's top-left corner. A booth's state is "
            "free, held (assigned, fee not yet paid), assigned or blocked; `label` names the producer of a "
            "held or assigned booth."
        ),
    )
    async def plan(self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int) -> PlanOut:
        _fair, plan = await FloorPlanService(tx).public_view(_user(request), str(fair_id))
        return plan_out(plan)
