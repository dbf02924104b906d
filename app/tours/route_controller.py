"""Tour routes over HTTP: the organizer's pages under /manage/routes (list, form, the editor with its stops,
departures, GPX track and publish button), a published route's GPX file at /tours/{id or slug}/route.gpx,
and the JSON under /api/v1/routes.

Handlers parse, call RouteService (which checks who may act and raises DomainErrors) and pick a template or
block. A refused form answers 422 with the editor and the error beside the field; htmx posts that move or
remove stops answer with the stops block.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.errors import PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.i18n import number as format_number
from app.tours import geometry
from app.tours.routes import RouteService, RouteView, parse_order
from app.web import page, redirect, wanted_block

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Upload = Body(media_type=RequestEncodingType.MULTI_PART)
EDITOR_BLOCKS = ("route_stops", "place_results")


def _user(request: Request[CurrentUser, Any, Any]) -> CurrentUser:
    return request.user


def _form(data: dict[str, Any]) -> dict[str, Any]:
    """A url-encoded form as plain strings (a repeated field keeps its last value)."""
    return {key: (value[-1] if isinstance(value, list) else value) for key, value in data.items()}


def _route_form(view: RouteView | None) -> dict[str, str]:
    if view is None:
        return {"name_vi": "", "name_en": "", "description": "", "corridor_km": "5", "organization_id": ""}
    route = view.route
    return {
        "name_vi": route.name_vi,
        "name_en": route.name_en,
        "description": route.description,
        "corridor_km": f"{route.corridor_km:g}",
        "organization_id": str(route.organization_id),
    }


class RouteManageController(Controller):
    """The organizer's route pages. Another organization's route answers 404, whatever the id."""

    path = "/manage/routes"
    guards = [requires_login]
    include_in_schema = False

    @get("/", name="routes:manage")
    async def index(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        service = RouteService(tx)
        user = _user(request)
        return page(
            request,
            "tours/route_list.html.jinja",
            {"routes": await service.list_for(user), "can_create": bool(await service.owner_choices(user))},
        )

    async def _form_page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: dict[str, Any],
        *,
        view: RouteView | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        owners = await RouteService(tx).owner_choices(_user(request)) if view is None else []
        if view is None and not owners:
            raise PermissionDenied(_("Only a tour operator's organizers can plan routes."))
        return page(
            request,
            "tours/route_form.html.jinja",
            {"form": form, "view": view, "owners": owners, "errors": errors or {}},
            status=status,
            blocks=["route_form"],
        )

    @get("/new", name="routes:new")
    async def new(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        return await self._form_page(request, tx, _route_form(None))

    @post("/new", name="routes:create")
    async def create(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[dict[str, Any], Form]
    ) -> Any:
        form = _form(data)
        try:
            route = await RouteService(tx).create(_user(request), form)
        except ValidationFailed as err:
            return await self._form_page(request, tx, form, errors=err.fields, status=422)
        flash(request, _("The route was created. Now add its stops."), "success")
        return redirect(request, f"/manage/routes/{route.id}")

    @get("/{route_id:int}/edit", name="routes:edit")
    async def edit(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int
    ) -> Template:
        view = await RouteService(tx).manage_view(_user(request), route_id)
        return await self._form_page(request, tx, _route_form(view), view=view)

    @post("/{route_id:int}/edit", name="routes:update")
    async def update(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        service = RouteService(tx)
        form = _form(data)
        try:
            await service.update(_user(request), route_id, form)
        except ValidationFailed as err:
            view = await service.manage_view(_user(request), route_id)
            return await self._form_page(request, tx, form, view=view, errors=err.fields, status=422)
        flash(request, _("The route was saved."), "success")
        return redirect(request, f"/manage/routes/{route_id}")

    @post("/{route_id:int}/delete", name="routes:delete")
    async def delete(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int) -> Any:
        await RouteService(tx).delete(_user(request), route_id)
        flash(request, _("The route was deleted."), "success")
        return redirect(request, "/manage/routes")

    # --- the editor ---

    async def _editor(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        *,
        errors: dict[str, str] | None = None,
        message: str = "",
        form: dict[str, Any] | None = None,
        query: str = "",
        status: int = 200,
    ) -> Template:
        service = RouteService(tx)
        view = await service.manage_view(_user(request), route_id)
        return page(
            request,
            "tours/route_editor.html.jinja",
            {
                "view": view,
                "places": await service.search_places(query),
                "query": query,
                "errors": errors or {},
                "message": message,
                "form": form or {},
            },
            status=status,
            blocks=EDITOR_BLOCKS,
        )

    async def _done(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int, message: str
    ) -> Any:
        """After a change: the stops block for htmx, else a redirect to the editor with a flash."""
        if wanted_block(request, EDITOR_BLOCKS):
            return await self._editor(request, tx, route_id)
        flash(request, message, "success")
        return redirect(request, f"/manage/routes/{route_id}")

    async def _refused(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        err: ValidationFailed,
        form: dict[str, Any] | None = None,
    ) -> Template:
        if wanted_block(request, EDITOR_BLOCKS):
            raise err  # htmx: the alert goes to #flash
        return await self._editor(
            request, tx, route_id, errors=err.fields, message=err.message, form=form, status=422
        )

    @get("/{route_id:int}", name="routes:editor")
    async def editor(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int, q: str = ""
    ) -> Template:
        return await self._editor(request, tx, route_id, query=q[:100])

    @post("/{route_id:int}/stops", name="routes:stop_add")
    async def add_stop(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        form = _form(data)
        try:
            await RouteService(tx).add_stop(_user(request), route_id, form)
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err, form)
        return await self._done(request, tx, route_id, _("The stop was added."))

    @post("/{route_id:int}/stops/{stop_id:int}/edit", name="routes:stop_update")
    async def update_stop(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        stop_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        try:
            await RouteService(tx).update_stop(_user(request), route_id, stop_id, _form(data))
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err)
        return await self._done(request, tx, route_id, _("The stop was saved."))

    @post("/{route_id:int}/stops/{stop_id:int}/remove", name="routes:stop_remove")
    async def remove_stop(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int, stop_id: int
    ) -> Any:
        try:
            await RouteService(tx).remove_stop(_user(request), route_id, stop_id)
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err)
        return await self._done(request, tx, route_id, _("The stop was removed."))

    @post("/{route_id:int}/stops/{stop_id:int}/move", name="routes:stop_move")
    async def move_stop(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        stop_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        try:
            await RouteService(tx).move_stop(
                _user(request), route_id, stop_id, str(_form(data).get("direction", ""))
            )
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err)
        return await self._done(request, tx, route_id, _("The stops were reordered."))

    @post("/{route_id:int}/stops/order", name="routes:stop_order")
    async def order_stops(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        raw = data.get("order", "")
        try:
            ids = parse_order(raw if isinstance(raw, list) else str(raw))
            await RouteService(tx).reorder(_user(request), route_id, ids)
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err)
        return await self._done(request, tx, route_id, _("The stops were reordered."))

    @post("/{route_id:int}/optimise", name="routes:optimise")
    async def optimise(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int) -> Any:
        _route, before, after = await RouteService(tx).optimise(_user(request), route_id)
        message = _(
            "Stops reordered for the shortest drive: %(before)s km → %(after)s km.",
            before=format_number(round(before, 1)),
            after=format_number(round(after, 1)),
        )
        return await self._done(request, tx, route_id, message)

    @post("/{route_id:int}/departures", name="routes:departure_add")
    async def add_departure(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        data: Annotated[dict[str, Any], Form],
    ) -> Any:
        form = _form(data)
        try:
            await RouteService(tx).add_departure(_user(request), route_id, form)
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err, form)
        flash(request, _("The departure was added."), "success")
        return redirect(request, f"/manage/routes/{route_id}#departures")

    @post("/{route_id:int}/departures/{departure_id:int}/remove", name="routes:departure_remove")
    async def remove_departure(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int, departure_id: int
    ) -> Any:
        await RouteService(tx).remove_departure(_user(request), route_id, departure_id)
        flash(request, _("The departure was removed."), "success")
        return redirect(request, f"/manage/routes/{route_id}#departures")

    @post("/{route_id:int}/track", name="routes:track_upload")
    async def upload_track(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        route_id: int,
        data: Annotated[dict[str, Any], Upload],
    ) -> Any:
        upload = data.get("gpx")
        content = await upload.read(geometry.MAX_GPX_BYTES + 1) if isinstance(upload, UploadFile) else b""
        try:
            if not content:
                message = _("Choose a GPX file to upload.")
                raise ValidationFailed(message, fields={"gpx": message})
            await RouteService(tx).upload_gpx(_user(request), route_id, content)
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err)
        flash(request, _("The GPX track was saved: the route follows it now."), "success")
        return redirect(request, f"/manage/routes/{route_id}")

    @post("/{route_id:int}/track/remove", name="routes:track_remove")
    async def remove_track(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int
    ) -> Any:
        await RouteService(tx).remove_track(_user(request), route_id)
        flash(request, _("The track was removed: the route follows its stops."), "success")
        return redirect(request, f"/manage/routes/{route_id}")

    @post("/{route_id:int}/publish", name="routes:publish")
    async def publish(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int) -> Any:
        try:
            await RouteService(tx).publish(_user(request), route_id)
        except ValidationFailed as err:
            return await self._refused(request, tx, route_id, err)
        flash(request, _("The route is published: tourists can see it."), "success")
        return redirect(request, f"/manage/routes/{route_id}")

    @post("/{route_id:int}/unpublish", name="routes:unpublish")
    async def unpublish(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, route_id: int
    ) -> Any:
        await RouteService(tx).unpublish(_user(request), route_id)
        flash(request, _("The route is back to draft: tourists no longer see it."), "success")
        return redirect(request, f"/manage/routes/{route_id}")


class RouteGpxController(Controller):
    """A published route's GPX file, for a phone's or a car's navigation app."""

    path = "/tours"
    include_in_schema = False

    @get("/{key:str}/route.gpx", name="routes:gpx")
    async def gpx(self, tx: AsyncSession, key: str) -> Response[str]:
        service = RouteService(tx)
        view = await service.published(key)
        return Response(
            content=service.gpx(view),
            media_type="application/gpx+xml",
            headers={"Content-Disposition": f'attachment; filename="{view.route.slug}.gpx"'},
        )


class RouteApiController(Controller):
    """Published routes as JSON: the stops and line, and the OCOP showrooms along the route."""

    path = "/api/v1/routes"
    tags = ["tours"]

    @get("/{route_id:int}", name="api:route", summary="A published route: stops, length, duration and line")
    async def route(self, tx: AsyncSession, route_id: int) -> dict[str, Any]:
        view = await RouteService(tx).published(route_id)
        route = view.route
        return {
            "id": route.id,
            "slug": route.slug,
            "name": view.name,
            "description": route.description,
            "length_km": view.length_km,
            "duration_min": route.duration_min,
            "corridor_km": route.corridor_km,
            "stops": [
                {
                    "number": s.number,
                    "place_id": s.place.id,
                    "name": s.name,
                    "lat": s.place.latitude,
                    "lon": s.place.longitude,
                    "day": s.stop.day,
                    "time": s.stop.time,
                    "minutes": s.stop.minutes,
                    "note": s.stop.note,
                }
                for s in view.stops
            ],
            "line": view.geojson_line(),
            "google_urls": view.google_urls,
            "osm_url": view.osm_url,
            "gpx_url": f"/tours/{route.slug}/route.gpx",
        }

    @get(
        "/{route_id:int}/along",
        name="api:route_along",
        summary="Published OCOP showrooms within km of a published route, in route order",
        description="km: more than 0 and at most 50 (default 5).",
    )
    async def along(self, tx: AsyncSession, route_id: int, km: str = "5") -> list[dict[str, Any]]:
        try:
            within = float(km.replace(",", "."))
        except ValueError:
            within = -1.0
        if not (0 < within <= geometry.MAX_CORRIDOR_KM):
            message = _("km must be a number more than 0 and at most 50.")
            raise ValidationFailed(message, fields={"km": message})
        service = RouteService(tx)
        view = await service.published(route_id)
        return [
            {"place_id": a.place.id, "name": a.name, "off_km": a.off_km, "at_km": a.at_km}
            for a in await service.along(view, within)
        ]
