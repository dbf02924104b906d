"""HTTP of the organizer's dashboard: the live page (its figures refresh by htmx polling while the fair runs),
the exports (CSV and XLSX), and the same figures as JSON.

Only the fair's organizers (and admins) get anything: another organization's fair, or a vendor asking,
answers 404 (FairAccess.for_managing); nobody signed in is sent to log in (the API answers 401).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.fairs.dashboard import Dashboard, DashboardService
from app.fairs.exports import ExportService
from app.web import page

FIGURES_BLOCK = "dashboard_figures"


class FairDashboardController(Controller):
    path = "/manage/fairs"
    guards = [requires_login]
    include_in_schema = False

    @get("/{fair_id:int}/dashboard", name="fairs:dashboard")
    async def dashboard(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int
    ) -> Template:
        figures = await DashboardService(tx).for_organizer(request.user, fair_id)
        return page(
            request,
            "fairs/dashboard.html.jinja",
            {"figures": figures, "chart": figures.chart_data()},
            blocks=[FIGURES_BLOCK],
            headers={"Cache-Control": "no-store"},
        )

    @get("/{fair_id:int}/export/{name:str}", name="fairs:export")
    async def export(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, name: str
    ) -> Response[bytes]:
        found = await ExportService(tx).export(request.user, fair_id, name)
        return Response(
            content=found.content,
            media_type=found.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{found.filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


class FairDashboardApiController(Controller):
    path = "/api/v1/fairs"
    tags = ["fairs"]
    guards = [requires_login]

    @get(
        "/{fair_id:int}/dashboard",
        name="api:fair_dashboard",
        summary="A fair's sales figures, low stock and producer report (its organizers only)",
        description=(
            "The organizer dashboard's figures: totals, by booth, by OCOP group, by hour in the fair's time "
            "zone, the top products, booths low on stock, and the producers taking part and selling. Money "
            "is whole đồng, net of refunds. Another organization's fair answers 404."
        ),
    )
    async def dashboard(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int
    ) -> Dashboard:
        return await DashboardService(tx).for_organizer(request.user, fair_id)
