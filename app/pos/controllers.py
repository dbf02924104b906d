"""Register HTTP: the sale API (sales, refunds, registers, shifts), the shift, history and report pages, and
the public receipt page. The register page itself lives in `app.pos.register_controller`.

Handlers parse (msgspec Structs; form strings through `app.money`), call one service (which checks who may
act on the object and raises DomainErrors), and shape JSON or pick a template block. No queries and no sums
here: rules live in `app.pos.rules`, use cases in `app.pos.services`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, Parameter
from litestar.plugins.flash import flash
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.catalog import qr
from app.errors import DomainError, ValidationFailed, handle_exception
from app.i18n import gettext as _
from app.i18n import set_locale
from app.middleware import LOCALE_COOKIE
from app.money import MoneyError, parse_vnd
from app.payments.stripe_gateway import gateway
from app.pos import rules
from app.pos.exports import export_sales
from app.pos.models import Register, ShiftStatus
from app.pos.schemas import (
    CloseShiftForm,
    ErrorOut,
    LateSalesOut,
    MethodTotalsOut,
    OpenShiftForm,
    PaymentOut,
    RefundForm,
    RefundIn,
    RefundLineIn,
    RefundLineOut,
    RefundOut,
    RegisterForm,
    RegisterIn,
    RegisterOut,
    SaleIn,
    SaleLineOut,
    SaleOut,
    ShiftCloseIn,
    ShiftOpenIn,
    ZReportOut,
)
from app.pos.services import (
    RefundService,
    RefundView,
    RegisterService,
    SaleFilters,
    SaleQueries,
    SaleService,
    SaleView,
    ShiftService,
    user_names,
)
from app.web import app_settings, page, query_int, query_string, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
PageParam = Parameter(query="page", required=False)

# --- shaping (no queries, no sums) ---


def receipt_path(sale_uuid: uuid.UUID) -> str:
    return f"/receipts/{sale_uuid}"


def receipt_url(request: Request[Any, Any, Any], sale_uuid: uuid.UUID) -> str:
    return qr.public_url(app_settings(request).public_url, receipt_path(sale_uuid))


def sale_out(request: Request[Any, Any, Any], view: SaleView) -> SaleOut:
    sale = view.sale
    return SaleOut(
        id=sale.uuid,
        receipt_no=sale.receipt_no,
        location_id=sale.location_id,
        register_id=sale.register_id,
        register_name=view.register.name,
        status=sale.status.value,
        subtotal_vnd=sale.subtotal_vnd,
        discount_vnd=sale.discount_vnd,
        total_vnd=sale.total_vnd,
        paid_vnd=sale.paid_vnd,
        change_vnd=sale.change_vnd,
        refunded_vnd=sale.refunded_vnd,
        had_shortfall=sale.had_shortfall,
        offline=sale.offline,
        locale=sale.locale,
        created_at=sale.created_at,
        client_created_at=sale.client_created_at,
        reference=rules.payment_reference(sale.uuid),
        lines=[
            SaleLineOut(
                line_no=line.line_no,
                product_id=line.product_id,
                combo_id=line.combo_id,
                name=line.name,
                quantity=line.quantity,
                unit_price_vnd=line.unit_price_vnd,
                discount_vnd=line.discount_vnd,
                total_vnd=line.total_vnd,
                refunded_quantity=line.refunded_quantity,
            )
            for line in sale.lines
        ],
        payments=[
            PaymentOut(
                method=p.method.value,
                amount_vnd=p.amount_vnd,
                tendered_vnd=p.tendered_vnd,
                change_vnd=p.change_vnd,
                status=p.status.value,
                reference=p.provider_reference,
            )
            for p in view.payments
        ],
        receipt_url=receipt_url(request, sale.uuid),
    )


def refund_out(view: RefundView) -> RefundOut:
    return RefundOut(
        id=view.refund.uuid,
        sale_id=view.sale.uuid,
        amount_vnd=view.refund.amount_vnd,
        method=view.refund.method,
        reason=view.refund.reason,
        sale_status=view.sale.status.value,
        sale_refunded_vnd=view.sale.refunded_vnd,
        created_at=view.refund.created_at,
        lines=[
            RefundLineOut(
                line_no=line.line_no,
                name=line.name,
                quantity=refund_line.quantity,
                amount_vnd=refund_line.amount_vnd,
            )
            for line, refund_line in view.lines
        ],
    )


def _by_method(totals: Mapping[str, Any]) -> dict[str, MethodTotalsOut]:
    return {method: MethodTotalsOut(**values) for method, values in dict(totals or {}).items()}


def z_out(report: Mapping[str, Any], late: rules.LateSales | None = None) -> ZReportOut:
    """The Z report (as issued, or so far), with the addendum of sales synced after closing if any."""
    data = dict(report)
    data["by_method"] = _by_method(report.get("by_method") or {})
    data["late_sales"] = None
    if late is not None:
        figures = late.as_dict()
        data["late_sales"] = LateSalesOut(**{**figures, "by_method": _by_method(figures["by_method"])})
    return msgspec.convert(data, ZReportOut, strict=False, from_attributes=True)


def register_out(register: Register, open_shift_id: int | None) -> RegisterOut:
    return RegisterOut(
        id=register.id,
        location_id=register.location_id,
        name=register.name,
        is_active=register.is_active,
        open_shift_id=open_shift_id,
        next_receipt_no=register.next_receipt_no,
    )


# --- bodies the API cannot read: a clear 400, in the user's language ---

_MSGSPEC_HINTS = (
    ("Expected `int`, got `float`", "a whole number"),
    ("Expected `int`, got", "a whole number"),
    ("Expected `int` >=", "a larger whole number"),
    ("Expected `int` <=", "a smaller whole number"),
    ("Invalid UUID", "a UUID"),
    ("Expected `bool`", "true or false"),
    ("Expected `array`", "a list"),
    ("Expected `object`", "an object"),
    ("Expected `str`", "a text"),
    ("Invalid enum value", "one of the allowed values"),
    ("Invalid RFC3339", "an ISO 8601 time"),
)


def _hint(message: str) -> str:
    labels = {
        "a whole number": _("a whole number is expected"),
        "a larger whole number": _("the number is too small"),
        "a smaller whole number": _("the number is too large"),
        "a UUID": _("a UUID is expected"),
        "true or false": _("true or false is expected"),
        "a list": _("a list is expected"),
        "an object": _("an object is expected"),
        "a text": _("a text is expected"),
        "one of the allowed values": _("the value is not one of those allowed"),
        "an ISO 8601 time": _("an ISO 8601 time is expected"),
    }
    text = "`str`" in message
    if "length >=" in message:
        return _("the text is empty") if text else _("at least one item is required")
    if "length <=" in message:
        return _("the text is too long") if text else _("too many items")
    for prefix, key in _MSGSPEC_HINTS:
        if message.startswith(prefix):
            return labels[key]
    if message.startswith("Object missing required field"):
        name = message.split("`")[1] if "`" in message else ""
        return _("%(name)s is required", name=name)
    if message.startswith("'"):  # no body at all
        return _("a JSON object is required")
    return message


def bad_body(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's refusal of a body (or a parameter) of the wrong shape → 400 `bad_request` with the member
    that is wrong, e.g. `lines[0].quantity: a whole number is expected`."""
    problems = exc.extra if isinstance(exc.extra, list) else []
    fields: dict[str, str] = {}
    for problem in problems:
        if not isinstance(problem, dict):
            continue
        key = str(problem.get("key") or "body")
        message = str(problem.get("message") or "")
        if key == "data" and message.startswith("Object missing required field"):
            key = message.split("`")[1] if "`" in message else "body"
        elif key == "data":
            key = "body"
        fields[key] = _hint(message)
    summary = "; ".join(f"{key}: {message}" for key, message in fields.items()) or str(exc.detail)
    error = DomainError(_("The request is malformed: %(detail)s", detail=summary), fields=fields)
    return handle_exception(request, error)


ERRORS = {
    400: ResponseSpec(ErrorOut, description="Malformed body: `fields` names the member"),
    401: ResponseSpec(ErrorOut, description="Not logged in (Bearer token or session)"),
    403: ResponseSpec(ErrorOut, description="Not allowed here"),
    404: ResponseSpec(ErrorOut, description="No such object, or another owner's"),
    422: ResponseSpec(ErrorOut, description="Breaks a rule: `fields` says where"),
}


def _user(request: Request[Any, Any, Any]) -> CurrentUser:
    user = request.user
    assert isinstance(user, CurrentUser)
    return user


class PosApiController(Controller):
    """The sale API: what the offline register, integrations and tests use."""

    path = "/api/v1"
    tags = ["pos"]
    guards = [requires_login]
    exception_handlers = {ValidationException: bad_body}

    @post(
        "/sales",
        name="api:sale_create",
        summary="Ring up a sale (idempotent by its client-made id)",
        description=(
            "The body's `id` is a UUID made by the register: sending the same sale again answers **200** "
            "with the stored sale and changes nothing, whatever the body says; a new sale answers **201**. "
            "Each line is a product or a gift combo (a combo draws each component's stock). Discounts "
            "(`discount_vnd` on a line or on the sale) are for vendors and admins only. Payments: cash "
            "(`tendered_vnd` is the cash handed over; the difference is change) and VietQR (confirmed by the "
            "cashier; never more than is left to pay), split allowed; together they must cover the total. "
            "Not enough stock → **409** `insufficient_stock` with `product_id` and `available`, and nothing "
            "is written — unless `offline` is true: a sale rung up offline is accepted and the shortfall "
            "recorded for review. Amounts are whole đồng."
        ),
        status_code=HTTP_201_CREATED,
        responses={
            200: ResponseSpec(SaleOut, description="The same sale was sent before: the stored sale"),
            409: ResponseSpec(ErrorOut, description="insufficient_stock: `product_id` and `available`"),
            **ERRORS,
        },
    )
    async def create_sale(
        self, request: Request[Any, Any, Any], tx: AsyncSession, data: SaleIn
    ) -> Response[SaleOut]:
        view = await SaleService(tx).ring_up(
            _user(request), data, signing_key=app_settings(request).secret_key
        )
        # Committed before the answer is built: the sale's stock rows stay locked until the commit, and
        # every register selling the same products waits for them.
        await tx.commit()
        return Response(
            sale_out(request, view), status_code=HTTP_201_CREATED if view.created else HTTP_200_OK
        )

    @get(
        "/sales/{sale_id:uuid}",
        name="api:sale",
        summary="A sale, for the people who sell at its place",
        responses=ERRORS,
    )
    async def sale(self, request: Request[Any, Any, Any], tx: AsyncSession, sale_id: uuid.UUID) -> SaleOut:
        return sale_out(request, await SaleQueries(tx).get(_user(request), sale_id))

    @post(
        "/sales/{sale_id:uuid}/refunds",
        name="api:refund_create",
        summary="Refund a sale, whole or by line (idempotent by the refund's own id)",
        description=(
            "`id` is a UUID made by the client: the same refund again answers **200** with the "
            "stored refund. Without `lines` the rest of the sale is refunded; with them, `line_no` "
            "(or `sale_line_no`) and `quantity`, at most what is not yet refunded. `reason` is "
            "required. The amount is the lines' share of what was paid (their totals less their "
            "share of the order discount, in whole đồng). Stock goes back to the sale's place; "
            "cash leaves the drawer of the open shift of `register_id` (default: the sale's register). "
            "Vendors and admins only (a cashier gets 403)."
        ),
        status_code=HTTP_201_CREATED,
        responses={
            200: ResponseSpec(RefundOut, description="The same refund was sent before: the stored refund"),
            409: ResponseSpec(ErrorOut, description="Already fully refunded"),
            **ERRORS,
        },
    )
    async def create_refund(
        self, request: Request[Any, Any, Any], tx: AsyncSession, sale_id: uuid.UUID, data: RefundIn
    ) -> Response[RefundOut]:
        view = await RefundService(tx, gateway(app_settings(request))).refund(_user(request), sale_id, data)
        return Response(refund_out(view), status_code=HTTP_201_CREATED if view.created else HTTP_200_OK)

    @get(
        "/locations/{location_id:int}/registers",
        name="api:registers",
        summary="The registers of a place where you may sell, with their open shift",
        responses=ERRORS,
    )
    async def registers(
        self, request: Request[Any, Any, Any], tx: AsyncSession, location_id: int
    ) -> list[RegisterOut]:
        location = await SaleQueries(tx).location_for_seller(_user(request), location_id)
        service = RegisterService(tx)
        registers = await service.list_for_location(location.id)
        shifts = await service.open_shifts([r.id for r in registers])
        return [register_out(r, shifts[r.id].id if r.id in shifts else None) for r in registers]

    @post(
        "/locations/{location_id:int}/registers",
        name="api:register_create",
        summary="Add a register to a place you manage",
        status_code=HTTP_201_CREATED,
        responses=ERRORS,
    )
    async def create_register(
        self, request: Request[Any, Any, Any], tx: AsyncSession, location_id: int, data: RegisterIn
    ) -> RegisterOut:
        register = await RegisterService(tx).create(_user(request), location_id, data.name)
        return register_out(register, None)

    @post(
        "/registers/{register_id:int}/shifts",
        name="api:shift_open",
        summary="Open a shift on a register with a cash float",
        description="One open shift per register: a second answers 409. Answers the shift's Z report so far.",
        status_code=HTTP_201_CREATED,
        responses={409: ResponseSpec(ErrorOut, description="A shift is already open"), **ERRORS},
    )
    async def open_shift(
        self, request: Request[Any, Any, Any], tx: AsyncSession, register_id: int, data: ShiftOpenIn
    ) -> ZReportOut:
        view = await ShiftService(tx).open(_user(request), register_id, data.opening_float_vnd)
        return z_out(view.report)

    @get(
        "/shifts/{shift_id:int}",
        name="api:shift",
        summary="A shift's Z report: as issued when closed, the figures so far when open",
        description=(
            "A closed shift's report is the one issued at closing. Sales rung up offline while the shift was "
            "open but synced after it closed are not in it: `late_sales` is their addendum (count, totals by "
            "method, and the cash among them, which explains a surplus in the count)."
        ),
        responses=ERRORS,
    )
    async def shift(self, request: Request[Any, Any, Any], tx: AsyncSession, shift_id: int) -> ZReportOut:
        view = await ShiftService(tx).view(_user(request), shift_id)
        return z_out(view.report, view.late_sales)

    @post(
        "/shifts/{shift_id:int}/close",
        name="api:shift_close",
        summary="Close a shift with the counted cash: the Z report",
        description=(
            "Expected cash = opening float + cash handed over − change − cash refunds; the difference is "
            "counted − expected. The report is kept as issued."
        ),
        status_code=HTTP_200_OK,
        responses={409: ResponseSpec(ErrorOut, description="The shift is already closed"), **ERRORS},
    )
    async def close_shift(
        self, request: Request[Any, Any, Any], tx: AsyncSession, shift_id: int, data: ShiftCloseIn
    ) -> ZReportOut:
        view = await ShiftService(tx).close(_user(request), shift_id, data.counted_cash_vnd)
        return z_out(view.report)


# --- pages ---


def _day(raw: str | None) -> dt.date | None:
    raw = (raw or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def _history_filters(location: str, register: str, date: str, q: str, page_no: str = "1") -> SaleFilters:
    """The sales history's filters as its page and its export read them from the query string."""
    return SaleFilters(
        location_id=query_int(location),
        register_id=query_int(register),
        day=_day(date),
        page=max(1, query_int(page_no) or 1),
        search=rules.sale_search(q),
    )


def _vnd_field(raw: str, field: str) -> int:
    try:
        return parse_vnd(raw)
    except MoneyError as exc:
        message = _("Enter a whole amount of đồng, such as 500.000.")
        raise ValidationFailed(message, fields={field: message}) from exc


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def refund_body(form: RefundForm) -> RefundIn:
    """The refund form → the API's body: rows with a quantity of 0 or nothing are left out; no row at all
    means the whole sale."""
    lines: list[RefundLineIn] = []
    for raw_no, raw_quantity in itertools.zip_longest(
        _as_list(form.line_no), _as_list(form.quantity), fillvalue=""
    ):
        raw_quantity = raw_quantity.strip()
        if not raw_quantity or raw_quantity == "0":
            continue
        number, quantity = query_int(raw_no), query_int(raw_quantity)
        if number is None or quantity is None or quantity < 1:
            message = _("Quantities are whole numbers.")
            raise ValidationFailed(message, fields={"lines": message})
        lines.append(RefundLineIn(quantity=quantity, line_no=number))
    try:
        refund_id = uuid.UUID(form.refund_id)
    except ValueError as exc:
        raise ValidationFailed(_("Your form expired. Reload the page and try again.")) from exc
    method = form.method if form.method in ("cash", "vietqr", "stripe") else "cash"
    return RefundIn(id=refund_id, reason=form.reason[:500], lines=lines or None, method=method)  # type: ignore[arg-type]


class PosController(Controller):
    """The register's back office: registers and shifts, the Z report, sales history, day reports."""

    path = "/pos"
    guards = [requires_login]
    include_in_schema = False

    @get("/", name="pos:home")
    async def home(self, request: Request[Any, Any, Any], tx: AsyncSession) -> Template:
        user = _user(request)
        queries = SaleQueries(tx)
        locations = await queries.sellable_locations(user)
        registers = await queries.registers_of([loc.id for loc in locations])
        shifts = await RegisterService(tx).open_shifts([r.id for rs in registers.values() for r in rs])
        managed = {loc.id for loc in locations if await queries.can_manage(user, loc)}
        return page(
            request,
            "pos/home.html.jinja",
            {
                "locations": locations,
                "registers": registers,
                "shifts": shifts,
                "managed": managed,
                "today": rules.vn_today().isoformat(),
                "errors": {},
                "form_location": None,
            },
        )

    @post("/locations/{location_id:int}/registers", name="pos:register_create")
    async def create_register(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        location_id: int,
        data: Annotated[RegisterForm, Form],
    ) -> Any:
        register = await RegisterService(tx).create(_user(request), location_id, data.name)
        flash(request, _("The register “%(name)s” was added.", name=register.name), "success")
        return redirect(request, "/pos")

    async def _shift_page(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        register_id: int,
        *,
        errors: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        user = _user(request)
        register, location = await RegisterService(tx).get_for_seller(user, register_id)
        shifts = ShiftService(tx)
        current = await shifts.current(register.id)
        report = (await shifts.view(user, current.id)).report if current else None
        recent = [s for s in await shifts.recent(register.id) if s.status == ShiftStatus.CLOSED]
        return page(
            request,
            "pos/shift.html.jinja",
            {
                "register": register,
                "location": location,
                "shift": current,
                "report": report,
                "recent": recent,
                "late": await shifts.late_sales(recent),
                "errors": errors or {},
                "form": form or {},
            },
            status=status,
            blocks=["shift_panel"],
        )

    @get("/registers/{register_id:int}/shift", name="pos:shift")
    async def shift(self, request: Request[Any, Any, Any], tx: AsyncSession, register_id: int) -> Template:
        return await self._shift_page(request, tx, register_id)

    @post("/registers/{register_id:int}/shift/open", name="pos:shift_open")
    async def open_shift(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        register_id: int,
        data: Annotated[OpenShiftForm, Form],
    ) -> Any:
        try:
            async with tx.begin_nested():
                amount = _vnd_field(data.opening_float_vnd or "0", "opening_float_vnd")
                await ShiftService(tx).open(_user(request), register_id, amount)
        except ValidationFailed as error:
            form = {"opening_float_vnd": data.opening_float_vnd}
            return await self._shift_page(
                request, tx, register_id, errors=error.fields, form=form, status=422
            )
        flash(request, _("The shift is open. Good selling!"), "success")
        return redirect(request, f"/pos/registers/{register_id}/shift")

    @post("/registers/{register_id:int}/shift/close", name="pos:shift_close")
    async def close_shift(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        register_id: int,
        data: Annotated[CloseShiftForm, Form],
    ) -> Any:
        user = _user(request)
        register, _location = await RegisterService(tx).get_for_seller(user, register_id)
        current = await ShiftService(tx).current(register.id)
        if current is None:
            flash(request, _("No shift is open on this register."), "info")
            return redirect(request, f"/pos/registers/{register_id}/shift")
        try:
            async with tx.begin_nested():
                counted = _vnd_field(data.counted_cash_vnd, "counted_cash_vnd")
                await ShiftService(tx).close(user, current.id, counted)
        except ValidationFailed as error:
            form = {"counted_cash_vnd": data.counted_cash_vnd}
            return await self._shift_page(
                request, tx, register_id, errors=error.fields, form=form, status=422
            )
        flash(request, _("The shift is closed. Here is its Z report."), "success")
        return redirect(request, f"/pos/shifts/{current.id}/z")

    @get("/shifts/{shift_id:int}/z", name="pos:z_report")
    async def z_report(self, request: Request[Any, Any, Any], tx: AsyncSession, shift_id: int) -> Template:
        view = await ShiftService(tx).view(_user(request), shift_id)
        return page(
            request,
            "pos/z_report.html.jinja",
            {
                "shift": view.shift,
                "register": view.register,
                "location": view.location,
                "z": z_out(view.report, view.late_sales),
            },
        )

    @get("/sales", name="pos:sales")
    async def sales(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        location: str = "",
        register: str = "",
        date: str = "",
        q: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        user = _user(request)
        queries = SaleQueries(tx)
        q = q.strip()[:200]
        filters = _history_filters(location, register, date, q, page_no)
        day = filters.day
        found = await queries.history(user, filters)
        locations = await queries.sellable_locations(user)
        registers = await queries.registers_of([loc.id for loc in locations])
        params = {
            "q": q,
            "location": filters.location_id or "",
            "register": filters.register_id or "",
            "date": day.isoformat() if day else "",
        }
        return page(
            request,
            "pos/sales.html.jinja",
            {
                "sales": found,
                "filters": params,
                "params": query_string(params),
                "locations": locations,
                "location_names": {loc.id: loc.name for loc in locations},
                "registers": registers,
                "register_names": {r.id: r.name for rs in registers.values() for r in rs},
                "cashier_names": await user_names(tx, [sale.cashier_id for sale in found.items]),
                "search_unread": filters.search is not None and not filters.search.understood,
            },
            blocks=["sale_rows"],
        )

    async def _sale_page(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        sale_id: uuid.UUID,
        *,
        errors: Mapping[str, str] | None = None,
        form: RefundForm | None = None,
        status: int = 200,
    ) -> Template:
        user = _user(request)
        queries = SaleQueries(tx)
        view = await queries.get(user, sale_id)
        return page(
            request,
            "pos/sale.html.jinja",
            {
                "view": view,
                "sale": view.sale,
                "makers": await queries.line_makers(view.sale),
                "people": await user_names(tx, [view.sale.cashier_id, view.sale.sent_by_id]),
                "can_refund": await queries.can_manage(user, view.location),
                "refund_id": str(uuid.uuid4()),
                "errors": errors or {},
                "form": form or RefundForm(),
                "receipt": receipt_path(view.sale.uuid),
                "reference": rules.payment_reference(view.sale.uuid),
                "paid_by_card": gateway(app_settings(request)) is not None
                and any(p.method.value == "stripe" for p in view.payments),
            },
            status=status,
            blocks=["refund_form"],
        )

    @get("/sales/export/{name:str}", name="pos:sales_export")
    async def sales_export(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        name: str,
        location: str = "",
        register: str = "",
        date: str = "",
        q: str = "",
    ) -> Response[bytes]:
        """The receipts the history's filters select (all pages), as `sales.csv` or `sales.xlsx`."""
        filters = _history_filters(location, register, date, q.strip()[:200])
        export = await export_sales(tx, _user(request), filters, name)
        stamp = f"-{filters.day.isoformat()}" if filters.day else ""
        return Response(
            content=export.content,
            media_type=export.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="sales{stamp}.{name.rpartition(".")[2]}"',
                "Cache-Control": "no-store",
            },
        )

    @get("/sales/{sale_id:uuid}", name="pos:sale")
    async def sale(self, request: Request[Any, Any, Any], tx: AsyncSession, sale_id: uuid.UUID) -> Template:
        return await self._sale_page(request, tx, sale_id)

    @post("/sales/{sale_id:uuid}/refund", name="pos:refund")
    async def refund(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        sale_id: uuid.UUID,
        data: Annotated[RefundForm, Form],
    ) -> Any:
        try:
            async with tx.begin_nested():
                view = await RefundService(tx, gateway(app_settings(request))).refund(
                    _user(request), sale_id, refund_body(data)
                )
        except ValidationFailed as error:
            fields = {
                ("lines" if key.startswith("lines") else key): text for key, text in error.fields.items()
            } or {"lines": error.message}
            return await self._sale_page(request, tx, sale_id, errors=fields, form=data, status=422)
        if view.created:
            flash(request, _("Refunded: the money and the goods are back."), "success")
        return redirect(request, f"/pos/sales/{sale_id}")

    @get("/reports/day", name="pos:day_report")
    async def day_report(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        location: str = "",
        date: str = "",
        register: str = "",
    ) -> Template:
        user = _user(request)
        queries = SaleQueries(tx)
        locations = await queries.sellable_locations(user)
        day = _day(date) or rules.vn_today()
        location_id = query_int(location) or (locations[0].id if len(locations) == 1 else None)
        report = None
        registers: list[Register] = []
        if location_id is not None:
            report = await queries.day_report(user, location_id, day, query_int(register))
            registers = (await queries.registers_of([location_id]))[location_id]
        return page(
            request,
            "pos/day_report.html.jinja",
            {
                "report": report,
                "locations": locations,
                "registers": registers,
                "filters": {
                    "location": location_id or "",
                    "date": day.isoformat(),
                    "register": query_int(register) or "",
                },
                "prev_day": (day - dt.timedelta(days=1)).isoformat(),
                "next_day": (day + dt.timedelta(days=1)).isoformat(),
            },
            blocks=["day_report"],
        )


class ReceiptController(Controller):
    """The receipt behind its unguessable UUID: no login, in the shopper's language, printable on 80 mm."""

    path = "/receipts"
    include_in_schema = False

    @get("/{sale_id:uuid}", name="pos:receipt")
    async def receipt(
        self, request: Request[Any, Any, Any], tx: AsyncSession, sale_id: uuid.UUID
    ) -> Template:
        queries = SaleQueries(tx)
        view = await queries.public(sale_id)
        user = request.user if isinstance(request.user, CurrentUser) else None
        chose = request.cookies.get(LOCALE_COOKIE) or (user.locale if user else None)
        if not chose:
            set_locale(view.sale.locale)  # the shopper's language, unless the viewer picked one
        url = receipt_url(request, view.sale.uuid)
        return page(
            request,
            "pos/receipt.html.jinja",
            {
                "view": view,
                "sale": view.sale,
                "makers": await queries.line_makers(view.sale),
                "staff": await queries.can_sell(user, view.location),
                "url": url,
                "qr_svg": qr.svg_inline(url),
                "reference": rules.payment_reference(view.sale.uuid),
                "paid_by_card": gateway(app_settings(request)) is not None
                and any(p.method.value == "stripe" for p in view.payments),
            },
            headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
        )
