"""The sales history as a file for the books: the receipts the filters select (every page), as CSV for any
spreadsheet and XLSX for Excel, with the amounts by payment method; never another vendor's sales."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.pos import exports, rules
from tests.factories import login, pos_stock
from tests.web.test_pos_pages import sell, setup


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for Vietnamese text
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_the_history_downloads_as_csv_and_xlsx_with_its_filters(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await pos_stock(db, ids["candy"], ids["location"], 20)
    cash = await sell(
        client,
        ids,
        lines=[{"product_id": ids["candy"], "quantity": 3}],
        payments=[{"method": "cash", "amount_vnd": 135_000, "tendered_vnd": 200_000}],
    )
    split = await sell(
        client,
        ids,
        lines=[{"product_id": ids["candy"], "quantity": 2}],
        payments=[{"method": "cash", "amount_vnd": 50_000}, {"method": "vietqr", "amount_vnd": 40_000}],
    )
    await login(client, "vendor@htx.vn")

    page = await client.get("/pos/sales")
    assert 'href="/pos/sales/export/sales.xlsx"' in page.text

    response = await client.get("/pos/sales/export/sales.csv", headers={"Accept-Language": "vi"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="sales.csv"' in response.headers["content-disposition"]
    header, *rows = rows_of(response.content)
    assert header[:6] == [
        "Bán lúc (Asia/Ho_Chi_Minh)",
        "Địa điểm",
        "Quầy",
        "Số hóa đơn",
        "Mã thanh toán",
        "Thu ngân",
    ]
    assert [row[3] for row in rows] == ["1", "2"]  # in the order they were rung up
    first, second = (dict(zip(header, row, strict=True)) for row in rows)
    assert first["Mã thanh toán"] == rules.payment_reference(uuid.UUID(cash["id"]))
    assert first["Hàng đã bán"] == "3 × Kẹo dừa sáp"
    money = ("Tổng cộng (đồng)", "Tiền mặt (đồng)", "VietQR (đồng)")
    assert [first[column] for column in money] == ["135000", "135000", "0"]
    assert [second[column] for column in money] == ["90000", "50000", "40000"]
    assert rows[1][-1] == split["id"]

    # The filters apply: receipt #2 only, as an Excel file.
    xlsx = await client.get("/pos/sales/export/sales.xlsx", params={"q": "#2"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][3] == 2 and values[1][10] == 90_000


async def test_another_vendor_exports_none_of_my_sales(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await sell(client, ids)
    await login(client, "other@htx.vn")
    for params in ({}, {"location": str(ids["location"])}, {"q": "1"}):
        response = await client.get("/pos/sales/export/sales.csv", params=params)
        assert response.status_code == 200
        _header, *rows = rows_of(response.content)
        assert rows == [], params


async def test_no_export_of_another_name_and_none_without_logging_in(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await sell(client, ids)
    anonymous = await client.get("/pos/sales/export/sales.csv", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    assert "Quầy".encode() not in anonymous.content
    await login(client, "vendor@htx.vn")
    for name in ("sales.pdf", "stock.csv", "sales", "..%2Fsecret_key", "sales.csv.exe"):
        assert (await client.get(f"/pos/sales/export/{name}")).status_code == 404, name


async def test_too_many_receipts_ask_for_narrower_filters(
    client: AsyncTestClient[Litestar], db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 1)
    ids = await setup(db)
    one_line = {
        "lines": [{"product_id": ids["candy"], "quantity": 1}],
        "payments": [{"method": "cash", "amount_vnd": 45_000}],
    }
    for _ in range(2):
        await sell(client, ids, **one_line)
    await login(client, "vendor@htx.vn")
    refused = await client.get("/pos/sales/export/sales.csv", headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert "choose a place or a day" in refused.text
    narrower = await client.get("/pos/sales/export/sales.csv", params={"q": "#1"})
    assert narrower.status_code == 200 and len(rows_of(narrower.content)) == 2
