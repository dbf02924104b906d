"""Exports of a fair for its organizers: applications, assignments and sales, as CSV or XLSX.

The applications table is the review screen's own (`ApplicationService.export`, built by
`applications.application_rows`); assignments and sales are read here. Sales are the fair's sales exactly as
the dashboard counts them (at its booths, while it ran), so the export's net column adds up to its takings.
Times are in the fair's time zone (named in the header). The files are written by `app.exports`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.rules import CurrentUser
from app.catalog.models import Producer
from app.errors import NotFound
from app.exports import (
    CONTENT_TYPES,
    FORMATS,
    Cell,
    Column,
    Export,
    Table,
    payment_method_label,
    sale_status_label,
    to_csv,
    to_xlsx,
)
from app.fairs.access import FairAccess
from app.fairs.applications import ApplicationService
from app.fairs.dashboard import fair_zone
from app.fairs.models import (
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    Hall,
)
from app.i18n import gettext as _
from app.inventory.models import Location
from app.payments.models import Payment, PaymentStatus
from app.pos.models import Register, Sale
from app.pos.services import sold_at

KINDS = ("applications", "assignments", "sales")


def parse_name(name: str) -> tuple[str, str]:
    """ "sales.xlsx" → ("sales", "xlsx"); anything else is not found."""
    kind, dot, fmt = name.partition(".")
    if not dot or kind not in KINDS or fmt not in FORMATS:
        raise NotFound(_("There is no such export."))
    return kind, fmt


# --- labels (never a raw enum value in an export) ---


def assignment_status_label(status: AssignmentStatus) -> str:
    return {
        AssignmentStatus.HELD: _("Held until the fee is paid"),
        AssignmentStatus.CONFIRMED: _("Confirmed"),
        AssignmentStatus.RELEASED: _("Released"),
    }[status]


def assignment_method_label(method: AssignmentMethod) -> str:
    return {
        AssignmentMethod.MANUAL: _("By the organizer"),
        AssignmentMethod.SELF_SELECT: _("Chosen by the producer"),
        AssignmentMethod.AUTOMATIC: _("Automatic"),
        AssignmentMethod.WAITLIST: _("From the waitlist"),
    }[method]


def _plain(value: object) -> Cell:
    """A value of another module's table as a cell: text, whole numbers, times and yes/no stay; the rest
    is written as text."""
    if value is None or isinstance(value, str | int | bool | dt.datetime):
        return value
    return str(value)


# --- the tables ---


class ExportService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def export(self, actor: CurrentUser, fair_id: int, name: str) -> Export:
        """GET /manage/fairs/{fair_id}/export/{kind}.{csv|xlsx}, for the fair's organizers only."""
        kind, fmt = parse_name(name)
        fair = await FairAccess(self.session).for_managing(actor, fair_id)
        table = await self.table(actor, fair, kind)
        content = to_csv(table) if fmt == "csv" else to_xlsx(table, self.sheet_title(kind))
        return Export(f"fair-{fair.id}-{kind}.{fmt}", CONTENT_TYPES[fmt], content)

    @staticmethod
    def sheet_title(kind: str) -> str:
        return {
            "applications": _("Applications"),
            "assignments": _("Assignments"),
            "sales": _("Sales receipts"),
        }[kind]

    async def table(self, actor: CurrentUser, fair: Fair, kind: str) -> Table:
        if kind == "applications":
            return await self.applications(actor, fair)
        if kind == "assignments":
            return await self.assignments(fair)
        return await self.sales(fair)

    @staticmethod
    def _local(moment: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
        return None if moment is None else moment.astimezone(zone)

    async def applications(self, actor: CurrentUser, fair: Fair) -> Table:
        """Every application organizers see, as the review screen exports it (slice C's
        `application_rows`: one header row, then plain values, times already in the fair's time zone)."""
        _fair, found = await ApplicationService(self.session).export(actor, fair.id)
        header, *rows = found or [[]]
        columns = [Column(str(title), width=18) for title in header]
        return Table("applications", columns, [[_plain(v) for v in row] for row in rows])

    async def assignments(self, fair: Fair) -> Table:
        """Every assignment, released ones included (the history), by booth."""
        zone = fair_zone(fair.timezone)
        tz = zone.key
        stmt = (
            select(Assignment, Booth.code, Booth.zone, Hall.name, BoothType.name, Producer.name)
            .join(Booth, Booth.id == Assignment.booth_id)
            .join(Hall, Hall.id == Booth.hall_id)
            .join(BoothType, BoothType.id == Booth.booth_type_id)
            .join(Producer, Producer.id == Assignment.producer_id)
            .where(Assignment.fair_id == fair.id)
            .order_by(Booth.code, Assignment.id)
        )
        columns = [
            Column(_("Booth"), width=10),
            Column(_("Hall"), width=16),
            Column(_("Zone"), width=10),
            Column(_("Booth type"), width=16),
            Column(_("Producer"), width=32),
            Column(_("Status"), width=22),
            Column(_("How assigned"), width=20),
            Column(_("Pinned"), width=8),
            Column(_("Fee (đồng)"), money=True, width=14),
            Column(_("Hold expires at (%(tz)s)", tz=tz), width=18),
            Column(_("Paid at (%(tz)s)", tz=tz), width=18),
            Column(_("Released at (%(tz)s)", tz=tz), width=18),
            Column(_("Assigned at (%(tz)s)", tz=tz), width=18),
        ]
        data: list[list[Cell]] = [
            [
                str(code),
                str(hall),
                str(booth_zone or ""),
                str(booth_type),
                str(producer),
                assignment_status_label(assignment.status),
                assignment_method_label(assignment.method),
                assignment.pinned,
                assignment.fee_vnd,
                self._local(assignment.hold_expires_at, zone),
                self._local(assignment.paid_at, zone),
                self._local(assignment.released_at, zone),
                self._local(assignment.created_at, zone),
            ]
            for assignment, code, booth_zone, hall, booth_type, producer in (
                await self.session.execute(stmt)
            ).all()
        ]
        return Table("assignments", columns, data)

    async def sales(self, fair: Fair) -> Table:
        """The fair's sales (at its booths, while it ran; as the dashboard counts them), in time order."""
        zone = fair_zone(fair.timezone)
        assigned = aliased(Producer)
        owner = aliased(Producer)
        when = sold_at().label("sold_at")
        stmt = (
            select(
                Sale,
                when,
                Booth.code,
                assigned.name,
                owner.name,
                Register.name,
            )
            .join(Booth, and_(Booth.location_id == Sale.location_id, Booth.fair_id == fair.id))
            .join(Location, Location.id == Sale.location_id)
            .join(Register, Register.id == Sale.register_id)
            .outerjoin(
                Assignment,
                and_(Assignment.booth_id == Booth.id, Assignment.status != AssignmentStatus.RELEASED),
            )
            .outerjoin(assigned, assigned.id == Assignment.producer_id)
            .outerjoin(owner, owner.id == Location.producer_id)
            .where(sold_at() >= fair.starts_at, sold_at() < fair.ends_at)
            .order_by(when, Sale.id)
        )
        found = (await self.session.execute(stmt)).all()
        methods: dict[int, list[str]] = {}
        if found:
            in_fair = (
                select(Sale.id)
                .join(Booth, Booth.location_id == Sale.location_id)
                .where(Booth.fair_id == fair.id, sold_at() >= fair.starts_at, sold_at() < fair.ends_at)
            )
            paid = await self.session.execute(
                select(Payment.sale_id, Payment.method)
                .where(Payment.sale_id.in_(in_fair), Payment.status != PaymentStatus.FAILED)
                .order_by(Payment.sale_id, Payment.id)
            )
            for sale_id, method in paid.all():
                label = payment_method_label(str(getattr(method, "value", method)))
                listed = methods.setdefault(int(sale_id or 0), [])
                if label not in listed:
                    listed.append(label)
        columns = [
            Column(_("Sold at (%(tz)s)", tz=zone.key), width=18),
            Column(_("Booth"), width=10),
            Column(_("Producer"), width=32),
            Column(_("Register"), width=14),
            Column(_("Receipt no."), width=10),
            Column(_("Status"), width=16),
            Column(_("Items sold"), width=48),
            Column(_("Subtotal (đồng)"), money=True, width=14),
            Column(_("Discount (đồng)"), money=True, width=14),
            Column(_("Total (đồng)"), money=True, width=14),
            Column(_("Refunded (đồng)"), money=True, width=14),
            Column(_("Net (đồng)"), money=True, width=14),
            Column(_("Paid by"), width=18),
            Column(_("Rung up offline"), width=10),
            Column(_("Sale ID"), width=38),
        ]
        data: list[list[Cell]] = [
            [
                self._local(moment, zone),
                str(code),
                str(by_assignment or by_owner or ""),
                str(register),
                sale.receipt_no,
                sale_status_label(sale.status),
                "; ".join(f"{line.quantity} × {line.name}" for line in sale.lines),
                sale.subtotal_vnd,
                sale.discount_vnd,
                sale.total_vnd,
                sale.refunded_vnd,
                sale.total_vnd - sale.refunded_vnd,
                ", ".join(methods.get(sale.id, [])),
                sale.offline,
                str(sale.uuid),
            ]
            for sale, moment, code, by_assignment, by_owner, register in found
        ]
        return Table("sales", columns, data)
