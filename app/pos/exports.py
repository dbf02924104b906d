"""The sales history as a file for the books: the receipts the history's filters select, as CSV or XLSX.

One row a receipt, in the order they were rung up: when (Vietnam time; the register's clock for a sale rung
up offline, as the history shows it), where, which register and receipt number, the payment reference that a
VietQR transfer carries, the cashier, what was sold, the amounts in đồng and how they were paid. The file is
written by `app.exports` (UTF-8 with a byte-order mark for Excel, formulas never run).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.rules import CurrentUser
from app.errors import NotFound, ValidationFailed
from app.exports import (
    CONTENT_TYPES,
    FORMATS,
    Cell,
    Column,
    Export,
    Table,
    sale_status_label,
    to_csv,
    to_xlsx,
)
from app.i18n import gettext as _
from app.i18n import number
from app.inventory.models import Location
from app.payments.models import Payment, PaymentStatus
from app.pos import rules
from app.pos.models import Register, Sale
from app.pos.services import SaleFilters, history_filtered, sold_at

EXPORT_LIMIT = 50_000  # receipts in one file; more: choose a place or a day


def format_of(name: str) -> str:
    """ "sales.xlsx" → "xlsx"; anything else is not found."""
    stem, dot, fmt = name.partition(".")
    if stem != "sales" or not dot or fmt not in FORMATS:
        raise NotFound(_("There is no such export."))
    return fmt


async def export_sales(session: AsyncSession, actor: CurrentUser, filters: SaleFilters, name: str) -> Export:
    """GET /pos/sales/export/sales.{csv,xlsx}: the receipts of the history's filters at places `actor` may
    sell at (the same ones the history lists, all pages)."""
    fmt = format_of(name)
    count = await session.scalar(history_filtered(select(func.count(Sale.id)), actor, filters))
    if (count or 0) > EXPORT_LIMIT:
        raise ValidationFailed(
            _(
                "More than %(limit)s receipts match: choose a place or a day to export fewer.",
                limit=number(EXPORT_LIMIT),
            )
        )
    when = sold_at().label("sold_at")
    stmt = history_filtered(
        select(Sale, when, Location.name, Register.name, User.name, User.email)
        .join(Register, Register.id == Sale.register_id)
        .outerjoin(User, User.id == Sale.cashier_id),
        actor,
        filters,
    ).order_by(when, Sale.id)
    found = (await session.execute(stmt)).all()
    paid = await _paid_by(session, [row[0].id for row in found])
    columns = [
        Column(_("Sold at (%(tz)s)", tz=rules.VN_TZ.key), width=18),
        Column(_("Place"), width=28),
        Column(_("Register"), width=14),
        Column(_("Receipt no."), width=10),
        Column(_("Payment reference"), width=18),
        Column(_("Cashier"), width=22),
        Column(_("Status"), width=16),
        Column(_("Items sold"), width=48),
        Column(_("Subtotal (đồng)"), money=True, width=14),
        Column(_("Discount (đồng)"), money=True, width=14),
        Column(_("Total (đồng)"), money=True, width=14),
        Column(_("Cash (đồng)"), money=True, width=14),  # these three: rules.METHODS, in its order
        Column(_("VietQR (đồng)"), money=True, width=14),
        Column(_("Card (đồng)"), money=True, width=14),
        Column(_("Refunded (đồng)"), money=True, width=14),
        Column(_("Net (đồng)"), money=True, width=14),
        Column(_("Rung up offline"), width=10),
        Column(_("Sale ID"), width=38),
    ]
    data: list[list[Cell]] = []
    for sale, moment, place, register, cashier_name, cashier_email in found:
        by_method = paid.get(sale.id, {})
        data.append(
            [
                rules.vn_time(moment),
                str(place),
                str(register),
                sale.receipt_no,
                rules.payment_reference(sale.uuid),
                str(cashier_name or cashier_email or ""),
                sale_status_label(sale.status),
                "; ".join(f"{line.quantity} × {line.name}" for line in sale.lines),
                sale.subtotal_vnd,
                sale.discount_vnd,
                sale.total_vnd,
                *(by_method.get(method, 0) for method in rules.METHODS),
                sale.refunded_vnd,
                sale.total_vnd - sale.refunded_vnd,
                sale.offline,
                str(sale.uuid),
            ]
        )
    table = Table("sales", columns, data)
    content = to_csv(table) if fmt == "csv" else to_xlsx(table, _("Sales receipts"))
    return Export(f"sales.{fmt}", CONTENT_TYPES[fmt], content)


async def _paid_by(session: AsyncSession, sale_ids: list[int]) -> dict[int, dict[str, int]]:
    """sale id → method → đồng paid (what each payment pays of the sale, not the cash handed over)."""
    paid: dict[int, dict[str, int]] = defaultdict(dict)
    for start in range(0, len(sale_ids), 1000):  # bounded IN lists
        rows = await session.execute(
            select(Payment.sale_id, Payment.method, func.sum(Payment.amount_vnd))
            .where(
                Payment.sale_id.in_(sale_ids[start : start + 1000]), Payment.status != PaymentStatus.FAILED
            )
            .group_by(Payment.sale_id, Payment.method)
        )
        for sale_id, method, amount in rows.all():
            if sale_id is None:  # not asked for: a booth fee's payment
                continue
            key: Any = getattr(method, "value", method)
            paid[int(sale_id)][str(key)] = int(amount or 0)
    return paid
