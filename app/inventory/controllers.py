"""Inventory HTTP: the stock pages (places, levels, receipts, transfers, counts, alerts, shortfalls, a
product's ledger, CSV export) and the stock API the register uses.

Handlers parse (msgspec Structs or query strings), call one inventory service (which checks who may act on
the object and raises DomainErrors), and pick a template block. No queries and no sums here: labels live in
templates/inventory/_labels.html.jinja, use cases in app.inventory.services.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.catalog.services import ProducerService
from app.errors import PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.i18n import localized, ngettext
from app.i18n import number as format_number
from app.inventory.models import Location, LocationKind, TransferStatus
from app.inventory.schemas import (
    CountForm,
    LocationForm,
    LocationOut,
    ReceiveForm,
    StockItemOut,
    ThresholdForm,
    TransferForm,
    TransferReceiveForm,
)
from app.inventory.services import InventoryService, LocationService, StockRow, parse_id
from app.web import page, page_number, query_flag, query_int, query_string, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
PageParam = Parameter(query="page", required=False)
RECEIVE_ROWS = 8
TRANSFER_ROWS = 8
COUNT_EXTRA_ROWS = 3
KINDS = [kind.value for kind in LocationKind]
STATUSES = [status.value for status in TransferStatus]


# --- small parsers (no queries, no sums) ---


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def form_rows(first: str | list[str], second: str | list[str]) -> list[tuple[str, str]]:
    """Repeated form fields → rows, in the order sent (the services name errors by this row number)."""
    return [
        (a.strip(), b.strip())
        for a, b in itertools.zip_longest(_as_list(first), _as_list(second), fillvalue="")
    ]


def padded(rows: list[tuple[str, str]], size: int) -> list[tuple[str, str]]:
    """The rows as sent (numbered as the errors are), then empty rows: up to `size`, or two more."""
    while rows and rows[-1] == ("", ""):
        rows = rows[:-1]
    return rows + [("", "")] * max(size - len(rows), 2)


def _user(request: Request[CurrentUser, Any, Any]) -> CurrentUser:
    return request.user


# --- pages ---


class InventoryController(Controller):
    """Stock pages of the places a user manages. Another owner's place answers 404, whatever the id."""

    path = "/stock"
    guards = [requires_login]
    include_in_schema = False

    # --- overview ---

    @get("/", name="stock:home")
    async def overview(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        user = _user(request)
        places = LocationService(tx)
        inventory = InventoryService(tx)
        shortfalls, incoming = await inventory.waiting(user)
        producers = await ProducerService(tx).choices(user) if user.manages_catalog else []
        return page(
            request,
            "inventory/overview.html.jinja",
            {
                "locations": await places.summaries(user),
                "alerts": await inventory.low_stock(user, limit=50),
                "shortfalls": shortfalls,
                "incoming": incoming,
                "producers": producers[:30],
                "can_create": bool(await places.owner_choices(user)),
            },
        )

    # --- places ---

    async def _location_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: LocationForm,
        *,
        location: Location | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        owners = await LocationService(tx).owner_choices(_user(request)) if location is None else []
        if location is None and not owners:
            raise PermissionDenied(_("You manage no producer or organization, so you cannot add a place."))
        return page(
            request,
            "inventory/location_form.html.jinja",
            {
                "form": form,
                "location": location,
                "errors": errors or {},
                "owners": owners,
                "kinds": KINDS,
                "provinces": admin_units.provinces(),
            },
            status=status,
            blocks=blocks,
        )

    @get("/locations/new", name="stock:location_new")
    async def new_location(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        return await self._location_form(request, tx, LocationForm(kind="warehouse"))

    @post("/locations/new", name="stock:location_create")
    async def create_location(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[LocationForm, Form]
    ) -> Any:
        try:
            location = await LocationService(tx).create(_user(request), msgspec.structs.asdict(data))
        except ValidationFailed as err:
            return await self._location_form(
                request, tx, data, errors=err.fields, status=422, blocks=["location_form"]
            )
        flash(request, _("The place “%(name)s” was added.", name=location.name), "success")
        return redirect(request, f"/stock/{location.id}")

    @get("/locations/{location_id:int}/edit", name="stock:location_edit")
    async def edit_location(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, location_id: int
    ) -> Template:
        location = await LocationService(tx).get_for_manage(_user(request), location_id)
        form = LocationForm(
            name=location.name,
            kind=location.kind.value,
            address=location.address,
            province_code=str(location.province_code or ""),
            latitude="" if location.latitude is None else str(location.latitude),
            longitude="" if location.longitude is None else str(location.longitude),
            is_active="1" if location.is_active else "",
        )
        return await self._location_form(request, tx, form, location=location)

    @post("/locations/{location_id:int}/edit", name="stock:location_update")
    async def update_location(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        data: Annotated[LocationForm, Form],
    ) -> Any:
        service = LocationService(tx)
        try:
            location = await service.update(
                _user(request), location_id, msgspec.structs.asdict(data), active=query_flag(data.is_active)
            )
        except ValidationFailed as err:
            location = await service.get_for_manage(_user(request), location_id)
            return await self._location_form(
                request, tx, data, location=location, errors=err.fields, status=422, blocks=["location_form"]
            )
        flash(request, _("The place “%(name)s” was saved.", name=location.name), "success")
        return redirect(request, f"/stock/{location.id}")

    # --- levels and thresholds ---

    async def _levels(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        q: str,
        low: str,
        page_no: str,
        *,
        threshold_error: tuple[int, str, str] | None = None,
        status: int = 200,
    ) -> Template:
        q, low_only = q.strip()[:100], query_flag(low)
        location, levels = await InventoryService(tx).stock(
            _user(request), location_id, q=q, low_only=low_only, page=page_number(page_no)
        )
        owner = (await LocationService(tx).owner_names([location]))[location.id]
        params = {"q": q, "low": "1" if low_only else ""}
        return page(
            request,
            "inventory/levels.html.jinja",
            {
                "location": location,
                "owner": owner,
                "levels": levels,
                "filters": params,
                "params": query_string(params),
                "threshold_error": threshold_error,
            },
            status=status,
            blocks=["stock_rows"],
        )

    @get("/{location_id:int}", name="stock:location")
    async def location_stock(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        q: str = "",
        low: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        return await self._levels(request, tx, location_id, q, low, page_no)

    @post("/{location_id:int}/products/{product_id:int}/threshold", name="stock:threshold")
    async def set_threshold(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        product_id: int,
        data: Annotated[ThresholdForm, Form],
    ) -> Any:
        try:
            level = await InventoryService(tx).set_threshold(
                _user(request), location_id, product_id, data.threshold
            )
        except ValidationFailed as err:
            message = err.fields.get("threshold", err.message)
            return await self._levels(
                request,
                tx,
                location_id,
                data.q,
                data.low,
                data.page,
                threshold_error=(product_id, message, data.threshold),
                status=422,
            )
        if level.low_threshold is None:
            flash(request, _("The low-stock alert was removed."), "success")
        else:
            flash(
                request,
                _("You will be alerted at %(n)s or fewer.", n=format_number(level.low_threshold)),
                "success",
            )
        back = query_string(
            {
                "q": data.q.strip()[:100],
                "low": "1" if query_flag(data.low) else "",
                "page": query_int(data.page),
            }
        )
        return redirect(request, f"/stock/{location_id}" + (f"?{back}" if back else ""))

    # --- receiving goods ---

    async def _receive_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        form: ReceiveForm,
        *,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        location = await LocationService(tx).get_for_manage(_user(request), location_id)
        return page(
            request,
            "inventory/receive.html.jinja",
            {
                "location": location,
                "form": form,
                "rows": padded(form_rows(form.product_id, form.quantity), RECEIVE_ROWS),
                "products": await InventoryService(tx).receivable_products(location),
                "errors": errors or {},
            },
            status=status,
            blocks=blocks,
        )

    @get("/{location_id:int}/receive", name="stock:receive_form")
    async def receive_form(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, location_id: int, product: str = ""
    ) -> Template:
        return await self._receive_form(
            request, tx, location_id, ReceiveForm(product_id=product.strip()[:15])
        )

    @post("/{location_id:int}/receive", name="stock:receive")
    async def receive(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        data: Annotated[ReceiveForm, Form],
    ) -> Any:
        try:
            result = await InventoryService(tx).receive(
                _user(request),
                location_id,
                form_rows(data.product_id, data.quantity),
                reference=data.reference,
                note=data.note,
            )
        except ValidationFailed as err:
            return await self._receive_form(
                request, tx, location_id, data, errors=err.fields, status=422, blocks=["receive_form"]
            )
        flash(
            request,
            ngettext(
                "Received %(units)s units of %(num)d product.",
                "Received %(units)s units of %(num)d products.",
                len(result.lines),
                units=format_number(result.units),
            ),
            "success",
        )
        return redirect(request, f"/stock/{location_id}")

    # --- counting ---

    async def _count_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        form: CountForm,
        *,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        location = await LocationService(tx).get_for_manage(_user(request), location_id)
        service = InventoryService(tx)
        levels = await service.rows_at(location)
        sent = form_rows(form.product_id, form.counted)
        recorded = {row.product.id for row in levels}
        extra_products = [p for p in await service.receivable_products(location) if p.id not in recorded]
        rows: list[dict[str, Any]] = []
        for index, level_row in enumerate(levels):
            value = (
                sent[index][1] if index < len(sent) and sent[index][0] == str(level_row.product.id) else ""
            )
            rows.append({"level": level_row, "product_id": str(level_row.product.id), "counted": value})
        extras = sent[len(levels) :] if len(sent) > len(levels) else []
        extras = [row for row in extras if row != ("", "")]
        extras += [("", "")] * max(COUNT_EXTRA_ROWS - len(extras), 1)
        rows += [{"level": None, "product_id": p, "counted": c} for p, c in extras]
        return page(
            request,
            "inventory/count.html.jinja",
            {
                "location": location,
                "form": form,
                "rows": rows,
                "extra_products": extra_products,
                "errors": errors or {},
            },
            status=status,
            blocks=blocks,
        )

    @get("/{location_id:int}/count", name="stock:count_form")
    async def count_form(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, location_id: int
    ) -> Template:
        return await self._count_form(request, tx, location_id, CountForm())

    @post("/{location_id:int}/count", name="stock:count")
    async def count(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        data: Annotated[CountForm, Form],
    ) -> Any:
        try:
            stock_count = await InventoryService(tx).count(
                _user(request), location_id, form_rows(data.product_id, data.counted), note=data.note
            )
        except ValidationFailed as err:
            return await self._count_form(
                request, tx, location_id, data, errors=err.fields, status=422, blocks=["count_form"]
            )
        changed = sum(1 for line in stock_count.lines if line.counted != line.expected)
        flash(
            request,
            ngettext(
                "Count saved: %(num)d product counted, %(changed)d adjusted.",
                "Count saved: %(num)d products counted, %(changed)d adjusted.",
                len(stock_count.lines),
                changed=changed,
            ),
            "success",
        )
        return redirect(request, f"/stock/{location_id}")

    # --- a product's ledger, export ---

    @get("/{location_id:int}/products/{product_id:int}/ledger", name="stock:ledger")
    async def ledger(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        location_id: int,
        product_id: int,
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        view = await InventoryService(tx).ledger(
            _user(request), location_id, product_id, page_number(page_no)
        )
        return page(request, "inventory/ledger.html.jinja", {"view": view}, blocks=["ledger_rows"])

    @get("/{location_id:int}/export.csv", name="stock:export")
    async def export(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, location_id: int
    ) -> Response[bytes]:
        location, content = await InventoryService(tx).export_csv(_user(request), location_id)
        return Response(
            content=content,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="stock-{location.id}.csv"',
                "Cache-Control": "no-store",
            },
        )

    # --- transfers ---

    @get("/transfers", name="stock:transfers")
    async def transfers(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        status: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        status = status if status in STATUSES else ""
        found = await InventoryService(tx).list_transfers(
            _user(request), status=status, page=page_number(page_no)
        )
        return page(
            request,
            "inventory/transfers.html.jinja",
            {
                "transfers": found,
                "filters": {"status": status},
                "params": query_string({"status": status}),
                "statuses": STATUSES,
            },
            blocks=["transfer_rows"],
        )

    async def _transfer_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: TransferForm,
        *,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        user = _user(request)
        places = LocationService(tx)
        locations = await places.manageable(user)
        source_id = parse_id(form.from_location_id)
        source_rows: list[StockRow] = []
        if source_id is not None:
            source = await places.get_for_manage(user, source_id)
            source_rows = await InventoryService(tx).rows_at(source, positive_only=True)
        return page(
            request,
            "inventory/transfer_form.html.jinja",
            {
                "form": form,
                "locations": locations,
                "source_id": source_id,
                "source_rows": source_rows,
                "rows": padded(form_rows(form.product_id, form.quantity), TRANSFER_ROWS),
                "errors": errors or {},
            },
            status=status,
            blocks=blocks,
        )

    @get("/transfers/new", name="stock:transfer_new")
    async def new_transfer(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        from_location_id: str = "",
        to_location_id: str = "",
    ) -> Template:
        form = TransferForm(from_location_id=from_location_id[:15], to_location_id=to_location_id[:15])
        return await self._transfer_form(request, tx, form, blocks=["transfer_form"])

    @post("/transfers/new", name="stock:transfer_create")
    async def create_transfer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[TransferForm, Form]
    ) -> Any:
        try:
            transfer = await InventoryService(tx).create_transfer(
                _user(request),
                data.from_location_id,
                data.to_location_id,
                form_rows(data.product_id, data.quantity),
                note=data.note,
            )
        except ValidationFailed as err:
            return await self._transfer_form(
                request, tx, data, errors=err.fields, status=422, blocks=["transfer_form"]
            )
        flash(request, _("The goods are on their way. The receiving place confirms what arrives."), "success")
        return redirect(request, f"/stock/transfers/{transfer.id}")

    async def _transfer_page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        transfer_id: int,
        *,
        form: TransferReceiveForm | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        view = await InventoryService(tx).get_transfer(_user(request), transfer_id)
        sent = dict(form_rows(form.line_id, form.received)) if form else {}
        values = {line.id: sent.get(str(line.id), str(line.quantity_sent)) for line in view.transfer.lines}
        return page(
            request,
            "inventory/transfer.html.jinja",
            {"view": view, "values": values, "note": form.note if form else "", "errors": errors or {}},
            status=status,
            blocks=blocks,
        )

    @get("/transfers/{transfer_id:int}", name="stock:transfer")
    async def transfer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, transfer_id: int
    ) -> Template:
        return await self._transfer_page(request, tx, transfer_id)

    @post("/transfers/{transfer_id:int}/receive", name="stock:transfer_receive")
    async def receive_transfer(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        transfer_id: int,
        data: Annotated[TransferReceiveForm, Form],
    ) -> Any:
        try:
            transfer = await InventoryService(tx).receive_transfer(
                _user(request), transfer_id, form_rows(data.line_id, data.received), note=data.note
            )
        except ValidationFailed as err:
            return await self._transfer_page(
                request,
                tx,
                transfer_id,
                form=data,
                errors=err.fields,
                status=422,
                blocks=["transfer_receive_form"],
            )
        missing = sum(line.quantity_sent - (line.quantity_received or 0) for line in transfer.lines)
        if missing:
            flash(
                request,
                _("Received, with %(n)s units missing: the shortfall is recorded.", n=format_number(missing)),
                "info",
            )
        else:
            flash(request, _("Received in full."), "success")
        return redirect(request, f"/stock/transfers/{transfer.id}")

    @post("/transfers/{transfer_id:int}/cancel", name="stock:transfer_cancel")
    async def cancel_transfer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, transfer_id: int
    ) -> Any:
        transfer = await InventoryService(tx).cancel_transfer(_user(request), transfer_id)
        flash(request, _("The transfer was cancelled and the goods are back in stock."), "success")
        return redirect(request, f"/stock/transfers/{transfer.id}")

    # --- shortfalls ---

    @get("/shortfalls", name="stock:shortfalls")
    async def shortfalls(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        reviewed: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        show_reviewed = query_flag(reviewed)
        found = await InventoryService(tx).shortfalls(
            _user(request), reviewed=show_reviewed, page=page_number(page_no)
        )
        return page(
            request,
            "inventory/shortfalls.html.jinja",
            {
                "shortfalls": found,
                "reviewed": show_reviewed,
                "params": query_string({"reviewed": "1" if show_reviewed else ""}),
            },
            blocks=["shortfall_rows"],
        )

    @post("/shortfalls/{movement_id:int}/review", name="stock:shortfall_review")
    async def review_shortfall(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, movement_id: int
    ) -> Any:
        await InventoryService(tx).review_shortfall(_user(request), movement_id)
        flash(request, _("Marked as reviewed."), "success")
        return redirect(request, "/stock/shortfalls")

    # --- a producer's stock everywhere ---

    @get("/producers/{producer_id:int}", name="stock:producer")
    async def producer_stock(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, producer_id: int
    ) -> Template:
        found = await InventoryService(tx).producer_stock(_user(request), producer_id)
        return page(request, "inventory/producer_stock.html.jinja", {"stock": found})


# --- JSON API ---


class InventoryApiController(Controller):
    """What the register reads: where the caller may sell, and what is in stock there."""

    path = "/api/v1"
    tags = ["inventory"]
    guards = [requires_login]

    @get("/locations", name="api:locations", summary="The places where you may sell")
    async def locations(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> list[LocationOut]:
        found = await LocationService(tx).sellable(_user(request))
        return [LocationOut(id=loc.id, name=loc.name, kind=loc.kind.value) for loc in found]

    @get(
        "/locations/{location_id:int}/stock",
        name="api:location_stock",
        summary="Active products kept at a place where you may sell, with what is on hand",
        description="A place where you may not sell answers 403; one that does not exist, 404.",
    )
    async def location_stock(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, location_id: int
    ) -> list[StockItemOut]:
        found = await InventoryService(tx).sellable_stock(_user(request), location_id)
        return [
            StockItemOut(
                product_id=product.id,
                name=localized(product, "name"),
                price_vnd=product.price_vnd,
                on_hand=on_hand,
            )
            for product, on_hand in found
        ]
