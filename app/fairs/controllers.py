"""Fairs HTTP: the organizers' pages (their fairs, a fair's hub with its status, call settings and
programme), the public pages (upcoming fairs, a fair's page, its programme as iCalendar) and the JSON API.

Handlers parse (msgspec Structs or query strings), call one `FairService` method (which asks `FairAccess`
who may act and raises DomainErrors), and pick a template block. No queries and no sums here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec
from babel.dates import format_date
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.errors import ValidationFailed
from app.fairs import rules, services
from app.fairs.models import Fair, FairSession, FairStatus, SessionKind
from app.fairs.schemas import (
    CallForm,
    FairDetailOut,
    FairForm,
    FairOut,
    FairPage,
    FairSessionOut,
    MoveForm,
    SessionForm,
)
from app.fairs.services import FairFilters, FairService
from app.i18n import get_locale, localized
from app.i18n import gettext as _
from app.tours import geojson, maps
from app.web import (
    app_settings,
    page,
    page_number,
    query_flag,
    query_int,
    query_string,
    redirect,
    wanted_block,
)

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
PageParam = Parameter(query="page", required=False)
KINDS = [kind.value for kind in SessionKind]
STATUSES = [status.value for status in FairStatus]


# --- small helpers (formatting only) ---


def _user(request: Request[Any, Any, Any]) -> CurrentUser:
    return request.user  # type: ignore[no-any-return]


def _visitor(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def _base_url(request: Request[Any, Any, Any]) -> str:
    return app_settings(request).public_url


def province_name(code: int | None) -> str:
    found = admin_units.province(code) if code else None
    return found.name if found else ""


def ward_name(code: int | None) -> str:
    found = admin_units.ward(code) if code else None
    return found.name if found else ""


def fair_time(fair: Fair, value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored time shown on the fair's own clock."""
    return "" if value is None else services.local(value, fair.timezone).strftime(fmt)


def day_label(day: dt.date) -> str:
    """`Chủ Nhật, 22/11/2026` / `Sunday, 22/11/2026`."""
    return format_date(day, "EEEE, dd/MM/yyyy", locale=get_locale())


def _helpers() -> dict[str, Any]:
    return {
        "status_label": services.status_label,
        "kind_label": services.kind_label,
        "province_name": province_name,
        "ward_name": ward_name,
        "fair_time": fair_time,
        "day_label": day_label,
    }


def fair_form_from(fair: Fair) -> FairForm:
    return FairForm(
        name_vi=fair.name_vi,
        name_en=fair.name_en,
        description=fair.description,
        venue_name=fair.venue_name,
        address=fair.address,
        province_code=str(fair.province_code or ""),
        ward_code=str(fair.ward_code or ""),
        latitude="" if fair.latitude is None else str(fair.latitude),
        longitude="" if fair.longitude is None else str(fair.longitude),
        starts_at=services.local_input(fair.starts_at, fair.timezone),
        ends_at=services.local_input(fair.ends_at, fair.timezone),
    )


def call_form_from(fair: Fair) -> CallForm:
    return CallForm(
        call_deadline=services.local_input(fair.call_deadline, fair.timezone),
        call_text=fair.call_text,
        booths_per_producer=str(fair.booths_per_producer),
        self_select="1" if fair.self_select else "",
        hold_days=str(fair.hold_days),
    )


def session_form_from(fair: Fair, item: FairSession) -> SessionForm:
    return SessionForm(
        kind=item.kind.value,
        title_vi=item.title_vi,
        title_en=item.title_en,
        starts_at=services.local_input(item.starts_at, fair.timezone),
        ends_at=services.local_input(item.ends_at, fair.timezone),
        place=item.place,
        description=item.description,
    )


def _to_section(request: Request[Any, Any, Any], fair_id: int, section: str) -> Response[Any]:
    """Back to a section of the fair's hub. A plain post lands on the section (#call); an htmx post was made
    from the hub itself, where an HX-Redirect to the same page plus a #fragment only scrolls and never
    reloads (the change and its flash would stay unseen), so it goes to the hub without the fragment."""
    url = f"/manage/fairs/{fair_id}"
    return redirect(request, url if request.headers.get("hx-request") == "true" else f"{url}#{section}")


def _public_filters(province: str, month: str, past: str, page_no: str) -> FairFilters:
    return FairFilters(
        province=query_int(province),
        month=services.parse_month(month),
        past=query_flag(past),
        page=page_number(page_no),
    )


def _fair_map(request: Request[Any, Any, Any], params: str) -> maps.RenderedMap:
    """The map beside the public list: the same fairs, from the GeoJSON API, following the list's filters."""
    return maps.fair_map(
        "/api/v1/fairs.geojson",
        tiles=maps.Tiles.from_settings(app_settings(request)),
        query=params,
        filter_source="#fair_map_filters",
        status="#fair_map_status",
        labels={
            "count": _("Fairs on the map: {n}"),
            "empty": _("No fair on the map matches these filters."),
            "truncated": _("Zoom in to see them all."),
            "error": _("The map could not load the fairs. Check the connection, then move the map to retry."),
        },
    )


def fair_dates(fair: Fair) -> str:
    """`22/11/2026 – 24/11/2026` on the fair's clock, or one date for a one-day fair."""
    first, last = fair_time(fair, fair.starts_at, "%d/%m/%Y"), fair_time(fair, fair.ends_at, "%d/%m/%Y")
    return first if first == last else f"{first} – {last}"


def fair_feature(fair: Fair) -> dict[str, Any]:
    """A fair on the map: plain text only (the browser shows it with textContent)."""
    assert fair.longitude is not None and fair.latitude is not None
    return geojson.point(
        fair.id,
        fair.longitude,
        fair.latitude,
        {
            "id": fair.id,
            "name": localized(fair, "name"),
            "url": f"/fairs/{fair.slug}",
            "starts_at": rules.as_utc(fair.starts_at).isoformat(),
            "ends_at": rules.as_utc(fair.ends_at).isoformat(),
            "dates": fair_dates(fair),
            "venue": fair.venue_name,
            "province": province_name(fair.province_code),
            "province_code": fair.province_code,
            "status": fair.status.value,
        },
    )


def _filter_params(filters: FairFilters) -> dict[str, Any]:
    return {
        "province": filters.province or "",
        "month": f"{filters.month[0]:04d}-{filters.month[1]:02d}" if filters.month else "",
        "past": "1" if filters.past else "",
    }


# --- organizers' pages ---


class FairManageController(Controller):
    """A fair's organizers (its organization's organizers) and admins. Another organization's fair answers
    404, whatever the id; a vendor is refused."""

    path = "/manage/fairs"
    guards = [requires_login]
    include_in_schema = False

    @get("/", name="fairs:manage_list")
    async def list_fairs(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        q: str = "",
        status: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        q = q.strip()[:100]
        status = status if status in STATUSES else ""
        fairs = await FairService(tx).list_managed(
            _user(request), q=q, status=status, page=page_number(page_no)
        )
        params = {"q": q, "status": status}
        return page(
            request,
            "fairs/manage_list.html.jinja",
            {
                **_helpers(),
                "fairs": fairs,
                "filters": params,
                "params": query_string(params),
                "statuses": STATUSES,
            },
            blocks=["fair_rows"],
        )

    async def _fair_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: FairForm,
        *,
        fair: Fair | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        organizations = await FairService(tx).organizations_for(_user(request)) if fair is None else []
        province_code = query_int(form.province_code)
        return page(
            request,
            "fairs/manage_form.html.jinja",
            {
                **_helpers(),
                "form": form,
                "fair": fair,
                "errors": errors or {},
                "organizations": organizations,
                "provinces": admin_units.provinces(),
                "wards": admin_units.wards_of(province_code) if province_code else [],
            },
            status=status,
            blocks=blocks,
        )

    @get("/new", name="fairs:new")
    async def new_fair(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        return await self._fair_form(request, tx, FairForm())

    @post("/new", name="fairs:create")
    async def create_fair(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[FairForm, Form]
    ) -> Any:
        try:
            fair = await FairService(tx).create(_user(request), msgspec.structs.asdict(data))
        except ValidationFailed as err:
            return await self._fair_form(
                request, tx, data, errors=err.fields, status=422, blocks=["fair_form"]
            )
        flash(request, _("The fair “%(name)s” was created as a draft.", name=fair.name_vi), "success")
        return redirect(request, f"/manage/fairs/{fair.id}")

    async def _hub(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        *,
        call_form: CallForm | None = None,
        call_errors: Mapping[str, str] | None = None,
        session_form: SessionForm | None = None,
        session_errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        service = FairService(tx)
        fair = await service.get_for_manage(_user(request), fair_id)
        return page(
            request,
            "fairs/manage_fair.html.jinja",
            {
                **_helpers(),
                "fair": fair,
                "organization": await service.organization_of(fair),
                "moves": services.allowed_moves(fair.status),
                "programme": service.programme(fair, await service.sessions(fair)),
                "call_open": services.call_is_open(fair, dt.datetime.now(dt.UTC)),
                "call_form": call_form or call_form_from(fair),
                "call_errors": call_errors or {},
                "session_form": session_form or SessionForm(kind=SessionKind.OTHER.value),
                "session_errors": session_errors or {},
                "kinds": KINDS,
                "window": (
                    services.local_input(fair.starts_at, fair.timezone),
                    services.local_input(fair.ends_at, fair.timezone),
                ),
            },
            status=status,
            blocks=blocks,
        )

    @get("/{fair_id:int}", name="fairs:manage")
    async def show(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int) -> Template:
        return await self._hub(request, tx, fair_id)

    @get("/{fair_id:int}/edit", name="fairs:edit")
    async def edit_fair(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int
    ) -> Template:
        fair = await FairService(tx).get_for_manage(_user(request), fair_id)
        return await self._fair_form(request, tx, fair_form_from(fair), fair=fair)

    @post("/{fair_id:int}/edit", name="fairs:update")
    async def update_fair(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[FairForm, Form],
    ) -> Any:
        service = FairService(tx)
        try:
            fair = await service.update(_user(request), fair_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            fair = await service.get_for_manage(_user(request), fair_id)
            return await self._fair_form(
                request, tx, data, fair=fair, errors=err.fields, status=422, blocks=["fair_form"]
            )
        flash(request, _("The fair “%(name)s” was saved.", name=fair.name_vi), "success")
        return redirect(request, f"/manage/fairs/{fair.id}")

    @post("/{fair_id:int}/status", name="fairs:move")
    async def move(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[MoveForm, Form],
    ) -> Any:
        fair = await FairService(tx).move(_user(request), fair_id, data.status)
        flash(
            request, _("The fair is now “%(status)s”.", status=services.status_label(fair.status)), "success"
        )
        return redirect(request, f"/manage/fairs/{fair.id}")

    @post("/{fair_id:int}/call", name="fairs:call")
    async def update_call(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[CallForm, Form],
    ) -> Any:
        try:
            await FairService(tx).update_call(_user(request), fair_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            return await self._hub(
                request, tx, fair_id, call_form=data, call_errors=err.fields, status=422, blocks=["call_form"]
            )
        flash(request, _("The call for exhibitors was saved."), "success")
        return _to_section(request, fair_id, "call")

    @post("/{fair_id:int}/sessions", name="fairs:session_add")
    async def add_session(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        data: Annotated[SessionForm, Form],
    ) -> Any:
        try:
            item = await FairService(tx).add_session(_user(request), fair_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            return await self._hub(
                request,
                tx,
                fair_id,
                session_form=data,
                session_errors=err.fields,
                status=422,
                blocks=["session_form"],
            )
        flash(request, _("“%(title)s” was added to the programme.", title=item.title_vi), "success")
        return _to_section(request, fair_id, "programme")

    async def _session_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        session_id: int,
        form: SessionForm | None = None,
        *,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        fair, item = await FairService(tx).get_session(_user(request), fair_id, session_id)
        return page(
            request,
            "fairs/manage_session.html.jinja",
            {
                **_helpers(),
                "fair": fair,
                "item": item,
                "form": form or session_form_from(fair, item),
                "errors": errors or {},
                "kinds": KINDS,
                "window": (
                    services.local_input(fair.starts_at, fair.timezone),
                    services.local_input(fair.ends_at, fair.timezone),
                ),
            },
            status=status,
            blocks=blocks,
        )

    @get("/{fair_id:int}/sessions/{session_id:int}/edit", name="fairs:session_edit")
    async def edit_session(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, session_id: int
    ) -> Template:
        return await self._session_form(request, tx, fair_id, session_id)

    @post("/{fair_id:int}/sessions/{session_id:int}/edit", name="fairs:session_update")
    async def update_session(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        session_id: int,
        data: Annotated[SessionForm, Form],
    ) -> Any:
        try:
            item = await FairService(tx).update_session(
                _user(request), fair_id, session_id, msgspec.structs.asdict(data)
            )
        except ValidationFailed as err:
            return await self._session_form(
                request, tx, fair_id, session_id, data, errors=err.fields, status=422, blocks=["session_form"]
            )
        flash(request, _("“%(title)s” was saved.", title=item.title_vi), "success")
        return redirect(request, f"/manage/fairs/{fair_id}#programme")

    @post("/{fair_id:int}/sessions/{session_id:int}/delete", name="fairs:session_delete")
    async def delete_session(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, session_id: int
    ) -> Any:
        item = await FairService(tx).delete_session(_user(request), fair_id, session_id)
        flash(request, _("“%(title)s” was removed from the programme.", title=item.title_vi), "success")
        return redirect(request, f"/manage/fairs/{fair_id}#programme")


# --- public pages ---


class PublicFairController(Controller):
    """What anyone may read: coming fairs, a fair's page, its programme as a calendar file. A draft is
    seen only by its organizers."""

    path = "/fairs"
    include_in_schema = False

    @get("/", name="fairs:public_list")
    async def list_fairs(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        province: str = "",
        month: str = "",
        past: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        filters = _public_filters(province, month, past, page_no)
        fairs = await FairService(tx).list_public(filters)
        params = _filter_params(filters)
        blocks = ["fair_results"]
        # The map is drawn once with the page; an htmx swap of the list only brings its new filters.
        whole_page = wanted_block(request, blocks) is None
        return page(
            request,
            "fairs/public_list.html.jinja",
            {
                **_helpers(),
                "fairs": fairs,
                "filters": params,
                "params": query_string(params),
                "provinces": admin_units.provinces(),
                "months": services.month_choices(past=filters.past),
                "fair_map": _fair_map(request, query_string(params)) if whole_page else None,
            },
            blocks=blocks,
        )

    @get("/{key:str}", name="fairs:public")
    async def show(
        self, request: Request[Any, Any, Any], tx: AsyncSession, key: str, group: str = ""
    ) -> Template:
        group = group.strip()[:10]
        view = await FairService(tx).public_view(_visitor(request), key[:120], group=group)
        return page(
            request,
            "fairs/public_fair.html.jinja",
            {**_helpers(), "view": view, "fair": view.fair, "group": group},
            blocks=["exhibitors"],
        )

    @get("/{key:str}/programme.ics", name="fairs:ics")
    async def calendar(self, request: Request[Any, Any, Any], tx: AsyncSession, key: str) -> Response[str]:
        fair, text = await FairService(tx).calendar(_visitor(request), key[:120], _base_url(request))
        return Response(
            content=text,
            media_type="text/calendar",  # Litestar adds "; charset=utf-8"
            headers={
                "Content-Disposition": f'attachment; filename="{fair.slug}-programme.ics"',
                "Cache-Control": "no-cache",
            },
        )


# --- JSON API ---


def fair_out(request: Request[Any, Any, Any], fair: Fair, now: dt.datetime) -> FairOut:
    base = _base_url(request).rstrip("/")
    return FairOut(
        id=fair.id,
        slug=fair.slug,
        name_vi=fair.name_vi,
        name_en=fair.name_en,
        status=fair.status.value,
        venue_name=fair.venue_name,
        address=fair.address,
        province_code=fair.province_code,
        province_name=province_name(fair.province_code),
        ward_code=fair.ward_code,
        ward_name=ward_name(fair.ward_code),
        latitude=fair.latitude,
        longitude=fair.longitude,
        starts_at=rules.as_utc(fair.starts_at),
        ends_at=rules.as_utc(fair.ends_at),
        timezone=fair.timezone,
        call_open=services.call_is_open(fair, now),
        call_deadline=rules.as_utc(fair.call_deadline) if fair.call_deadline else None,
        url=f"{base}/fairs/{fair.slug}",
        calendar_url=f"{base}/fairs/{fair.slug}/programme.ics",
    )


class FairApiController(Controller):
    path = "/api/v1/fairs"
    tags = ["fairs"]

    @get(
        "/",
        name="api:fairs",
        summary="Fairs visitors can see: coming and running ones, or past ones (paged)",
        description=(
            "Filters: `province` (2025 code), `month` (`YYYY-MM`, fairs that overlap it in Vietnam time), "
            "`past` (true: fairs that have ended, latest first). Drafts are never listed."
        ),
    )
    async def list_fairs(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        province: int | None = None,
        month: Annotated[str, Parameter(pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM")] = "",
        past: bool = False,
        page_no: Annotated[int, Parameter(query="page", ge=1, le=100_000)] = 1,
    ) -> FairPage:
        filters = FairFilters(province=province, month=services.parse_month(month), past=past, page=page_no)
        found = await FairService(tx).list_public(filters)
        now = dt.datetime.now(dt.UTC)
        return FairPage(
            items=[fair_out(request, fair, now) for fair in found.items],
            total=found.total,
            page=found.page,
            pages=found.pages,
        )

    @get(
        "/{fair_id:int}",
        name="api:fair",
        summary="A fair with its programme",
        description="A draft is found only by its organizers; to anyone else it is 404.",
    )
    async def fair(self, request: Request[Any, Any, Any], tx: AsyncSession, fair_id: int) -> FairDetailOut:
        service = FairService(tx)
        fair = await service.get_public(_visitor(request), str(fair_id))
        sessions = await service.sessions(fair)
        return FairDetailOut(
            fair=fair_out(request, fair, dt.datetime.now(dt.UTC)),
            description=fair.description,
            call_text=fair.call_text,
            booths_per_producer=fair.booths_per_producer,
            sessions=[
                FairSessionOut(
                    id=item.id,
                    kind=item.kind.value,
                    title_vi=item.title_vi,
                    title_en=item.title_en,
                    starts_at=rules.as_utc(item.starts_at),
                    ends_at=rules.as_utc(item.ends_at),
                    place=item.place,
                    description=item.description,
                )
                for item in sessions
            ],
        )


class FairMapApiController(Controller):
    """The fairs on a map, as GeoJSON for the map layer of `/fairs` (and any other map of fairs)."""

    path = "/api/v1/fairs.geojson"
    tags = ["fairs"]

    @get(
        "/",
        name="api:fairs_geojson",
        media_type=geojson.MEDIA_TYPE,
        summary="Fairs visitors can see, as GeoJSON points (for maps)",
        description=(
            "The fairs of `/api/v1/fairs` (same filters: `province`, `month`, `past`; never drafts) that "
            "have a location, as a FeatureCollection of Points with `name` in the visitor's language, "
            "`dates`, `starts_at`/`ends_at` (UTC), `url`, `venue` and `province`. "
            "`bbox=west,south,east,north` keeps those inside the area. At most 2000 features; `truncated` "
            "says more were left out. Cached by content: send the `ETag` back in `If-None-Match` for a 304."
        ),
    )
    async def fairs_geojson(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        bbox: Annotated[str, Parameter(description="west,south,east,north in degrees")] = "",
        province: int | None = None,
        month: Annotated[str, Parameter(pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM")] = "",
        past: bool = False,
    ) -> Response[bytes]:
        area = geojson.parse_bbox(bbox)
        filters = FairFilters(province=province, month=services.parse_month(month), past=past)
        box = None if area is None else (area.min_lon, area.min_lat, area.max_lon, area.max_lat)
        fairs, truncated = await FairService(tx).map_fairs(filters, box)
        collection = geojson.feature_collection([fair_feature(fair) for fair in fairs], truncated=truncated)
        return geojson.cached_response(request, geojson.encode(collection))
