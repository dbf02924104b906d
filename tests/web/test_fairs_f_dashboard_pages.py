"""The organizer dashboard over HTTP: the page and its live figures block, the JSON API, the exports (CSV
with a BOM and XLSX that opens, formula injection defused), who may see them (the fair's organizers only),
and the vendored chart library with its licence."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Producer
from app.fairs.models import Fair, FairStatus
from app.i18n import gettext, reset_locale, set_locale
from app.settings import BASE_DIR
from tests.factories import login
from tests.integration.test_fairs_f_dashboard import FairScene, build_fair

HTMX = {"HX-Request": "true", "HX-Target": "dashboard_figures"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_TAG = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S)


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


async def organizer_in(client: AsyncTestClient[Any], db: AsyncSession) -> FairScene:
    scene = await build_fair(db)
    await login(client, scene.organizer.email)
    return scene


def vi(message: str, **variables: Any) -> str:
    """A label as the Vietnamese page shows it (English until the translations are merged)."""
    token = set_locale("vi")
    try:
        return gettext(message, **variables)
    finally:
        reset_locale(token)


# --- the page ---


async def test_the_organizer_sees_the_live_dashboard(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    response = await client.get(f"/manage/fairs/{scene.fair_id}/dashboard")
    assert response.status_code == 200, response.text
    html = response.text
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]
    assert "630.000" in html  # the takings, net of refunds
    assert "A-01" in html and "HTX Dừa Giồng Trôm" in html
    assert 'hx-trigger="every 15s"' in html and 'hx-target="#dashboard_figures"' in html
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html and "/static/js/fair-dashboard.js" in html
    for kind in ("applications", "assignments", "sales"):
        for fmt in ("csv", "xlsx"):
            assert f"/manage/fairs/{scene.fair_id}/export/{kind}.{fmt}" in html
    found = DATA_TAG.search(html)
    assert found is not None
    chart = json.loads(found.group(1))
    assert chart["hours"]["revenue"] == [435_000, 45_000, 150_000]
    assert chart["groups"]["labels"] == ["1", "2"] and chart["groups"]["revenue"] == [480_000, 150_000]


async def test_the_figures_block_alone_answers_htmx_polling(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    response = await client.get(f"/manage/fairs/{scene.fair_id}/dashboard", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="dashboard-data"' in response.text
    assert 'hx-trigger="every 15s"' in response.text


async def test_polling_stops_when_the_fair_is_not_running(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    await db.execute(update(Fair).where(Fair.id == scene.fair_id).values(status=FairStatus.CLOSED))
    await db.commit()
    response = await client.get(f"/manage/fairs/{scene.fair_id}/dashboard", headers=HTMX)
    assert response.status_code == 200
    assert "hx-trigger" not in response.text and "630.000" in response.text


async def test_user_text_is_escaped(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    await db.execute(
        update(Producer).where(Producer.id == scene.ids["a"]).values(name="<script>alert('x')</script>")
    )
    await db.commit()
    html = (await client.get(f"/manage/fairs/{scene.fair_id}/dashboard")).text
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html


async def test_the_page_is_in_english_for_english_users(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    client.cookies.set("lang", "en")
    html = (await client.get(f"/manage/fairs/{scene.fair_id}/dashboard")).text
    assert "Sales by hour" in html and "Coconut candy" in html and "₫630,000" in html


# --- who may see it ---


async def test_outsiders_get_nothing(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await build_fair(db)
    urls = [
        f"/manage/fairs/{scene.fair_id}/dashboard",
        f"/manage/fairs/{scene.fair_id}/export/sales.csv",
        f"/manage/fairs/{scene.fair_id}/export/applications.xlsx",
    ]
    # Nobody signed in: sent to log in; the API answers 401.
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    api = await client.get(f"/api/v1/fairs/{scene.fair_id}/dashboard")
    assert api.status_code == 401
    # Another organization's organizer, and a vendor selling at the fair: not found.
    for email in (scene.other_organizer.email, scene.vendor_a.email):
        client.cookies.clear()
        await login(client, email)
        for url in urls:
            assert (await client.get(url)).status_code == 404, (email, url)
        api = await client.get(f"/api/v1/fairs/{scene.fair_id}/dashboard")
        assert api.status_code == 404 and api.json()["error"] == "not_found"


async def test_a_fair_that_does_not_exist_is_not_found(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await organizer_in(client, db)
    assert (await client.get("/manage/fairs/999999/dashboard")).status_code == 404
    assert (await client.get("/api/v1/fairs/999999/dashboard")).status_code == 404


# --- JSON ---


async def test_the_api_gives_the_same_figures(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    response = await client.get(f"/api/v1/fairs/{scene.fair_id}/dashboard")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totals"] == {
        "sales_count": 5,
        "gross_vnd": 975_000,
        "refunded_vnd": 345_000,
        "revenue_vnd": 630_000,
        "booths_selling": 2,
    }
    assert [b["code"] for b in body["by_booth"]] == ["A-01", "A-02", "A-03"]
    assert [(h["sales_count"], h["revenue_vnd"]) for h in body["by_hour"]] == [
        (2, 435_000),
        (2, 45_000),
        (1, 150_000),
    ]
    assert body["by_hour"][0]["starts_at"].endswith("+07:00")
    assert body["top_products"][0]["name_vi"] == "Kẹo dừa sáp"
    assert [r["booth_code"] for r in body["low_stock"]] == ["A-02", "A-01"]
    assert body["report"]["selling_share_percent"] == 67
    assert body["live"] is True and body["fair"]["status"] == "running"


# --- exports ---


async def test_csv_exports_have_a_bom_a_translated_header_and_defused_formulas(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    response = await client.get(f"/manage/fairs/{scene.fair_id}/export/assignments.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == vi("Booth") and rows[0][4] == vi("Producer")
    by_booth = {row[0]: row for row in rows[1:]}
    assert set(by_booth) == {"A-01", "A-02", "A-03", "A-04"}
    assert by_booth["A-03"][4] == '\'=HYPERLINK("http://x")'  # never a live formula
    assert by_booth["A-01"][8] == "500000"  # whole đồng, no separators


async def test_the_sales_csv_holds_the_fairs_sales_only(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    response = await client.get(f"/manage/fairs/{scene.fair_id}/export/sales.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 5
    header = rows[0]
    net = header.index(vi("Net (đồng)"))
    assert sum(int(row[net]) for row in rows[1:]) == 630_000
    assert [row[1] for row in rows[1:]] == ["A-01", "A-01", "A-01", "A-02", "A-02"]
    assert rows[1][header.index(vi("Items sold"))] == "3 × Kẹo dừa sáp; 1 × Dầu dừa"
    assert rows[1][0] == f"{scene.day.isoformat()} 09:15"


async def test_xlsx_exports_open_and_hold_the_rows(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    for kind, data_rows in (("sales", 5), ("assignments", 4), ("applications", 4)):
        response = await client.get(f"/manage/fairs/{scene.fair_id}/export/{kind}.xlsx")
        assert response.status_code == 200, (kind, response.text[:300])
        assert response.headers["content-type"] == XLSX
        assert response.content[:2] == b"PK"
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 1 + data_rows, kind
        if kind == "sales":
            net = rows[0].index(vi("Net (đồng)"))
            assert sum(row[net] for row in rows[1:]) == 630_000
            assert all(isinstance(row[net], int) for row in rows[1:])
        if kind == "assignments":
            cells = [
                c
                for row in sheet.iter_rows()
                for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value
            ]
            assert cells and all(c.value.startswith("'=") and c.data_type == "s" for c in cells)


async def test_unknown_exports_are_not_found(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    for name in ("sales.pdf", "producers.csv", "sales", "sales.csv.exe", "..%2Fsales.csv"):
        response = await client.get(f"/manage/fairs/{scene.fair_id}/export/{name}")
        assert response.status_code == 404, name


# --- the vendored chart library ---


async def test_the_vendored_chart_library_has_its_licence_beside_it(client: AsyncTestClient[Any]) -> None:
    folder = Path(BASE_DIR) / "static" / "vendor" / "uplot"
    script = folder / "uPlot.iife.min.js"
    licence = folder / "LICENSE"
    assert script.is_file() and script.stat().st_size > 10_000
    assert licence.is_file() and "MIT License" in licence.read_text()
    assert (folder / "VERSION").read_text().strip() in script.read_text()[:200]
    response = await client.get("/static/vendor/uplot/uPlot.iife.min.js")
    assert response.status_code == 200 and "uPlot" in response.text[:200]
    assert (await client.get("/static/js/fair-dashboard.js")).status_code == 200
    assert (await client.get("/static/css/dashboard.css")).status_code == 200
