"""HTTP for the card payments' reconciliation: the organizers' list (htmx filters kept in the URL, totals,
paging), its CSV export, one payment with its history, and "Check with Stripe" (read-only).

Handlers parse the query string, call app.payments.reconciliation (which checks who may see what) and pick
a template block. Odd filter values are ignored, as on every list page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.payments.reconciliation import (
    KINDS,
    STATUSES,
    Filters,
    ReconciliationService,
    StripeCheck,
    checkout_status_label,
    kind_label,
    status_label,
)
from app.payments.stripe_gateway import gateway
from app.web import app_settings, page, page_number, query_flag, query_string

PageParam = Parameter(query="page", required=False)
FromParam = Parameter(query="from", required=False)
ToParam = Parameter(query="to", required=False)


def _user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user = request.user
    return user if isinstance(user, CurrentUser) else None


def query_day(raw: str | None) -> dt.date | None:
    """A day from a query string (YYYY-MM-DD), or nothing."""
    raw = (raw or "").strip()
    if len(raw) != 10:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def read_filters(
    status: str, kind: str, mismatch: str, date_from: str, date_to: str, page_no: str
) -> Filters:
    return Filters(
        status=status if status in STATUSES else "",
        kind=kind if kind in KINDS else "",
        only_mismatches=query_flag(mismatch),
        date_from=query_day(date_from),
        date_to=query_day(date_to),
        page=page_number(page_no),
    )


def filter_params(filters: Filters) -> dict[str, Any]:
    return {
        "status": filters.status,
        "kind": filters.kind,
        "mismatch": "1" if filters.only_mismatches else "",
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
    }


def _labels() -> dict[str, Any]:
    return {
        "status_label": status_label,
        "kind_label": kind_label,
        "checkout_status_label": checkout_status_label,
    }


class ReconciliationController(Controller):
    """Organizers and administrators only; a payment out of an organizer's scope answers 404."""

    path = "/payments"
    guards = [requires_login]
    include_in_schema = False

    @get("/reconciliation", name="payments:reconciliation")
    async def reconciliation(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        status: str = "",
        kind: str = "",
        mismatch: str = "",
        date_from: Annotated[str, FromParam] = "",
        date_to: Annotated[str, ToParam] = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        filters = read_filters(status, kind, mismatch, date_from, date_to, page_no)
        listing = await ReconciliationService(tx).listing(_user(request), filters)
        params = filter_params(filters)
        return page(
            request,
            "payments/reconciliation.html.jinja",
            {
                "listing": listing,
                "filters": params,
                "params": query_string(params),
                "statuses": STATUSES,
                "kinds": KINDS,
                "cards_on": gateway(app_settings(request)) is not None,
                **_labels(),
            },
            blocks=["reconciliation_results"],
            headers={"Cache-Control": "private, no-store"},
        )

    @get("/reconciliation.csv", name="payments:reconciliation_csv")
    async def reconciliation_csv(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        status: str = "",
        kind: str = "",
        mismatch: str = "",
        date_from: Annotated[str, FromParam] = "",
        date_to: Annotated[str, ToParam] = "",
    ) -> Response[bytes]:
        filters = read_filters(status, kind, mismatch, date_from, date_to, "1")
        content = await ReconciliationService(tx).export_csv(_user(request), filters)
        return Response(
            content=content,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="card-payments.csv"',
                "Cache-Control": "private, no-store",
            },
        )

    async def _payment_page(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        payment_id: int,
        check: StripeCheck | None = None,
    ) -> Template:
        view = await ReconciliationService(tx).view(_user(request), payment_id)
        return page(
            request,
            "payments/payment.html.jinja",
            {
                "view": view,
                "row": view.row,
                "payment": view.row.payment,
                "check": check,
                "cards_on": gateway(app_settings(request)) is not None,
                **_labels(),
            },
            blocks=["stripe_check"],
            headers={"Cache-Control": "private, no-store"},
        )

    @get("/{payment_id:int}", name="payments:payment")
    async def payment(self, request: Request[Any, Any, Any], tx: AsyncSession, payment_id: int) -> Template:
        return await self._payment_page(request, tx, payment_id)

    @post("/{payment_id:int}/stripe-check", name="payments:stripe_check", status_code=200)
    async def stripe_check(
        self, request: Request[Any, Any, Any], tx: AsyncSession, payment_id: int
    ) -> Template:
        """Ask Stripe about the payment's PaymentIntent and show its answer next to ours. Writes nothing."""
        check = await ReconciliationService(tx).check(
            _user(request), payment_id, gateway(app_settings(request))
        )
        return await self._payment_page(request, tx, payment_id, check)
