"""Finding a sale in the history by what a vendor has in hand: the receipt's number, the payment reference
printed on it and shown in a VietQR transfer's message on the bank statement, or the receipt's address.
Only among the sales of places the searcher may sell at."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.pos import rules
from tests.factories import login
from tests.web.test_pos_pages import sell, setup


def receipts(html: str) -> list[str]:
    """The receipts listed, as "register #no"."""
    return re.findall(r'<a href="/pos/sales/[0-9a-f-]{36}">([^<]+)</a>', html)


async def test_a_sale_is_found_by_its_number_its_reference_or_its_address(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    one_line = {
        "lines": [{"product_id": ids["candy"], "quantity": 1}],
        "payments": [{"method": "cash", "amount_vnd": 45_000}],
    }
    sales = [await sell(client, ids, **one_line) for _ in range(3)]
    await login(client, "vendor@htx.vn")

    everything = await client.get("/pos/sales")
    assert receipts(everything.text) == ["Quầy chính #3", "Quầy chính #2", "Quầy chính #1"]
    second = sales[1]
    reference = rules.payment_reference(uuid.UUID(second["id"]))
    for typed in (
        "2",
        "#2",
        "Quầy chính #2",
        reference,
        reference.lower(),
        f"NGUYEN VAN A CK {reference} MUA KEO",
        second["id"],
        f"http://testserver/receipts/{second['id']}",
    ):
        found = await client.get("/pos/sales", params={"q": typed})
        assert found.status_code == 200
        assert receipts(found.text) == ["Quầy chính #2"], typed
        assert f'value="{typed}"' in found.text  # the box keeps what was typed

    # The list alone (htmx), as the search box asks for it while typing.
    fragment = await client.get(
        "/pos/sales", params={"q": "#3"}, headers={"HX-Request": "true", "HX-Target": "sale_rows"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and receipts(fragment.text) == ["Quầy chính #3"]

    # Filters apply together: receipt #2 at another place's registers is not this one.
    elsewhere = await client.get("/pos/sales", params={"q": "2", "location": str(ids["other_location"])})
    assert receipts(elsewhere.text) == []


async def test_words_of_no_known_shape_find_nothing_and_say_what_to_type(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    await sell(client, ids)
    await login(client, "vendor@htx.vn")
    for typed in ("kẹo dừa", "CP12", "99999999999", "<script>alert(1)</script>", "x" * 5000):
        found = await client.get("/pos/sales", params={"q": typed}, headers={"Accept-Language": "en"})
        assert found.status_code == 200, typed
        assert receipts(found.text) == [], typed
        assert "<script>alert(1)</script>" not in found.text
    assert "Type a receipt number (21 or #21)" in found.text
    missing = await client.get("/pos/sales", params={"q": "#7"}, headers={"Accept-Language": "en"})
    assert receipts(missing.text) == [] and "none matches the filters" in missing.text


async def test_another_vendor_cannot_find_my_sales(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    ids = await setup(db)
    sale: dict[str, Any] = await sell(client, ids)
    await login(client, "other@htx.vn")
    for typed in ("1", rules.payment_reference(uuid.UUID(sale["id"])), sale["id"]):
        found = await client.get("/pos/sales", params={"q": typed})
        assert found.status_code == 200
        assert receipts(found.text) == [], typed
