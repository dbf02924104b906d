"""Places HTTP: the owners' pages (their places, the place form, opening hours and exception days, photos,
publish and delete), a place's public page (`/places/{id or slug}`) and its JSON (`/api/v1/places/{id}`).

Handlers parse (msgspec Structs or query strings), call one `PlaceService` method (which checks who may act
on the place and raises DomainErrors), and pick a template block. No queries and no sums here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec
from babel.dates import format_date
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, Parameter
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import logged_in_user
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.cleaning import whole_number
from app.errors import PermissionDenied, ValidationFailed
from app.i18n import get_locale
from app.i18n import gettext as _
from app.settings import get_settings
from app.tours import hours, places
from app.tours.models import Place, PlaceKind, ShowroomCategory
from app.tours.places import PlaceFilters, PlaceService
from app.web import app_settings, page, page_number, query_string, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Upload = Body(media_type=RequestEncodingType.MULTI_PART)
PageParam = Parameter(query="page", required=False)
KINDS = [kind.value for kind in PlaceKind]
CATEGORIES = [category.value for category in ShowroomCategory]
EDITOR_ROWS = 2  # empty period rows under each day's periods in the hours editor


# --- forms ---


class PlaceForm(msgspec.Struct):
    kind: str = ""  # on creation only
    owner: str = ""  # on creation only: "producer:<id>" or "organization:<id>"
    name_vi: str = ""
    name_en: str = ""
    description: str = ""
    address: str = ""
    province_code: str = ""
    ward_code: str = ""
    latitude: str = ""
    longitude: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    category: str = ""
    fair_id: str = ""


class HoursForm(msgspec.Struct):
    mon_open: str | list[str] = ""
    mon_close: str | list[str] = ""
    tue_open: str | list[str] = ""
    tue_close: str | list[str] = ""
    wed_open: str | list[str] = ""
    wed_close: str | list[str] = ""
    thu_open: str | list[str] = ""
    thu_close: str | list[str] = ""
    fri_open: str | list[str] = ""
    fri_close: str | list[str] = ""
    sat_open: str | list[str] = ""
    sat_close: str | list[str] = ""
    sun_open: str | list[str] = ""
    sun_close: str | list[str] = ""


class ExceptionForm(msgspec.Struct):
    day: str = ""
    closed: str = ""
    opens: str | list[str] = ""
    closes: str | list[str] = ""
    note: str = ""


class PhotoForm(msgspec.Struct):
    photo: UploadFile | None = None
    caption: str = ""


class MoveForm(msgspec.Struct):
    direction: str = ""


# --- JSON ---


class PlacePhotoOut(msgspec.Struct):
    url: str
    caption: str


class PlaceHoursExceptionOut(msgspec.Struct):
    day: dt.date
    closed: bool
    hours: list[list[str]]
    note: str


class PlaceStockOut(msgspec.Struct):
    product_id: int
    name_vi: str
    name_en: str
    stars: int | None
    price_vnd: int
    producer: str
    on_hand: int
    url: str


class PlaceOut(msgspec.Struct):
    id: int
    slug: str
    kind: str  # showroom | craft_village | attraction | fair_venue
    category: str | None  # showrooms: bus_station … post_office
    name_vi: str
    name_en: str
    description: str
    address: str
    province_code: int | None
    province_name: str
    ward_code: int | None
    ward_name: str
    latitude: float
    longitude: float
    phone: str
    email: str
    website: str
    opening_hours: dict[str, list[list[str]]]  # mon … sun: [["08:00", "17:30"]], Vietnam time
    exceptions: list[PlaceHoursExceptionOut]
    open_now: bool
    changes_at: dt.datetime | None  # when it next opens (closed now) or closes (open now), Vietnam time
    photos: list[PlacePhotoOut]
    stock: list[PlaceStockOut]  # showrooms: products in stock now
    fair_id: int | None
    url: str
    directions: dict[str, str]


# --- helpers (formatting only) ---


def _user(request: Request[Any, Any, Any]) -> CurrentUser:
    return request.user  # type: ignore[no-any-return]


def _visitor(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


async def requires_place_owner(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    if not places.can_own_places(logged_in_user(connection)):
        raise PermissionDenied(_("Only producers, showroom operators and organizers keep places."))


def weekday_label(day: dt.date) -> str:
    return format_date(day, "EEEE", locale=get_locale())


def status_text(status: hours.Status) -> str:
    """“Open now — closes at 17:30” / “Closed now — opens Monday at 08:00”."""
    if status.changes_at is None:
        return _("Open now") if status.open_now else _("Closed now")
    time = status.changes_at.strftime("%H:%M")
    if status.open_now:
        return _("Open now — closes at %(time)s", time=time)
    if status.today:
        return _("Closed now — opens at %(time)s", time=time)
    return _("Closed now — opens %(day)s at %(time)s", day=weekday_label(status.changes_at.date()), time=time)


def _helpers() -> dict[str, Any]:
    return {
        "kind_label": places.kind_label,
        "category_label": places.category_label,
        "day_label": places.day_label,
        "province_name": places.province_name,
        "ward_name": places.ward_name,
        "status_text": status_text,
        "kinds": KINDS,
        "categories": CATEGORIES,
        "max_upload_mb": max(1, get_settings().max_upload_bytes // (1024 * 1024)),
        "max_photos": places.MAX_PHOTOS,
    }


def place_form_from(place: Place) -> PlaceForm:
    return PlaceForm(
        kind=place.kind.value,
        name_vi=place.name_vi,
        name_en=place.name_en,
        description=place.description,
        address=place.address,
        province_code=str(place.province_code or ""),
        ward_code=str(place.ward_code or ""),
        latitude=str(place.latitude),
        longitude=str(place.longitude),
        phone=place.phone,
        email=place.email,
        website=place.website,
        category=place.category.value if place.category else "",
        fair_id=str(place.fair_id or ""),
    )


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _pairs(opens: str | list[str], closes: str | list[str]) -> list[tuple[str, str]]:
    return [
        (a.strip(), b.strip())
        for a, b in itertools.zip_longest(_as_list(opens), _as_list(closes), fillvalue="")
    ]


def hours_rows(form: HoursForm) -> dict[str, list[tuple[str, str]]]:
    data = msgspec.structs.asdict(form)
    return {day: _pairs(data[f"{day}_open"], data[f"{day}_close"]) for day in hours.DAYS}


def editor_rows(rows: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """Each day's periods as sent (or saved), then empty rows to add more."""
    out: dict[str, list[tuple[str, str]]] = {}
    for day in hours.DAYS:
        filled = [(o, c) for o, c in rows.get(day, []) if o or c]
        out[day] = filled + [("", "")] * max(EDITOR_ROWS, 1 if filled else EDITOR_ROWS)
    return out


def saved_rows(place: Place) -> dict[str, list[tuple[str, str]]]:
    return {row.key: list(row.intervals) for row in hours.week(place.opening_hours or {})}


def _to_place(request: Request[Any, Any, Any], place_id: int, section: str = "") -> Response[Any]:
    return redirect(request, f"/manage/places/{place_id}{section}")


# --- owners' pages ---


class PlaceManageController(Controller):
    """A place's owners: a producer's vendors, an organization's organizers and vendors, admins. Another
    owner's place answers 404, whatever the id."""

    path = "/manage/places"
    guards = [requires_place_owner]
    include_in_schema = False

    @get("/", name="places:manage_list")
    async def list_places(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        kind: str = "",
        q: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        filters = PlaceFilters(
            kind=kind if kind in KINDS else "", q=q.strip()[:100], page=page_number(page_no)
        )
        found = await PlaceService(tx).list_managed(_user(request), filters)
        params = {"kind": filters.kind, "q": filters.q}
        return page(
            request,
            "tours/place_list.html.jinja",
            {**_helpers(), "places": found, "filters": params, "params": query_string(params)},
            blocks=["place_rows"],
        )

    async def _form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: PlaceForm,
        *,
        place: Place | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        service = PlaceService(tx)
        province_code = whole_number(form.province_code)
        return page(
            request,
            "tours/place_form.html.jinja",
            {
                **_helpers(),
                "form": form,
                "place": place,
                "errors": errors or {},
                "owners": await service.owner_choices(_user(request)) if place is None else [],
                "fairs": await service.fair_choices(_user(request)),
                "provinces": admin_units.provinces(),
                "wards": admin_units.wards_of(province_code) if province_code else [],
            },
            status=status,
            blocks=blocks,
        )

    @get("/new", name="places:new")
    async def new_place(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, kind: str = ""
    ) -> Template:
        return await self._form(request, tx, PlaceForm(kind=kind if kind in KINDS else ""))

    @post("/new", name="places:create")
    async def create_place(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[PlaceForm, Form]
    ) -> Any:
        try:
            place = await PlaceService(tx).create(_user(request), msgspec.structs.asdict(data))
        except ValidationFailed as err:
            return await self._form(request, tx, data, errors=err.fields, status=422, blocks=["place_form"])
        flash(request, _("The place “%(name)s” was created as a draft.", name=place.name_vi), "success")
        return _to_place(request, place.id)

    @get("/{place_id:int}", name="places:manage")
    async def show(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int
    ) -> Template:
        service = PlaceService(tx)
        place = await service.get_for_manage(_user(request), place_id)
        view = await service.view(_user(request), place, dt.datetime.now(dt.UTC))
        return page(request, "tours/place_manage.html.jinja", {**_helpers(), "place": place, "view": view})

    @get("/{place_id:int}/edit", name="places:edit")
    async def edit_place(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int
    ) -> Template:
        place = await PlaceService(tx).get_for_manage(_user(request), place_id)
        return await self._form(request, tx, place_form_from(place), place=place)

    @post("/{place_id:int}/edit", name="places:update")
    async def update_place(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        data: Annotated[PlaceForm, Form],
    ) -> Any:
        service = PlaceService(tx)
        try:
            place = await service.update(_user(request), place_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            place = await service.get_for_manage(_user(request), place_id)
            data.kind = place.kind.value
            return await self._form(
                request, tx, data, place=place, errors=err.fields, status=422, blocks=["place_form"]
            )
        flash(request, _("The place “%(name)s” was saved.", name=place.name_vi), "success")
        return _to_place(request, place.id)

    @post("/{place_id:int}/publish", name="places:publish")
    async def publish(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int) -> Any:
        place = await PlaceService(tx).set_published(_user(request), place_id, True)
        flash(request, _("“%(name)s” is published: visitors see it now.", name=place.name_vi), "success")
        return _to_place(request, place.id)

    @post("/{place_id:int}/unpublish", name="places:unpublish")
    async def unpublish(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int
    ) -> Any:
        place = await PlaceService(tx).set_published(_user(request), place_id, False)
        flash(request, _("“%(name)s” is a draft again: only you see it.", name=place.name_vi), "success")
        return _to_place(request, place.id)

    @post("/{place_id:int}/delete", name="places:delete")
    async def delete(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int) -> Any:
        place = await PlaceService(tx).delete(_user(request), place_id)
        flash(request, _("The place “%(name)s” was deleted.", name=place.name_vi), "success")
        return redirect(request, "/manage/places")

    # --- hours ---

    async def _hours(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        *,
        rows: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        errors: Mapping[str, str] | None = None,
        exception_form: ExceptionForm | None = None,
        exception_errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        place = await PlaceService(tx).get_for_manage(_user(request), place_id)
        exception_form = exception_form or ExceptionForm(closed="1")
        return page(
            request,
            "tours/place_hours.html.jinja",
            {
                **_helpers(),
                "place": place,
                "rows": editor_rows(rows if rows is not None else saved_rows(place)),
                "errors": errors or {},
                "exception_form": exception_form,
                "exception_pairs": (_pairs(exception_form.opens, exception_form.closes) + [("", "")] * 2)[:3],
                "exception_errors": exception_errors or {},
                "today": hours.local(dt.datetime.now(dt.UTC)).date(),
            },
            status=status,
            blocks=blocks,
        )

    @get("/{place_id:int}/hours", name="places:hours")
    async def show_hours(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int
    ) -> Template:
        return await self._hours(request, tx, place_id)

    @post("/{place_id:int}/hours", name="places:hours_save")
    async def save_hours(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        data: Annotated[HoursForm, Form],
    ) -> Any:
        rows = hours_rows(data)
        try:
            await PlaceService(tx).set_hours(_user(request), place_id, places.schedule_from_rows(rows))
        except ValidationFailed as err:
            return await self._hours(
                request, tx, place_id, rows=rows, errors=err.fields, status=422, blocks=["hours_form"]
            )
        flash(request, _("The opening hours were saved."), "success")
        return redirect(request, f"/manage/places/{place_id}/hours")

    @post("/{place_id:int}/exceptions", name="places:exception_add")
    async def add_exception(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        data: Annotated[ExceptionForm, Form],
    ) -> Any:
        raw = {
            "day": data.day,
            "closed": data.closed,
            "note": data.note,
            "hours": [[o, c] for o, c in _pairs(data.opens, data.closes) if o or c],
        }
        try:
            item = await PlaceService(tx).add_exception(_user(request), place_id, raw)
        except ValidationFailed as err:
            return await self._hours(
                request,
                tx,
                place_id,
                exception_form=data,
                exception_errors=err.fields,
                status=422,
                blocks=["exception_form"],
            )
        flash(request, _("The hours of %(day)s were saved.", day=item.day.strftime("%d/%m/%Y")), "success")
        return redirect(request, f"/manage/places/{place_id}/hours")

    @post("/{place_id:int}/exceptions/{exception_id:int}/delete", name="places:exception_delete")
    async def remove_exception(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int, exception_id: int
    ) -> Any:
        item = await PlaceService(tx).remove_exception(_user(request), place_id, exception_id)
        flash(
            request,
            _("%(day)s follows the weekly hours again.", day=item.day.strftime("%d/%m/%Y")),
            "success",
        )
        return redirect(request, f"/manage/places/{place_id}/hours")

    # --- photos ---

    async def _photos(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        *,
        errors: Mapping[str, str] | None = None,
        caption: str = "",
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        place = await PlaceService(tx).get_for_manage(_user(request), place_id)
        return page(
            request,
            "tours/place_photos.html.jinja",
            {**_helpers(), "place": place, "errors": errors or {}, "caption": caption},
            status=status,
            blocks=blocks,
        )

    @get("/{place_id:int}/photos", name="places:photos")
    async def show_photos(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int
    ) -> Template:
        return await self._photos(request, tx, place_id)

    @post("/{place_id:int}/photos", name="places:photo_add")
    async def add_photo(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        data: Annotated[PhotoForm, Upload],
    ) -> Any:
        service = PlaceService(tx)
        try:
            await service.get_for_manage(_user(request), place_id)
            if data.photo is None or not data.photo.filename:
                message = _("Choose a photo to upload.")
                raise ValidationFailed(message, fields={"photo": message})
            raw = await data.photo.read()
            await service.add_photo(_user(request), place_id, raw, data.caption)
        except ValidationFailed as err:
            return await self._photos(
                request,
                tx,
                place_id,
                errors=err.fields,
                caption=data.caption,
                status=422,
                blocks=["photo_form"],
            )
        flash(request, _("The photo was added."), "success")
        return redirect(request, f"/manage/places/{place_id}/photos")

    @post("/{place_id:int}/photos/{photo_id:int}/delete", name="places:photo_delete")
    async def remove_photo(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, place_id: int, photo_id: int
    ) -> Any:
        await PlaceService(tx).remove_photo(_user(request), place_id, photo_id)
        flash(request, _("The photo was removed."), "success")
        return redirect(request, f"/manage/places/{place_id}/photos")

    @post("/{place_id:int}/photos/{photo_id:int}/move", name="places:photo_move")
    async def move_photo(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        place_id: int,
        photo_id: int,
        data: Annotated[MoveForm, Form],
    ) -> Any:
        await PlaceService(tx).move_photo(_user(request), place_id, photo_id, data.direction)
        return redirect(request, f"/manage/places/{place_id}/photos")


# --- the public page ---


class PublicPlaceController(Controller):
    """A place's page for visitors: published places only; a draft is seen by those who manage it."""

    path = "/places"
    include_in_schema = False

    @get("/{key:str}", name="places:public")
    async def show(self, request: Request[Any, Any, Any], tx: AsyncSession, key: str) -> Template:
        view = await PlaceService(tx).public_view(_visitor(request), key[:120], dt.datetime.now(dt.UTC))
        return page(
            request, "tours/place_public.html.jinja", {**_helpers(), "view": view, "place": view.place}
        )


# --- JSON API ---


class PlaceApiController(Controller):
    path = "/api/v1/places"
    tags = ["tours"]

    @get(
        "/{place_id:int}",
        name="api:place",
        summary="A published place: showroom, craft village, attraction or fair venue",
        description=(
            "Its address, coordinates, contact, weekly opening hours and exception days (Vietnam time), "
            "whether it is open now and when that changes, its photos, directions links and, for a "
            "showroom, the products in stock now. A draft is 404."
        ),
    )
    async def place(self, request: Request[Any, Any, Any], tx: AsyncSession, place_id: int) -> PlaceOut:
        service = PlaceService(tx)
        place = await service.get_published(place_id)
        view = await service.view(_visitor(request), place, dt.datetime.now(dt.UTC))
        base = app_settings(request).public_url.rstrip("/")
        return PlaceOut(
            id=place.id,
            slug=place.slug,
            kind=place.kind.value,
            category=place.category.value if place.category else None,
            name_vi=place.name_vi,
            name_en=place.name_en,
            description=place.description,
            address=place.address,
            province_code=place.province_code,
            province_name=view.province,
            ward_code=place.ward_code,
            ward_name=view.ward,
            latitude=place.latitude,
            longitude=place.longitude,
            phone=place.phone,
            email=place.email,
            website=place.website,
            opening_hours={row.key: [list(pair) for pair in row.intervals] for row in view.week},
            exceptions=[
                PlaceHoursExceptionOut(day=e.day, closed=e.closed, hours=list(e.hours or []), note=e.note)
                for e in place.exceptions
            ],
            open_now=view.status.open_now,
            changes_at=view.status.changes_at,
            photos=[PlacePhotoOut(url=f"{base}/media/{p.media_id}", caption=p.caption) for p in place.photos],
            stock=[
                PlaceStockOut(
                    product_id=item.product.id,
                    name_vi=item.product.name_vi,
                    name_en=item.product.name_en,
                    stars=item.product.stars,
                    price_vnd=item.product.price_vnd,
                    producer=item.product.producer.name,
                    on_hand=item.on_hand,
                    url=f"{base}/products/{item.product.id}",
                )
                for item in view.stock
            ],
            fair_id=place.fair_id,
            url=f"{base}/places/{place.slug}",
            directions=view.links,
        )
